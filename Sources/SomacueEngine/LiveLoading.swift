import SomacueAudio
import SomacueCore
import SomacueLibrary
import SomacuePlatform
import SomacueProtocol
import Synchronization

// The daemon's start model (issue 6, defect 7; issue 7): `start` plans the session and checks
// every cue header (from the header cache), then replies `loading` at once. Off the control
// thread the cues decode on every core (`CueDecoding`, or mapped from the decoded-cue cache) and
// the device opens on a thread of its own (`DeviceOpening`); the stream starts once the cues of
// the first 30 seconds are ready, and the kernel never plays past the first cue that is not
// decoded yet (`MixerState.playable`): it waits rather than skip one. Once every cue is in place
// the session becomes an ordinary `Active` one (`playing`). A decode error becomes an `error`
// event and the session ends with the stop sound; `stop` cancels the loading.

/// Opens the device and starts the stream on a thread of its own (PortAudio's start-up takes
/// about 100 ms against a sound server), so `start` replies at once and the control loop keeps
/// answering. The control thread reads the outcome on its ticks.
final class DeviceOpening: @unchecked Sendable {
    enum Outcome { case opened(PortAudioOutputStream, String), failed(String) }
    private let outcome = Mutex<Outcome?>(nil)
    var result: Outcome? { outcome.withLock { $0 } }

    /// `readyToStart` is polled (every 2 ms) between opening and starting the stream; once
    /// `cancelled` says so, the stream is closed without being started (outcome `failed`).
    func begin(requested: String, rate: SampleRate, buffering: OutputBuffering, mixer: UnsafeMutablePointer<MixerState>,
               cancelled: @escaping @Sendable () -> Bool, readyToStart: @escaping @Sendable () -> Bool) {
        let address = Int(bitPattern: UnsafeMutableRawPointer(mixer))
        let body: @Sendable () -> Void = {
            do { try PortAudio.initialize() } catch {
                self.outcome.withLock { $0 = .failed("cannot start PortAudio: \(error)") }
                return
            }
            do {
                let device = try PortAudio.resolveOutputDevice(requested)
                let stream = try PortAudioOutputStream(device: device, sampleRate: rate, channels: 2,
                                                       framesPerBuffer: buffering.periodFrames,
                                                       suggestedLatency: buffering.suggestedLatency, callback: mixerStreamCallback,
                                                       userData: UnsafeMutableRawPointer(bitPattern: address))
                while !cancelled() && !readyToStart() { Platform.sleep(seconds: 0.002) }
                if cancelled() {
                    stream.close()
                    PortAudio.terminate()
                    self.outcome.withLock { $0 = .failed("cancelled before it started") }
                    return
                }
                do { try stream.start() } catch {
                    stream.close()
                    throw error
                }
                self.outcome.withLock { $0 = .opened(stream, device.name) }
            } catch {
                PortAudio.terminate()
                self.outcome.withLock { $0 = .failed("\(error)".dropPrefix("somacue: ")) }
            }
        }
        if !Platform.detachThread(body) { body() }
    }
}

/// Lets a loading session's stream start: open at once for a `start`, only at the swap for a
/// `start --replace` that waits while the session it replaces goes on (PendingReplace.swift).
final class LoadGate: Sendable {
    let isOpen: Atomic<Bool>
    init(open: Bool) { isOpen = Atomic(open) }
}

/// A session between `start` and `playing` (or, for a session brought back from state.json,
/// between the daemon's start and `paused`).
final class Loading: SessionProgress {
    /// A saved session being brought back: it is held at `frame` and becomes `paused` there.
    struct Restore {
        let frame: Int64
        let savedAt: Int64
        let phase: String
    }

    let loaded: LoadedSession
    let mixer: UnsafeMutablePointer<MixerState>
    var opening: DeviceOpening
    let gate: LoadGate
    /// The timeline frame up to which the cues must be in place before the stream starts.
    let horizon: Int64
    let voice: String
    let inputs: String
    let startTempo: Tempo
    let restore: Restore?
    var startedAt = Platform.wallClock()
    /// `start`'s `at`: the exercise (1-based) to jump to once every cue is in place.
    var startAt: Int?
    /// The tempo forced by `start` (`tempo`, `fit` or an idle tempo change), for the session.
    var forcedTempo: Tempo?
    var lastSegment = -1
    var lastExercise: Int?
    var nextEvent = 0
    let started = Platform.monotonicSeconds()
    var stream: PortAudioOutputStream?
    var device: String
    /// Set once the session ended during loading (stop, or a decode error): the stop sound plays
    /// until this output frame, then everything is closed.
    var closeAfterOutput: Int64?
    /// The cues with a measured loudness whose gains the kernel's table holds
    /// (`LoadedSession.frontier(for:gainsIn:)`), and those of a table swap not applied yet.
    var gainsIn: Set<CueID> = []
    var swapInFlight: Set<CueID>?
    /// A pending replace whose device would not open beside the session there: it opens again
    /// once that one is closed (PendingReplace.swift).
    var openAfterSwap = false

    init(loaded: LoadedSession, mixer: UnsafeMutablePointer<MixerState>, opening: DeviceOpening, gate: LoadGate,
         horizon: Int64, device: String, voice: String, inputs: String, startTempo: Tempo, restore: Restore?) {
        self.loaded = loaded
        self.mixer = mixer
        self.opening = opening
        self.gate = gate
        self.horizon = horizon
        self.device = device
        self.voice = voice
        self.inputs = inputs
        self.startTempo = startTempo
        self.restore = restore
    }

    var timeline: Timeline { loaded.plan.timeline }
    var tempo: Tempo { timeline.tempo }
    var position: Int64 { mixer.pointee.position.load(ordering: .acquiring) }
    /// Enough cues are in place for the stream to start (`horizon`).
    var readyToSound: Bool { loaded.isDecoded || loaded.frontier(for: timeline) >= horizon }
}

extension LivePlayer {
    /// Starts decoding (unless `loaded` already has) and opening the device for `planned`;
    /// returns at once. With `restore`,
    /// the stream starts held at the saved phase start and the session becomes `paused` there.
    /// With `pending`, the session is not made the loading one and its stream does not start
    /// until its gate opens (`start --replace`, PendingReplace.swift).
    @discardableResult
    func beginLoading(_ planned: PlannedSession, voice: String, restore: Loading.Restore? = nil,
                      inputs: String? = nil, startTempo: Tempo? = nil, loaded ready: LoadedSession? = nil,
                      startAt: Int? = nil, forcedTempo: Tempo? = nil, pending: Bool = false) -> Result<Loading, ProtocolError> {
        let loaded: LoadedSession
        if let ready { loaded = ready } else {
            do {
                loaded = try LoadedSession(plan: planned, quality: ResamplerQuality(config: config),
                                           voiceLUFS: config.voiceLUFS, toneLUFS: config.toneLUFS)
            } catch {
                return .failure(ProtocolError(.internalError, error.message.dropPrefix("somacue: ")))
            }
        }
        var cfg = config
        cfg.masterVolume = volumes.master
        cfg.voiceVolume = volumes.voice
        cfg.toneVolume = volumes.tone
        let (mixer, gainsIn) = loaded.makeMixerNow(config: cfg)
        let timeline = planned.timeline
        mixer.pointee.playable.store(loaded.frontier(for: timeline, gainsIn: gainsIn), ordering: .releasing)
        if let restore { MixerState.holdBeforeStart(mixer, at: restore.frame) }
        // A pending replace's stream starts in silence, held before its first frame; the swap
        // lets it begin in the same tick that fades out the session there (PendingReplace.swift).
        // A start at an exercise is held too, until the tick that jumps there: a stream that
        // started playing could render its pre-roll and the opening's first syllables in its
        // first buffer (two periods, 200 ms at the default latency) before that tick.
        if pending || startAt != nil { MixerState.holdBeforeStart(mixer, at: 0) }
        // Everything the first 30 s need (or the whole session) decoded before the stream starts;
        // a held stream plays silence, so a restored session's may start at once.
        // A start at an exercise (`at`) waits for every cue: it jumps there once all are in place,
        // within the silent pre-roll.
        let horizon = restore != nil ? Int64.min
            : startAt != nil ? Int64.max
            : min(timeline.frames.value, (timeline.events.first?.frame.value ?? 0) + Int64(timeline.sampleRate.hz) * 30)
        let l = Loading(loaded: loaded, mixer: mixer, opening: DeviceOpening(), gate: LoadGate(open: !pending), horizon: horizon,
                        device: config.device, voice: voice, inputs: inputs ?? Self.fingerprint(planned),
                        startTempo: startTempo ?? timeline.tempo, restore: restore)
        l.startAt = startAt
        l.forcedTempo = forcedTempo
        l.gainsIn = gainsIn
        openDevice(l)
        if !pending { loading = l }
        return .success(l)
    }

    /// Opens `l`'s device on a thread of its own (`DeviceOpening`); its stream starts once the
    /// gate is open and the cues up to the horizon are in place.
    func openDevice(_ l: Loading) {
        let opening = DeviceOpening()
        l.opening = opening
        let loaded = l.loaded, timeline = l.timeline, gate = l.gate, horizon = l.horizon
        // Any set of gains the kernel's table already holds will do (they only grow).
        let gainsIn = l.gainsIn
        let address = Int(bitPattern: UnsafeMutableRawPointer(l.mixer))
        opening.begin(requested: config.device, rate: timeline.sampleRate,
                      buffering: OutputBuffering(latencyMs: config.latencyMs, sampleRate: timeline.sampleRate), mixer: l.mixer,
                      cancelled: { loaded.isCancelled }) {
            guard gate.isOpen.load(ordering: .acquiring) else { return false }
            guard loaded.isDecoded || loaded.frontier(for: timeline) >= horizon else { return false }
            // Published here too, not only on the control thread's ticks: a sound server may ask
            // for a large first buffer at once, before the next tick. The frontier only grows
            // (cues are never un-decoded, a gain in a table stays in every later one), so every
            // writer takes the maximum. This thread knows the first table's gains only: a cue
            // measured since waits for the control thread's swap (within the pre-roll).
            let frontier = loaded.frontier(for: timeline, gainsIn: gainsIn)
            UnsafeMutablePointer<MixerState>(bitPattern: address)!.pointee.playable.max(frontier, ordering: .releasing)
            return true
        }
    }

    /// Commands while loading: `stop` ends it; transport changes wait until the session plays.
    func handleWhileLoading(_ command: Command, _ l: Loading) -> Result<JSON, ProtocolError>? {
        switch command {
        case .stop:
            let elapsed = l.timeline.sampleRate.seconds(FrameCount(min(l.restore?.frame ?? l.position, l.timeline.frames.value)))
            endLoading(l, reason: "stopped")
            var o = JSONObject()
            o.set("state", "idle")
            o.set("elapsed", elapsed)
            return .success(o.json)
        case .pause, .resume, .toggle, .next, .prev, .tempo:
            return .failure(ProtocolError(.wrongState, "the session is still loading its audio; this works once it plays"))
        case .volume:
            let result = handleVolumeOnly(command)
            _ = l.mixer.pointee.send(.volume(master: Float(volumes.master), voice: Float(volumes.voice), tone: Float(volumes.tone)))
            return result
        default:
            return nil
        }
    }

    private func handleVolumeOnly(_ command: Command) -> Result<JSON, ProtocolError> {
        guard case .volume(let cls, let value) = command else { return .failure(ProtocolError(.internalError, "not a volume command")) }
        return setVolume(cls, value)
    }

    /// Ends a loading session: cancel decoding, fade, the stop sound where the stream runs, then
    /// close (on a later tick). The history records a stop like any other (a restored session at
    /// its saved phase start); an error only once some of the session was heard. The saved state
    /// goes: the session is over.
    func endLoading(_ l: Loading, reason: String) {
        l.loaded.cancel()
        if l.closeAfterOutput == nil {
            events.append((.finished, [("session", .string(l.timeline.sessionID)), ("reason", .string(reason))]))
            log("\(reason == "error" ? "ended after an error" : reason) \(l.timeline.sessionID) while loading")
            let at = l.restore?.frame ?? l.position
            if reason == "stopped" {
                recordHistory(l, .stopped, at: at)
            } else if at > 0 {
                recordHistory(l, .interrupted, at: at)
            }
            stateWriter?.remove()
        }
        token += 1
        _ = l.mixer.pointee.send(.stop(token: token))
        let lead = playOverlays(l.loaded, l.mixer, ["tone-stop", "stopped"], delay: MixerTuning.stopFadeFrames)
        let out = l.mixer.pointee.outputPosition.load(ordering: .acquiring)
        l.closeAfterOutput = out + lead + Int64(l.timeline.sampleRate.hz) * 2 / 5
        setState(.idle)
        if l.stream == nil && l.opening.result == nil {
            // The device is still opening: close it as soon as that is done, without a sound.
            l.closeAfterOutput = 0
        }
    }

    /// A saved session that cannot be brought back now (device or decoding): logged, closed
    /// without a sound, and its state file kept for the next daemon (as when the device is
    /// missing at start-up).
    func abandonRestore(_ l: Loading, _ why: String) {
        warn("cannot restore \(l.timeline.sessionID) now: \(why)")
        l.loaded.cancel()
        l.closeAfterOutput = 0
        setState(.idle)
    }

    /// The control thread's part of loading, on every tick (5 ms).
    func tickLoading(_ l: Loading) {
        if l.stream == nil, let outcome = l.opening.result {
            switch outcome {
            case .opened(let stream, let name):
                l.stream = stream
                l.device = name
                log("audio device \(name) open, \(formatNumber(((Platform.monotonicSeconds() - l.started) * 1000).rounded())) ms after start")
                logAudioPriority(stream)
            case .failed(let message):
                if l.closeAfterOutput == nil {
                    if l.restore != nil {
                        abandonRestore(l, message)
                    } else {
                        events.append((.error, [("code", .string("device_error")), ("message", .string(message))]))
                        warn("cannot open the audio device: \(message)")
                        events.append((.finished, [("session", .string(l.timeline.sessionID)), ("reason", .string("error"))]))
                        stateWriter?.remove()
                    }
                }
                l.loaded.cancel()
                MixerState.deallocate(l.mixer)
                loading = nil
                trimSoon = true
                setState(.idle)
                return
            }
        }
        if let close = l.closeAfterOutput {
            guard let stream = l.stream else { return }  // still opening
            let out = l.mixer.pointee.outputPosition.load(ordering: .acquiring)
            if out >= close || !stream.isActive {
                stream.stop()
                stream.close()
                PortAudio.terminate()
                MixerState.deallocate(l.mixer)
                loading = nil
                trimSoon = true
            }
            return
        }
        do { try l.loaded.checkDecoded() } catch {
            let message = error.message.dropPrefix("somacue: ")
            if l.restore != nil {
                abandonRestore(l, message)
                return
            }
            events.append((.error, [("code", .string("invalid_session")), ("message", .string(message))]))
            warn("cannot decode the cues of \(l.timeline.sessionID): \(message)")
            endLoading(l, reason: "error")
            return
        }
        let frontier = refreshGains(l)
        l.mixer.pointee.playable.max(frontier, ordering: .releasing)
        // The first cues may sound already: phases and cues are announced (and saved) as they pass.
        if l.restore == nil { announceProgress(l, at: FrameCount(min(l.position, l.timeline.frames.value))) }
        // Int64.max: every cue decoded, and every measured gain in the kernel's table.
        guard frontier == Int64.max, let stream = l.stream else { return }
        // Every cue is in place and the stream runs: an ordinary session from here on.
        let a = Active(loaded: l.loaded, mixer: l.mixer, stream: stream, device: l.device, voice: l.voice)
        a.inputs = l.inputs
        a.startTempo = l.startTempo
        a.startedAt = l.startedAt
        a.lastSegment = l.lastSegment
        a.lastExercise = l.lastExercise
        a.nextEvent = l.nextEvent
        a.forcedTempo = l.forcedTempo
        loading = nil
        active = a
        let ready = "\(l.loaded.slots.count) cues ready (\(l.loaded.cuesFromCache) from the cache) in "
            + "\(formatNumber((l.loaded.decodingSeconds * 1000).rounded())) ms"
        if let r = l.restore {
            a.pausedAt = r.frame
            a.restoredFrom = r.savedAt
            setState(.paused)
            log("restored \(l.timeline.sessionID), paused at the start of its \(r.phase) phase "
                + "(\(formatClock(l.timeline.sampleRate.seconds(FrameCount(r.frame))))); `somacue resume` continues; \(ready)")
        } else {
            log("playing \(l.timeline.sessionID) on \(l.device) at tempo \(l.timeline.tempo): \(ready)")
            setState(.playing)
            if let first = l.startAt {
                if let seg = a.timeline.positionSegment(ofExercise: first) { _ = jump(a, to: a.timeline.segments[seg].frame) }
                // Held before its first frame until now (beginLoading): it begins where it landed.
                _ = a.mixer.pointee.send(.begin)
            }
        }
    }

    /// Keeps the kernel's table up with the loudness the decoders measure (cues without a stored
    /// `lufs`): when the kernel would wait only for gains its table lacks, a table with every
    /// gain known now is swapped in (one swap at a time; it applies at the next callback, or at
    /// the first once the stream starts). Returns the frontier for the table in use.
    func refreshGains(_ l: Loading) -> Int64 {
        while let note = l.mixer.pointee.nextNote() {
            if case .swapped(let old) = note {
                old.free()
                if let s = l.swapInFlight { l.gainsIn = s }
                l.swapInFlight = nil
            }
        }
        let frontier = l.loaded.frontier(for: l.timeline, gainsIn: l.gainsIn)
        guard frontier != Int64.max, l.swapInFlight == nil, !l.loaded.measuredCues.isSubset(of: l.gainsIn) else { return frontier }
        let decodedUpTo = l.loaded.isDecoded ? Int64.max : l.loaded.frontier(for: l.timeline)
        guard frontier < decodedUpTo else { return frontier }  // held back by decoding, not by a gain
        let (events, included) = l.loaded.kernelTable(for: l.timeline)
        guard included != l.gainsIn else { return frontier }
        let table = EventTable.make(events, totalFrames: l.timeline.frames.value, guide: l.loaded.guideSegments(for: l.timeline))
        if l.mixer.pointee.send(.swap(table)) { l.swapInFlight = included } else { table.free() }  // full: next tick
        return frontier
    }

    /// The `status` data while a session loads.
    func loadingStatus(_ l: Loading) -> JSON {
        var o = JSONObject()
        o.set("state", state.rawValue)
        o.set("session", sessionJSON(l, at: l.position))
        setPlace(&o, l.timeline, at: FrameCount(min(l.position, l.timeline.frames.value)))
        o.set("tempo", l.timeline.tempo.value)
        o.set("voice", l.voice)
        o.set("device", l.device)
        if let r = l.restore {
            o.set("restored", true)
            o.set("saved", Platform.isoUTC(r.savedAt))
        }
        if let p = pending { o.set("pending", pendingJSON(p)) }
        o.set("volume", volumeJSON())
        o.set("clients", clientCount)
        return o.json
    }

    /// Daemon shutdown while loading: stop decoding, and close a device that is (or becomes,
    /// within the deadline) open.
    func shutdownLoading(_ l: Loading, deadline: Double) {
        l.loaded.cancel()
        while l.opening.result == nil && Platform.monotonicSeconds() < deadline { Platform.sleep(seconds: 0.01) }
        if case .opened(let stream, _)? = l.opening.result {
            stream.stop()
            stream.close()
            PortAudio.terminate()
            MixerState.deallocate(l.mixer)
        } else if case .failed? = l.opening.result {
            MixerState.deallocate(l.mixer)
        }
        if loading === l { loading = nil }
    }

    /// Closes a replaced loading session once its device opening has finished and its stream
    /// has played up to `closeAfterOutput` (a fade); true when done.
    func closeWhenOpened(_ l: Loading) -> Bool {
        l.loaded.cancel()
        guard let outcome = l.opening.result else { return false }
        if case .opened(let stream, _) = outcome {
            if let close = l.closeAfterOutput, stream.isActive,
               l.mixer.pointee.outputPosition.load(ordering: .acquiring) < close { return false }
            stream.stop()
            stream.close()
            PortAudio.terminate()
        }
        MixerState.deallocate(l.mixer)
        trimSoon = true
        return true
    }

    /// Gives freed heap back to the system once nothing is loaded or playing.
    func trimIfIdle() {
        guard trimSoon, active == nil, loading == nil, pending == nil, closingLoads.isEmpty, retiring.isEmpty else { return }
        trimSoon = false
        Platform.trimHeap()
    }
}
