#if canImport(Glibc)
import Glibc
#endif
import SomacueAudio
import SomacueCore
import SomacueLibrary
import SomacuePlatform
import SomacueProtocol
import SomacueRecords

// When the sound device goes away (a sound server restart, headphones disconnecting, suspend),
// the session waits at the start of the phase it was in, in state `waiting_for_device`. A cheap
// probe runs four times a second (a connect to the sound server's socket); once it answers,
// PortAudio is started again (the only way it lists devices anew) and the stream reopened. Only
// failures of that re-initialisation back off. Back on the device, a session that was playing
// resumes with the resume sound from the phase start; a paused one stays paused.

struct DeviceWait {
    static let probeIntervalMs = 250
    /// What to do once the device is back.
    var then: LivePlayer.State
    /// Wall-clock start of the wait.
    var since: Int64
    /// The phase start the session continues from.
    var frame: Int64
    /// Consecutive failed re-initialisations, and when the next may run (monotonic seconds).
    var failures = 0
    var nextAttempt = 0.0
}

extension JSONObject {
    func with(_ key: String, _ value: String) -> JSONObject {
        var o = self
        o.set(key, value)
        return o
    }
}

extension LivePlayer {
    /// The stream failed (or went inactive while paused): keep the session at the start of the
    /// current phase, release the device and PortAudio, and wait.
    func enterWait(_ a: Active) {
        let t = a.timeline
        let pos = FrameCount(min(a.pausedAt ?? a.position, t.frames.value))
        let phaseStart = t.segments.last(where: { $0.frame <= pos })?.frame.value ?? 0
        let then: State = state == .paused ? .paused : .playing
        a.stream.stop()
        a.stream.close()
        if a.holdsPortAudio {
            PortAudio.terminate()
            a.holdsPortAudio = false
        }
        a.waiting = DeviceWait(then: then, since: Platform.wallClock(), frame: phaseStart)
        a.pausedAt = phaseStart
        a.pendingSeek = nil
        saveState(a, at: phaseStart)
        events.append((.error, [("code", .string("device_error")),
                                ("message", .string("the audio device \(a.device) stopped; waiting for it to come back"))]))
        warn("audio device \(a.device) stopped; waiting for it (then \(then.rawValue), from \(formatClock(t.sampleRate.seconds(FrameCount(phaseStart)))))")
        setState(.waitingForDevice)
    }

    func setWaitTarget(_ then: State) -> Result<JSON, ProtocolError> {
        guard let a = active, var w = a.waiting else { return .failure(ProtocolError(.wrongState, "no session is waiting")) }
        w.then = then
        a.waiting = w
        var o = JSONObject()
        o.set("state", state.rawValue)
        o.set("then", then.rawValue)
        o.set("frame", w.frame)
        o.set("elapsed", a.timeline.sampleRate.seconds(FrameCount(w.frame)))
        return .success(o.json)
    }

    func stopWhileWaiting(_ a: Active) -> Result<JSON, ProtocolError> {
        let frame = a.waiting?.frame ?? 0
        recordHistory(a, .stopped, at: frame)
        stateWriter?.remove()
        log("stopped \(place(a, frame)) while waiting for the audio device")
        events.append((.finished, [("session", .string(a.timeline.sessionID)), ("reason", .string("stopped"))]))
        closeActive(emitIdle: true)
        var o = JSONObject()
        o.set("state", "idle")
        o.set("elapsed", a.timeline.sampleRate.seconds(FrameCount(frame)))
        return .success(o.json)
    }

    /// One step of the wait: probe, and when the probe answers, reopen the device.
    func tickWaiting(_ a: Active) {
        guard var w = a.waiting else { return }
        let now = Platform.monotonicSeconds()
        guard now >= w.nextAttempt, SoundServerProbe.answers() else { return }
        switch reopen(a, at: w.frame) {
        case .success:
            a.waiting = nil
            log("audio device \(a.device) is back after \(Platform.wallClock() - w.since) s")
            setState(.paused)
            if w.then == .playing { _ = resume() }
        case .failure(let error):
            w.failures += 1
            // 0.5 s, 1 s, 2 s, ... up to 8 s between attempts that fail.
            w.nextAttempt = now + min(8, 0.25 * Double(1 << min(w.failures, 6)))
            a.waiting = w
            if w.failures == 1 || w.failures % 10 == 0 { warn("the audio device is not usable yet (\(error.message)); trying again") }
        }
    }

    /// PortAudio again, a fresh mixer held at `frame` on the session's current timeline, and a
    /// new stream on the configured device.
    func reopen(_ a: Active, at frame: Int64) -> Result<Void, ProtocolError> {
        let t = a.timeline
        let mixer = MixerState.allocate(events: a.loaded.kernelEvents(for: t), totalFrames: t.frames.value,
                                        master: Float(volumes.master), voice: Float(volumes.voice), tone: Float(volumes.tone),
                                        guide: a.loaded.guideSegments(for: t))
        MixerState.holdBeforeStart(mixer, at: frame)
        let stream: PortAudioOutputStream
        switch openStream(playing: mixer, rate: t.sampleRate) {
        case .success(let opened): stream = opened.stream
        case .failure(let e): return .failure(e)
        }
        // The old stream is closed, so its mixer is no longer read by any thread.
        MixerState.deallocate(a.mixer)
        a.mixer = mixer
        a.stream = stream
        a.holdsPortAudio = true
        a.pausedAt = frame
        a.lastSegment = -1
        a.nextEvent = t.events.firstIndex { $0.frame >= FrameCount(frame) } ?? t.events.count
        return .success(())
    }
}

/// Whether the sound server answers, without PortAudio: a connect to its Unix socket
/// (`$PULSE_SERVER` as `unix:PATH`, else `$XDG_RUNTIME_DIR/pulse/native`, which PipeWire serves
/// too). Without a known socket (a direct ALSA device) it says yes, and the re-initialisation,
/// with its back-off, is the probe.
enum SoundServerProbe {
    static func socketPath() -> String? {
        if let server = Platform.env("PULSE_SERVER") {
            for part in server.split(separator: " ") where part.hasPrefix("unix:") { return String(part.dropFirst(5)) }
            if server.hasPrefix("/") { return server }
            return nil
        }
        return Platform.env("XDG_RUNTIME_DIR").map { $0 + "/pulse/native" }
    }

    static func answers() -> Bool {
        guard let path = socketPath() else { return true }
        if !Platform.exists(path) { return Platform.env("PULSE_SERVER") == nil && !Platform.exists(Platform.dirname(path)) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return true }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return result == 0
    }
}
