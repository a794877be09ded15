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
    while !mixer.pointee.finished.load(ordering: .acquiring) {
        if interruptCount.load(ordering: .relaxed) > 0 {
            mixer.pointee.stopRequested.store(true, ordering: .releasing)
        }
        if showProgress {
            let text = progressLine(timeline, at: FrameCount(mixer.pointee.position.load(ordering: .relaxed)))
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
    let endAt = mixer.pointee.position.load(ordering: .relaxed) + tailFrames
    while stream.isActive && mixer.pointee.position.load(ordering: .relaxed) < endAt {
        Platform.sleep(seconds: 0.02)
    }
    stream.stop()
    if showProgress {
        let stopped = interruptCount.load(ordering: .relaxed) > 0
        Platform.writeStdout("\r\u{1B}[K" + (stopped ? "Stopped.\n" : "Session complete.\n"))
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
