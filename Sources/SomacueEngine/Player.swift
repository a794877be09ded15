import SomacueAudio
import SomacueCore
import SomacueLibrary
import SomacuePlatform
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Set from the SIGINT handler; read by the foreground player's control loop.
let interruptCount = Atomic<Int>(0)

private func onInterrupt(_ signal: Int32) {
    // A second Ctrl-C aborts at once, without the fade.
    if interruptCount.add(1, ordering: .relaxed).newValue >= 2 { _exit(130) }
}

/// What the running daemon has loaded, as its `status` told (for `play` to check that the two
/// would not play on one device at once).
public struct DaemonSession: Sendable {
    public var state: String
    public var title: String?
    public var device: String
    public init(state: String, title: String?, device: String) {
        self.state = state
        self.title = title
        self.device = device
    }
}

/// Checks, before a session is loaded, that somacued is not playing on the device `play` would
/// use: a session playing or loading there is refused unless `force` (two voices at once, exit
/// 75), a paused or waiting one is a warning on stderr. Devices are compared by their resolved names.
public func checkSharedDevice(_ daemon: DaemonSession, requested: String?, config: Config, force: Bool) throws(EngineError) {
    guard daemon.state != "idle" else { return }
    do { try PortAudio.initialize() } catch {
        return  // playing will say what is wrong with PortAudio
    }
    defer { PortAudio.terminate() }
    // A session still loading names the device as asked for until it is open.
    let loading = daemon.state == "loading"
    guard let device = try? PortAudio.resolveOutputDevice(requested ?? config.device),
          daemon.device == device.name || (loading && daemon.device == requested ?? config.device) else { return }
    let what = daemon.title ?? "a session"
    // Loading sounds within moments (its first cues may already be playing).
    if (daemon.state == "playing" || loading) && !force {
        throw EngineError("somacue: somacued is playing \(what) on \(device.name), the device this would play on; two sessions at once "
                          + "would speak over each other. `somacue pause` or `somacue stop` it first, or add --force to play anyway",
                          status: ExitStatus.tempFail)
    }
    Platform.writeStderr("somacue: warning: somacued has \(what) \(daemon.state == "playing" ? "playing" : "loaded (\(daemon.state))") "
                         + "on \(device.name) too; `somacue stop` ends it")
}

/// The keys of foreground `play`, for the line shown when it starts and for `?`.
let playKeys = ["space pause", "n/p exercise", "←/→ tempo", "q quit", "? help"]
let playKeyHelp: [(String, String)] = [
    ("space", "pause, or resume (the cut instruction is spoken again)"),
    ("n", "the next exercise"),
    ("p", "this exercise from its start (within its first 5 s: the one before)"),
    ("→ ←", "tempo 0.1 faster or slower, from the next phase"),
    ("q", "fade out and stop (Ctrl-C does the same; a second Ctrl-C stops at once)"),
    ("?", "this help"),
]

/// The key help in lines shorter than `width` columns: each key, then its text word-wrapped
/// beside it.
func keyHelpText(width: Int) -> String {
    let indent = 10
    let room = max(20, width - 1 - indent)
    var out: [String] = []
    for (key, text) in playKeyHelp {
        var line = ""
        var first = true
        func flush() {
            let lead = first ? "  " + key + String(repeating: " ", count: max(1, indent - 2 - key.count)) : String(repeating: " ", count: indent)
            out.append(lead + line)
            first = false
            line = ""
        }
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > room { flush() }
            line += (line.isEmpty ? "" : " ") + word
        }
        flush()
    }
    return out.joined(separator: "\n")
}

/// Plays a loaded session in the foreground through PortAudio. Returns when the session (and
/// a short tail of silence) has been played, or after a Ctrl-C fade-out.
///
/// On a terminal (`showProgress`) it shows the session and its keys once, then one progress
/// line redrawn in place (a bar, elapsed and remaining time, where in the session) that never
/// reaches the terminal's last column. While that line is on screen fd 2 is captured
/// (`StderrCapture`): the audio libraries' messages (ALSA's underruns) are counted or printed
/// above the line, never into it.
public func playForeground(_ loaded: LoadedSession, config: Config, device requested: String?,
                           showProgress: Bool) throws(EngineError) {
    _ = interruptCount.load(ordering: .relaxed)  // initialise before the handler can run
    do { try PortAudio.initialize() } catch {
        throw EngineError("somacue: cannot start PortAudio: \(error)", status: ExitStatus.unavailable)
    }
    defer { PortAudio.terminate() }
    let device: OutputDeviceInfo
    do { device = try PortAudio.resolveOutputDevice(requested ?? config.device) } catch {
        throw EngineError("\(error)", status: ExitStatus.unavailable)
    }
    let rate = loaded.plan.timeline.sampleRate
    let mixer = loaded.makeMixer(config: config)
    defer { MixerState.deallocate(mixer) }
    let buffering = OutputBuffering(latencyMs: config.latencyMs, sampleRate: rate)
    let stream: PortAudioOutputStream
    do {
        stream = try PortAudioOutputStream(device: device, sampleRate: rate, channels: 2, framesPerBuffer: buffering.periodFrames,
                                           suggestedLatency: buffering.suggestedLatency,
                                           callback: mixerStreamCallback, userData: UnsafeMutableRawPointer(mixer))
    } catch {
        throw EngineError("\(error)", status: ExitStatus.unavailable)
    }
    defer { stream.close() }
    signal(SIGINT, onInterrupt)
    defer { signal(SIGINT, SIG_DFL) }
    let keys = Platform.isTerminal(0) ? RawTerminal() : nil
    defer { keys?.restore() }
    var timeline = loaded.plan.timeline
    var screen = showProgress ? PlayScreen() : nil
    if screen != nil {
        let title = timeline.sessionTitle + " · " + formatClock(rate.seconds(timeline.frames))
        screen?.above(wrapParts([title] + (keys?.ok == true ? playKeys : ["Ctrl-C stops"]), width: Platform.terminalWidth()))
    }
    // The audio libraries' messages, from here until the line is gone, go through the capture.
    let capture = showProgress ? StderrCapture() : nil
    defer {
        for text in capture?.restore() ?? [] where !isUnderrunMessage(text) { Platform.writeStderr(text) }
    }
    do { try stream.start() } catch {
        throw EngineError("\(error)", status: ExitStatus.unavailable)
    }
    var paused: Int64?
    var token = 0
    var tempo = timeline.tempo
    var underruns = 0
    var generation = 0
    func say(_ text: String) {
        screen?.above(text)
    }
    while !mixer.pointee.finished.load(ordering: .acquiring) {
        if interruptCount.load(ordering: .relaxed) > 0 {
            mixer.pointee.stopRequested.store(true, ordering: .releasing)
        }
        while let note = mixer.pointee.nextNote() {
            if case .swapped(let old) = note { old.free() }
        }
        while let key = keys?.readKey() {
            token += 1
            switch key {
            case .char(UInt8(ascii: " ")):
                if let p = paused {
                    let from = timeline.resumeFrame(pausedAt: FrameCount(p), fade: FrameCount(MixerTuning.transportFadeFrames))
                    let lead = playOverlays(loaded, mixer, ["tone-resume", "resumed"])
                    _ = mixer.pointee.send(.resume(token: token, from: from.value, delay: lead))
                    paused = nil
                } else {
                    _ = mixer.pointee.send(.pause(token: token))
                    paused = waitForPause(mixer, token: token).completed?.timeline ?? mixer.pointee.position.load(ordering: .acquiring)
                    playOverlays(loaded, mixer, ["tone-pause", "paused"])
                }
            case .char(UInt8(ascii: "n")), .char(UInt8(ascii: "p")):
                let pos = FrameCount(paused ?? mixer.pointee.position.load(ordering: .acquiring))
                if let target = timeline.skipTarget(from: pos, forward: key == .char(UInt8(ascii: "n")),
                                                    restartWindow: timeline.sampleRate.frames(seconds: 5)) {
                    _ = mixer.pointee.send(.seek(token: token, to: target.value))
                    if paused != nil { paused = target.value }
                }
            case .right, .left:
                let value = ((tempo.value + (key == .right ? 0.1 : -0.1)) * 1000).rounded() / 1000
                guard let next = Tempo(value) else {
                    say("Tempo stays \(tempo) (\(key == .right ? "the fastest is 2" : "the slowest is 0.25")).")
                    break
                }
                let pos = FrameCount(paused ?? mixer.pointee.position.load(ordering: .acquiring))
                guard case .success(let r) = retime(timeline, plan: loaded.plan, configTempo: config.tempo, to: next, at: pos,
                                                     margin: timeline.sampleRate.frames(seconds: 0.1) + FrameCount(2 * Int64(buffering.periodFrames))) else {
                    say("The session is ending; the tempo stays \(tempo).")
                    break
                }
                generation += 1
                let table = EventTable.make(loaded.kernelEvents(for: r.timeline), totalFrames: r.timeline.frames.value, generation: generation)
                guard mixer.pointee.send(.swap(table)) else {
                    table.free()
                    break
                }
                timeline = r.timeline
                tempo = next
                say("Tempo \(tempo), from the next phase.")
            case .char(UInt8(ascii: "?")), .char(UInt8(ascii: "h")):
                say(keyHelpText(width: Platform.terminalWidth()))
            case .char(UInt8(ascii: "q")), .char(UInt8(ascii: "Q")):
                _ = interruptCount.add(1, ordering: .relaxed)
            default: break
            }
        }
        if let capture {
            for text in capture.lines() {
                if isUnderrunMessage(text) { underruns += 1 } else { say(text) }
            }
        }
        if screen != nil {
            let frame = FrameCount(paused ?? mixer.pointee.position.load(ordering: .relaxed))
            screen?.draw(progressBar(timeline, at: frame, paused: paused != nil, underruns: underruns, width: Platform.terminalWidth()))
        }
        Platform.sleep(seconds: 0.05)
        if !stream.isActive { break }
    }
    // Keep feeding silence briefly: sound servers drop the last ~40 ms of a closing stream,
    // and the end chime must never be clipped.
    let tailFrames = Int64(rate.hz) * 4 / 10
    let endAt = mixer.pointee.outputPosition.load(ordering: .relaxed) + tailFrames
    while stream.isActive && mixer.pointee.outputPosition.load(ordering: .relaxed) < endAt {
        Platform.sleep(seconds: 0.02)
    }
    stream.stop()
    while let note = mixer.pointee.nextNote() {
        if case .swapped(let old) = note { old.free() }
    }
    if screen != nil {
        let stopped = interruptCount.load(ordering: .relaxed) > 0
        let frame = FrameCount(paused ?? mixer.pointee.position.load(ordering: .relaxed))
        screen?.finish((stopped ? "Stopped at \(formatClock(rate.seconds(frame)))." : "Session complete.")
                       + (underruns > 0 ? " (\(underruns) audio underrun\(underruns == 1 ? "" : "s"))" : ""))
    }
}

/// ALSA's report of a buffer that came too late ("ALSA lib pcm.c:...: underrun occurred").
func isUnderrunMessage(_ text: String) -> Bool {
    text.contains("underrun occurred") || text.contains("underrun!!!")
}

/// The terminal lines of foreground play: text printed once above, and one line redrawn in place.
struct PlayScreen {
    private var shown = ""

    /// Prints `text` (one or more lines) above the progress line, which is redrawn next time.
    mutating func above(_ text: String) {
        Platform.writeStdout("\r\u{1B}[K" + text + (text.hasSuffix("\n") ? "" : "\n"))
        shown = ""
    }

    mutating func draw(_ line: String) {
        guard line != shown else { return }
        shown = line
        Platform.writeStdout("\r\u{1B}[K" + line)
    }

    mutating func finish(_ text: String) {
        Platform.writeStdout("\r\u{1B}[K" + text + "\n")
        shown = ""
    }
}

/// The parts joined by " · ", broken between parts into lines shorter than `width` columns.
func wrapParts(_ parts: [String], width: Int) -> String {
    let room = max(20, width - 1)
    var lines: [String] = []
    var line = ""
    for part in parts {
        if line.isEmpty { line = part } else if line.count + 3 + part.count <= room { line += " · " + part } else {
            lines.append(line)
            line = part
        }
    }
    if !line.isEmpty { lines.append(line) }
    return lines.map { $0.count > room ? String($0.prefix(room - 1)) + "…" : $0 }.joined(separator: "\n")
}

/// The progress line of foreground play in fewer than `width` columns:
/// `[#####-----]  3:10 / 33:17  30:07 left · Back Lift (2/10) · contract · rep 2/3 · left · tempo 1`.
/// The bar takes a third of the line (8 to 40 columns); on a narrow terminal the place in the
/// session is cut first, then the bar goes.
public func progressBar(_ t: Timeline, at frame: FrameCount, paused: Bool, underruns: Int = 0, width: Int) -> String {
    let room = max(20, width - 1)
    let elapsed = t.sampleRate.seconds(min(frame, t.frames))
    let total = t.sampleRate.seconds(t.frames)
    let left = t.sampleRate.seconds(max(.zero, t.frames - frame))
    let times = (paused ? "paused " : "") + "\(formatClock(elapsed)) / \(formatClock(total))  \(formatClock(left)) left"
    var where_: [String] = []
    if let seg = t.segment(at: frame) {
        if let title = seg.exerciseTitle, let i = seg.exerciseIndex { where_.append("\(title) (\(i)/\(t.exerciseCount))") }
        where_.append(seg.phase.rawValue)
        if let rep = seg.rep, let reps = seg.reps { where_.append("rep \(rep)/\(reps)") }
        if let side = seg.side { where_.append(side.rawValue) }
    }
    where_.append("tempo \(t.tempo)")
    if underruns > 0 { where_.append("\(underruns) underrun\(underruns == 1 ? "" : "s")") }
    let barWidth = min(40, max(8, room / 3))
    let fraction = total > 0 ? elapsed / total : 0
    let filled = min(barWidth, max(0, Int(saturating: fraction * Double(barWidth), rounding: .down)))
    let bar = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled) + "]"
    var line = bar.count + 2 + times.count <= room ? bar + "  " + times : times
    let place = where_.joined(separator: " · ")
    if line.count + 3 + place.count <= room {
        line += " · " + place
    } else if room - line.count - 3 >= 8 {
        line += " · " + String(place.prefix(room - line.count - 4)) + "…"
    }
    return line.count > room ? String(line.prefix(room)) : line
}

/// What the audio thread reported for one pause: where its fade began and where it ended, each
/// as (output frame, timeline frame). Nil where it did not answer in time.
struct PauseReport {
    var started: (output: Int64, timeline: Int64)?
    var completed: (output: Int64, timeline: Int64)?
}

/// Waits (bounded, 0.5 s: a stalled device must not hang the caller) for the audio thread to
/// finish the pause fade of `token`. Other notes go to `other`.
func waitForPause(_ mixer: UnsafeMutablePointer<MixerState>, token: Int,
                  other: (MixerNote) -> Void = { if case .swapped(let old) = $0 { old.free() } }) -> PauseReport {
    var report = PauseReport()
    let deadline = Platform.monotonicSeconds() + 0.5
    while report.completed == nil && Platform.monotonicSeconds() < deadline {
        while let note = mixer.pointee.nextNote() {
            switch note {
            case let .pauseStarted(t, out, frame) where t == token: report.started = (out, frame)
            case let .paused(t, out, frame) where t == token: report.completed = (out, frame)
            default: other(note)
            }
        }
        if report.completed == nil { Platform.sleep(seconds: 0.001) }
    }
    return report
}

/// Queues overlay sounds one after the other on the output clock; returns the frames they take
/// (plus a short gap), so the timeline can resume after them.
@discardableResult
func playOverlays(_ loaded: LoadedSession, _ mixer: UnsafeMutablePointer<MixerState>, _ ids: [CueID], delay: Int64 = 0) -> Int64 {
    var at = delay
    let gap = Int64(loaded.plan.timeline.sampleRate.hz) * 15 / 100
    for id in ids {
        // A sound still being decoded (the daemon's `loading`) is left out rather than waited for.
        guard let cue = loaded.slots[id], loaded.isReady(id) else { continue }
        let info = loaded.plan.catalog[id]
        _ = mixer.pointee.send(.overlay(OverlayCue(samples: cue.samples, frames: cue.frames, channels: cue.channels,
                                                   gain: Float(info?.gain ?? 1), isVoice: info?.kind == .voice, delay: at)))
        at += cue.frames + gap
    }
    return at
}

/// Puts the terminal in non-canonical, no-echo mode for single-key commands, and back.
final class RawTerminal {
    var saved = termios()
    let ok: Bool

    init() {
        ok = tcgetattr(0, &saved) == 0
        guard ok else { return }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        tcsetattr(0, TCSANOW, &raw)
    }

    /// One key press: a byte, or an arrow key (ESC [ C / ESC [ D, also ESC O C / ESC O D).
    enum Key: Equatable {
        case char(UInt8)
        case left, right, other
    }

    func readKey() -> Key? {
        guard ok, let b = readByte() else { return nil }
        guard b == 0x1B else { return .char(b) }
        guard let introducer = readByte(), introducer == UInt8(ascii: "[") || introducer == UInt8(ascii: "O") else { return .other }
        // The rest of the sequence: parameters, then a final byte from @ to ~.
        while let c = readByte() {
            if (0x40...0x7E).contains(c) {
                switch c {
                case UInt8(ascii: "C"): return .right
                case UInt8(ascii: "D"): return .left
                default: return .other
                }
            }
        }
        return .other
    }

    private func readByte() -> UInt8? {
        var b: UInt8 = 0
        return read(0, &b, 1) == 1 ? b : nil
    }

    func restore() {
        if ok { tcsetattr(0, TCSANOW, &saved) }
    }
}
