import SomacueAudio
import SomacueCore
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

/// Plays a loaded session in the foreground through PortAudio. Returns when the session (and
/// a short tail of silence) has been played, or after a Ctrl-C fade-out.
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
    let stream: PortAudioOutputStream
    do {
        stream = try PortAudioOutputStream(device: device, sampleRate: rate, channels: 2, framesPerBuffer: 0,
                                           suggestedLatency: config.latencyMs / 1000,
                                           callback: mixerStreamCallback, userData: UnsafeMutableRawPointer(mixer))
    } catch {
        throw EngineError("\(error)", status: ExitStatus.unavailable)
    }
    defer { stream.close() }
    signal(SIGINT, onInterrupt)
    defer { signal(SIGINT, SIG_DFL) }
    do { try stream.start() } catch {
        throw EngineError("\(error)", status: ExitStatus.unavailable)
    }
    let timeline = loaded.plan.timeline
    var line = ""
    let keys = Platform.isTerminal(0) ? RawTerminal() : nil
    defer { keys?.restore() }
    var paused: Int64?
    var token = 0
    while !mixer.pointee.finished.load(ordering: .acquiring) {
        if interruptCount.load(ordering: .relaxed) > 0 {
            mixer.pointee.stopRequested.store(true, ordering: .releasing)
        }
        // Keys: space pauses and resumes, n and p skip, q stops (as Ctrl-C does).
        while let key = keys?.readKey() {
            token += 1
            switch key {
            case UInt8(ascii: " "):
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
            case UInt8(ascii: "n"), UInt8(ascii: "p"):
                let pos = FrameCount(paused ?? mixer.pointee.position.load(ordering: .acquiring))
                if let target = timeline.skipTarget(from: pos, forward: key == UInt8(ascii: "n"),
                                                    restartWindow: timeline.sampleRate.frames(seconds: 5)) {
                    _ = mixer.pointee.send(.seek(token: token, to: target.value))
                    if paused != nil { paused = target.value }
                }
            case UInt8(ascii: "q"), UInt8(ascii: "Q"):
                _ = interruptCount.add(1, ordering: .relaxed)
            default: break
            }
        }
        if showProgress {
            var text = progressLine(timeline, at: FrameCount(paused ?? mixer.pointee.position.load(ordering: .relaxed)))
            if paused != nil { text = "paused · " + text }
            if text != line {
                line = text
                let width = Platform.terminalWidth() - 1
                let shown = text.count > width ? String(text.prefix(width)) : text
                Platform.writeStdout("\r\u{1B}[K" + shown)
            }
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
    if showProgress {
        let stopped = interruptCount.load(ordering: .relaxed) > 0
        Platform.writeStdout("\r\u{1B}[K" + (stopped ? "Stopped.\n" : "Session complete.\n"))
    }
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
        guard let cue = loaded.cues[id], let base = cue.pcm.baseAddress else { continue }
        let info = loaded.plan.catalog[id]
        _ = mixer.pointee.send(.overlay(OverlayCue(samples: base, frames: cue.frames.value, channels: cue.channels,
                                                   gain: Float(info?.gain ?? 1), isVoice: info?.kind == .voice, delay: at)))
        at += cue.frames.value + gap
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

    func readKey() -> UInt8? {
        guard ok else { return nil }
        var b: UInt8 = 0
        return read(0, &b, 1) == 1 ? b : nil
    }

    func restore() {
        if ok { tcsetattr(0, TCSANOW, &saved) }
    }
}

/// "Arch and Flatten (1/10) · contract · rep 2/3 · left · 12:04 left"
public func progressLine(_ t: Timeline, at frame: FrameCount) -> String {
    let left = formatClock(t.sampleRate.seconds(max(.zero, t.frames - frame)))
    guard let seg = t.segment(at: frame) else { return left + " left" }
    var parts: [String] = []
    if let title = seg.exerciseTitle, let i = seg.exerciseIndex {
        parts.append("\(title) (\(i)/\(t.exerciseCount))")
    } else {
        parts.append(t.sessionTitle)
    }
    parts.append(seg.phase.rawValue)
    if let rep = seg.rep, let reps = seg.reps { parts.append("rep \(rep)/\(reps)") }
    if let side = seg.side { parts.append(side.rawValue) }
    parts.append("\(left) left")
    return parts.joined(separator: " · ")
}
