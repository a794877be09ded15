import SomacueAudio
import SomacueCore
import SomacueLibrary
import SomacuePlatform
import SomacueProtocol
import SomacueRecords
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's player: one session at a time, steered by protocol commands, played through
/// PortAudio with the same kernel as `render`. Runs on the daemon's control thread; the audio
/// callback is reached only through the mixer's atomics and rings.
///
/// The device is open only while a session plays or is paused. When idle, the player holds no
/// stream, no PortAudio instance and asks for no timer.
public final class LivePlayer {
    public enum State: String { case idle, loading, playing, paused, waitingForDevice = "waiting_for_device" }
    /// How a line of the player's log counts: the session's course is `info`, a device or file
    /// problem the daemon lives with is a `warning` (the daemon maps them to journald priorities).
    public enum LogLevel: Sendable { case info, warning }

    /// Overlay sounds for transport changes, so every state change is audible.
    public static let overlayCues: [CueRequirement] = [
        CueRequirement(id: "tone-pause", kind: .tone, text: nil),
        CueRequirement(id: "tone-resume", kind: .tone, text: nil),
        CueRequirement(id: "tone-stop", kind: .tone, text: nil),
        CueRequirement(id: "paused", kind: .voice, text: BuiltinCue.text("paused")),
        CueRequirement(id: "resumed", kind: .voice, text: BuiltinCue.text("resumed")),
        CueRequirement(id: "stopped", kind: .voice, text: BuiltinCue.text("stopped")),
    ]

    final class Active: SessionProgress {
        let loaded: LoadedSession
        var timeline: Timeline
        /// Replaced when the device comes back after a loss (see DeviceWait.swift).
        var mixer: UnsafeMutablePointer<MixerState>
        var stream: PortAudioOutputStream
        /// Set while the device is gone: the session waits at a phase start (DeviceWait.swift).
        var waiting: DeviceWait?
        /// False while waiting: PortAudio was terminated so that it re-lists devices.
        var holdsPortAudio = true
        let device: String
        let voice: String
        var tempo: Tempo
        /// The tempo every step plays at (`--tempo`, `--fit` or a live change), or nil when each
        /// step keeps its own: what a re-layout of the rest of the session must use.
        var forcedTempo: Tempo?
        var pausedAt: Int64?
        var lastSegment = -1
        var lastExercise: Int?
        var nextEvent = 0
        var finishedAt: Int64?
        var closeAfterOutput: Int64?
        var generation = 0
        /// A seek sent to the audio thread and not yet applied: until then, the position to
        /// reason from (two quick `next`s must move two exercises).
        var pendingSeek: (token: Int, frame: Int64)?
        /// Wall-clock start, for the history (a restored session keeps its first start).
        var startedAt = Platform.wallClock()
        /// Fingerprint of the layout at the starting tempo, and that tempo (for state.json).
        var inputs = ""
        var startTempo: Tempo
        /// Brought back from state.json by a new daemon: when that was saved.
        var restoredFrom: Int64?

        /// The timeline frame playing now, or the one a pending seek will jump to.
        var position: Int64 { pendingSeek?.frame ?? mixer.pointee.position.load(ordering: .acquiring) }

        init(loaded: LoadedSession, mixer: UnsafeMutablePointer<MixerState>,
             stream: PortAudioOutputStream, device: String, voice: String) {
            self.loaded = loaded
            self.timeline = loaded.plan.timeline
            self.mixer = mixer
            self.stream = stream
            self.device = device
            self.voice = voice
            self.tempo = loaded.plan.timeline.tempo
            self.startTempo = loaded.plan.timeline.tempo
        }
    }

    public private(set) var paths: Paths
    public private(set) var config: Config
    public private(set) var library: Library
    /// The files `library` was read from (LibraryRefresh.swift).
    var libraryFiles = LibraryFiles()
    let configPath: String?
    let logLine: (LogLevel, String) -> Void
    var active: Active?
    /// A session between `start` and `playing` (LiveLoading.swift).
    var loading: Loading?
    /// Loading sessions replaced while their device was still opening: closed once it is open.
    var closingLoads: [Loading] = []
    /// A `start --replace` loading beside the session it replaces (PendingReplace.swift).
    var pending: Loading?
    /// Sessions replaced by a pending one: their stream fades out, then they are closed.
    var retiring: [Active] = []
    /// Set when a session's memory was let go; the next tick trims the heap.
    var trimSoon = false
    public private(set) var state = State.idle
    var events: [(EventName, [(String, JSON)])] = []
    var token = 0
    var volumes: (master: Double, voice: Double, tone: Double)
    var durations: [String: Double]?
    /// A tempo set while idle: the next sessions play at it (over their own tempos) until a reload.
    var liveTempo: Tempo?
    public var clientCount = 0
    /// Called after a successful reload with the new configuration (the server's limits).
    public var onReload: ((Config) -> Void)?
    /// Keeps state.json (nil when there is no state folder).
    var stateWriter: StateWriter?

    public init(paths: Paths, configPath: String?, log: @escaping (LogLevel, String) -> Void) throws(EngineError) {
        self.paths = paths
        self.configPath = configPath
        self.logLine = log
        (config, _) = try loadConfig(explicitPath: configPath, paths: paths)
        libraryFiles = LibraryFiles.scan(paths: paths)
        library = Library.load(paths: paths)
        volumes = (config.masterVolume, config.voiceVolume, config.toneVolume)
        for d in library.diagnostics { log(.warning, "library: \(d)") }
        if let path = StateFile.path() {
            nonisolated(unsafe) let sendableLog = log
            stateWriter = StateWriter(path: path) { sendableLog(.warning, $0) }
        }
    }

    /// A line about the session's course (started, paused, resumed, finished, stopped).
    func log(_ message: String) { logLine(.info, message) }
    /// A problem the player lives with: the device, a file it cannot write.
    func warn(_ message: String) { logLine(.warning, message) }

    /// The session's id and the clock time of `frame`, for the log.
    func place(_ a: Active, _ frame: Int64) -> String {
        "\(a.timeline.sessionID) at \(formatClock(a.timeline.sampleRate.seconds(FrameCount(max(0, frame)))))"
    }

    // MARK: Commands

    public func handle(_ command: Command) -> Result<JSON, ProtocolError> {
        if case .stop = command, let p = pending {
            // `stop` means silence: the pending replacement goes with the session it was to replace.
            dropPending(p, why: "stop")
            if state == .idle && loading == nil { return .success(.object([("state", .string("idle"))])) }
        }
        if let l = loading, l.closeAfterOutput == nil, let r = handleWhileLoading(command, l) { return r }
        switch command {
        case .start, .sessions:
            // New, changed and removed session, exercise and voice files count without `reload`.
            refreshLibrary()
        default: break
        }
        switch command {
        case .start(let args): return start(args)
        case .pause where state == .waitingForDevice: return setWaitTarget(.paused)
        case .resume where state == .waitingForDevice: return setWaitTarget(.playing)
        case .toggle where state == .waitingForDevice: return setWaitTarget(active?.waiting?.then == .paused ? .playing : .paused)
        case .next where state == .waitingForDevice, .prev where state == .waitingForDevice,
             .whereAmI where state == .waitingForDevice:
            return .failure(ProtocolError(.wrongState, "waiting for the audio device; `stop` ends the session"))
        case .tempo where state == .waitingForDevice && active != nil:
            return .failure(ProtocolError(.wrongState, "waiting for the audio device; the tempo can change once it is back"))
        case .pause: return pause()
        case .resume: return resume()
        case .toggle: return state == .paused ? resume() : pause()
        case .stop: return stop()
        case .stopAfterExercise: return stopAfterExercise()
        case .goto(let target): return goto(target)
        case .whereAmI: return whereAmI()
        case .next: return skip(forward: true)
        case .prev: return skip(forward: false)
        case .seek(let seconds): return seek(seconds)
        case .tempo(let change): return setTempo(change)
        case .volume(let cls, let value): return setVolume(cls, value)
        case .status: return .success(status())
        case .sessions: return .success(sessionList())
        case .voices: return .success(.object([("voices", .array(VoicePack.available(paths: paths).map(JSON.string)))]))
        case .ping: return .success(.object([]))
        case .reload: return reload()
        case .subscribe: return .failure(ProtocolError(.internalError, "subscribe is handled by the server"))
        }
    }

    func start(_ args: StartArgs) -> Result<JSON, ProtocolError> {
        // A session this start would end needs `replace` (a restored one, not yet resumed, and
        // one that just ended, its stop sound or end chime still playing, do not).
        let loadingNow = loading.flatMap { $0.closeAfterOutput == nil ? $0 : nil }
        if let l = loadingNow, args.replace != true, l.restore == nil {
            return .failure(ProtocolError(.wrongState, "a session is loading; stop it first, or start with --replace"))
        }
        if active != nil, args.replace != true, state != .idle, active?.restoredFrom == nil {
            return .failure(ProtocolError(.wrongState, "a session is \(state.rawValue); stop it first, or start with --replace"))
        }
        // The new session is planned, its cue headers checked and its cue memory reserved before
        // the one there now is touched: if any of that fails, that one goes on untouched, and the
        // error says so (issue 10).
        func refuse(_ code: ErrorCode, _ message: String) -> Result<JSON, ProtocolError> {
            .failure(ProtocolError(code, message + nothingReplaced))
        }
        let session: Session
        do { session = try library.session(args.session) } catch {
            return refuse(.noSuchSession, error.message.dropPrefix("somacue: "))
        }
        let voice = args.voice ?? config.voice
        let planned: PlannedSession
        do {
            planned = try plan(session: session, library: library, config: config,
                               options: SessionOptions(tempo: args.tempo ?? (args.fit == nil ? liveTempo?.value : nil), voice: voice,
                                                       leadIn: args.leadIn, fit: args.fit),
                               paths: paths, extraCues: Self.overlayCues, whereCues: true)
        } catch {
            let code: ErrorCode = error.message.contains("no voice") ? .noSuchVoice : (error.status == ExitStatus.usage ? .outOfRange : .invalidSession)
            return refuse(code, error.message.dropPrefix("somacue: "))
        }
        var startIndex: Int?
        if let at = args.at {
            switch exerciseIndex(at, in: planned.timeline) {
            case .success(let n): startIndex = n
            case .failure(let e): return refuse(e.code, e.message)
            }
        }
        let loaded: LoadedSession
        do {
            loaded = try LoadedSession(plan: planned, quality: ResamplerQuality(config: config),
                                       voiceLUFS: config.voiceLUFS, toneLUFS: config.toneLUFS)
        } catch {
            return refuse(.internalError, error.message.dropPrefix("somacue: "))
        }
        // A newer start wins over a pending one.
        if let p = pending { dropPending(p, why: "replaced by a newer start of \(args.session)") }
        let forced = planned.fitted ? planned.timeline.tempo
            : (args.tempo ?? (args.fit == nil ? liveTempo?.value : nil)).flatMap { Tempo($0) }
        if args.replace == true, let title = replaceableTitle {
            // The session there goes on until this one is ready to sound (PendingReplace.swift).
            return beginReplace(planned, voice: voice, loaded: loaded, startAt: startIndex, forcedTempo: forced, replacing: title)
        }
        if let l = loading {
            if l.closeAfterOutput == nil { endLoading(l, reason: "stopped") }
            // Its stop sound is cut short: close it now, or as soon as its device is open.
            l.closeAfterOutput = 0
            tickLoading(l)
            if loading === l {
                closingLoads.append(l)
                loading = nil
            }
        }
        if let a = active {
            if state != .idle {
                recordHistory(a, .stopped, at: a.pausedAt ?? a.position)
                stateWriter?.remove()
                log("stopped \(place(a, a.pausedAt ?? a.position)) (replaced by \(args.session))")
            }
            closeActive(emitIdle: false)
        }
        // Reply now; decoding and the device continue off the control thread (LiveLoading.swift).
        if case .failure(let e) = beginLoading(planned, voice: voice, loaded: loaded, startAt: startIndex, forcedTempo: forced) {
            return .failure(e)
        }
        setState(.loading)
        log("loading \(session.id) at tempo \(planned.timeline.tempo)" + (planned.fitted ? " (fit)" : ""))
        var o = JSONObject()
        o.set("state", state.rawValue)
        o.set("tempo", planned.timeline.tempo.value)
        if let l = loading { o.set("session", sessionJSON(l, at: l.position)) }
        return .success(o.json)
    }

    /// Starts PortAudio, finds the configured device and starts a stream on it that plays
    /// `mixer`. On success the stream holds one PortAudio reference (`closeActive` lets it go);
    /// on failure PortAudio is released and the mixer freed.
    func openStream(playing mixer: UnsafeMutablePointer<MixerState>, rate: SampleRate)
        -> Result<(stream: PortAudioOutputStream, device: String), ProtocolError> {
        do { try PortAudio.initialize() } catch {
            MixerState.deallocate(mixer)
            return .failure(ProtocolError(.deviceError, "cannot start PortAudio: \(error)"))
        }
        do {
            let device = try PortAudio.resolveOutputDevice(config.device)
            let buffering = OutputBuffering(latencyMs: config.latencyMs, sampleRate: rate)
            let stream = try PortAudioOutputStream(device: device, sampleRate: rate, channels: 2,
                                                   framesPerBuffer: buffering.periodFrames,
                                                   suggestedLatency: buffering.suggestedLatency, callback: mixerStreamCallback,
                                                   userData: UnsafeMutableRawPointer(mixer))
            try stream.start()
            logAudioPriority(stream)
            return .success((stream, device.name))
        } catch {
            MixerState.deallocate(mixer)
            PortAudio.terminate()
            return .failure(ProtocolError(.deviceError, "\(error)".dropPrefix("somacue: ")))
        }
    }

    func pause() -> Result<JSON, ProtocolError> {
        guard let a = active, state == .playing else {
            return .failure(ProtocolError(.wrongState, state == .paused ? "already paused" : "no session is playing"))
        }
        token += 1
        guard a.mixer.pointee.send(.pause(token: token)) else { return .failure(ProtocolError(.internalError, "audio command queue full")) }
        // The reply names the frame where the session stopped, so wait for the fade (about one
        // callback).
        let report = waitForPause(a.mixer, token: token) { handleNote($0, a) }
        let frame = report.completed?.timeline ?? a.mixer.pointee.position.load(ordering: .acquiring)
        a.pausedAt = frame
        saveState(a, at: frame)
        playOverlays(a.loaded, a.mixer, ["tone-pause", "paused"])
        setState(.paused)
        log("paused \(place(a, frame))")
        var o = JSONObject()
        o.set("state", state.rawValue)
        o.set("frame", frame)
        o.set("elapsed", a.timeline.sampleRate.seconds(FrameCount(frame)))
        if let started = report.started { o.set("outputFrame", started.output) }
        if let completed = report.completed { o.set("silentAtOutputFrame", completed.output) }
        return .success(o.json)
    }

    func resume() -> Result<JSON, ProtocolError> {
        guard let a = active, state == .paused else {
            return .failure(ProtocolError(.wrongState, state == .playing ? "already playing" : "no session is paused"))
        }
        let p = a.pausedAt ?? a.mixer.pointee.position.load(ordering: .acquiring)
        // A voice cut by the pause (or its fade) is replayed from its onset: no instruction is lost.
        let from = a.timeline.resumeFrame(pausedAt: FrameCount(p), fade: FrameCount(MixerTuning.transportFadeFrames)).value
        token += 1
        let lead = playOverlays(a.loaded, a.mixer, ["tone-resume", "resumed"])
        _ = a.mixer.pointee.send(.resume(token: token, from: from, delay: lead))
        a.pausedAt = nil
        a.restoredFrom = nil
        setState(.playing)
        log("resumed \(a.timeline.sessionID) from \(formatClock(a.timeline.sampleRate.seconds(FrameCount(from))))")
        var o = JSONObject()
        o.set("state", state.rawValue)
        o.set("frame", from)
        o.set("elapsed", a.timeline.sampleRate.seconds(FrameCount(from)))
        return .success(o.json)
    }

    func stop() -> Result<JSON, ProtocolError> {
        guard let a = active, state != .idle else { return .failure(ProtocolError(.wrongState, "no session is playing")) }
        if a.waiting != nil { return stopWhileWaiting(a) }
        token += 1
        _ = a.mixer.pointee.send(.stop(token: token))
        // The stop sound follows the fade; the device closes once it has played.
        let fade = state == .playing ? MixerTuning.stopFadeFrames : 0
        let lead = playOverlays(a.loaded, a.mixer, ["tone-stop", "stopped"], delay: fade)
        let out = a.mixer.pointee.outputPosition.load(ordering: .acquiring)
        a.closeAfterOutput = out + lead + Int64(a.timeline.sampleRate.hz) * 2 / 5
        let elapsed = a.timeline.sampleRate.seconds(FrameCount(a.mixer.pointee.position.load(ordering: .acquiring)))
        recordHistory(a, .stopped, at: a.pausedAt ?? a.mixer.pointee.position.load(ordering: .acquiring))
        stateWriter?.remove()
        log("stopped \(place(a, a.pausedAt ?? a.mixer.pointee.position.load(ordering: .acquiring)))")
        events.append((.finished, [("session", .string(a.timeline.sessionID)), ("reason", .string("stopped"))]))
        setState(.idle)
        var o = JSONObject()
        o.set("state", "idle")
        o.set("elapsed", elapsed)
        return .success(o.json)
    }

    func skip(forward: Bool) -> Result<JSON, ProtocolError> {
        guard let a = active, state != .idle else { return .failure(ProtocolError(.wrongState, "no session is playing")) }
        let pos = FrameCount(a.pausedAt ?? a.position)
        let t = a.timeline
        guard let target = t.skipTarget(from: pos, forward: forward, restartWindow: t.sampleRate.frames(seconds: 5)) else {
            return .failure(ProtocolError(.wrongState, "already in the closing; `stop` ends the session"))
        }
        return jump(a, to: target)
    }

    /// `seek`: to the start of the rep containing `seconds` into the current exercise.
    func seek(_ seconds: Double) -> Result<JSON, ProtocolError> {
        guard let a = active, state != .idle else { return .failure(ProtocolError(.wrongState, "no session is playing")) }
        let pos = FrameCount(a.pausedAt ?? a.position)
        let t = a.timeline
        // The parser bounds `seconds` to a day, so the conversion cannot overflow.
        guard let target = t.seekTarget(at: pos, offset: t.sampleRate.frames(seconds: seconds)) else {
            return .failure(ProtocolError(.wrongState, "the session has no position to seek in"))
        }
        return jump(a, to: target)
    }

    /// Moves the timeline to `target` (playing or paused) and replies where it landed.
    func jump(_ a: Active, to target: FrameCount) -> Result<JSON, ProtocolError> {
        // Landing on an exercise's start: its name and position come first.
        announceExercise(a, at: target)
        let t = a.timeline
        token += 1
        _ = a.mixer.pointee.send(.seek(token: token, to: target.value))
        a.pendingSeek = (token, target.value)
        if state == .paused { a.pausedAt = target.value }
        a.lastSegment = -1
        a.nextEvent = t.events.firstIndex { $0.frame >= target } ?? t.events.count
        var o = JSONObject()
        o.set("state", state.rawValue)
        o.set("frame", target.value)
        o.set("elapsed", t.sampleRate.seconds(target))
        if let seg = t.segment(at: target), let ex = exerciseJSON(seg, t) { o.set("exercise", ex) }
        return .success(o.json)
    }

    func setTempo(_ change: TempoChange) -> Result<JSON, ProtocolError> {
        let current = active?.tempo ?? liveTempo ?? config.tempo
        let value: Double
        switch change {
        case .set(let v): value = v
        case .step(let s): value = ((current.value + s) * 1000).rounded() / 1000
        }
        guard let tempo = Tempo(value) else {
            return .failure(ProtocolError(.outOfRange, "tempo \(formatNumber(value)) is outside 0.25 to 2.0; it stays \(current)"))
        }
        guard let a = active else {
            // Idle: the tempo applies to the next session.
            liveTempo = tempo
            durations = nil
            events.append((.tempo, [("tempo", .double(tempo.value))]))
            return .success(.object([("tempo", .double(tempo.value))]))
        }
        // Re-lay the rest of the session at the new tempo from the end of the current phase; the
        // part already played (and the phase playing now) keeps its frames.
        let pos = FrameCount(a.mixer.pointee.position.load(ordering: .acquiring))
        let merged: Timeline
        let boundary: FrameCount
        switch retime(a.timeline, plan: a.loaded.plan, configTempo: config.tempo, to: tempo, at: pos, margin: swapMargin(a.timeline.sampleRate)) {
        case .success(let r): (merged, boundary) = (r.timeline, r.fromFrame)
        case .failure(.ending): return .failure(ProtocolError(.wrongState, "the session is ending"))
        case .failure(.cannotLayOut): return .failure(ProtocolError(.internalError, "could not re-lay the session at tempo \(tempo)"))
        }
        do { try SessionLimits.check(merged) } catch {
            return .failure(ProtocolError(.outOfRange, error.message.dropPrefix("somacue: ") + " The tempo stays \(current)."))
        }
        a.generation += 1
        let table = EventTable.make(a.loaded.kernelEvents(for: merged), totalFrames: merged.frames.value, generation: a.generation,
                                    guide: a.loaded.guideSegments(for: merged))
        guard a.mixer.pointee.send(.swap(table)) else {
            table.free()
            return .failure(ProtocolError(.internalError, "audio command queue full"))
        }
        a.timeline = merged
        a.tempo = tempo
        a.forcedTempo = tempo
        a.nextEvent = merged.events.firstIndex { $0.frame >= pos } ?? merged.events.count
        events.append((.tempo, [("tempo", .double(tempo.value))]))
        var o = JSONObject()
        o.set("tempo", tempo.value)
        o.set("fromFrame", boundary.value)
        o.set("duration", merged.sampleRate.seconds(merged.frames))
        return .success(o.json)
    }

    func setVolume(_ cls: VolumeClass, _ value: Double) -> Result<JSON, ProtocolError> {
        guard Config.volumeRange.contains(value) else {
            return .failure(ProtocolError(.outOfRange, "volume \(formatNumber(value)) is outside 0 to 1.5"))
        }
        switch cls {
        case .master: volumes.master = value
        case .voice: volumes.voice = value
        case .tone: volumes.tone = value
        }
        if let a = active {
            _ = a.mixer.pointee.send(.volume(master: Float(volumes.master), voice: Float(volumes.voice), tone: Float(volumes.tone)))
        }
        let v = volumeJSON()
        if case .object(let fields) = v { events.append((.volume, fields)) }
        return .success(.object([("volume", v)]))
    }

    // MARK: Reload

    /// Takes a library read again after its files changed (LibraryRefresh.swift).
    func adoptLibrary(_ fresh: Library) {
        library = fresh
        durations = nil
    }

    public func reload() -> Result<JSON, ProtocolError> {
        let newConfig: Config
        do { (newConfig, _) = try loadConfig(explicitPath: configPath, paths: paths) } catch {
            warn("reload failed; keeping the previous configuration:\n\(error.message)")
            return .failure(ProtocolError(.reloadFailed, "the configuration has errors; nothing was changed",
                                          extra: [("diagnostics", .array(error.message.split(separator: "\n").map { .string(String($0)) }))]))
        }
        let files = LibraryFiles.scan(paths: paths)
        let newLibrary = Library.load(paths: paths)
        let errors = newLibrary.diagnostics.filter { $0.severity == .error }
        if !errors.isEmpty {
            warn("reload failed; keeping the previous library:\n" + errors.map(\.description).joined(separator: "\n"))
            return .failure(ProtocolError(.reloadFailed, "\(errors.count) problem\(errors.count == 1 ? "" : "s") in sessions or exercises; nothing was changed",
                                          extra: [("diagnostics", .array(errors.map { .string($0.description) }))]))
        }
        config = newConfig
        library = newLibrary
        libraryFiles = files
        durations = nil
        liveTempo = nil
        if active == nil { volumes = (config.masterVolume, config.voiceVolume, config.toneVolume) }
        onReload?(config)
        log("reloaded: \(library.sessions.count) sessions, \(library.exercises.count) exercises")
        return .success(.object([("sessions", .int(Int64(library.sessions.count))), ("exercises", .int(Int64(library.exercises.count)))]))
    }

    // MARK: Ticks

    public var tickInterval: Int? {
        if loading != nil || pending != nil { return 5 }
        if (!closingLoads.isEmpty || !retiring.isEmpty) && active == nil { return 20 }
        guard let a = active else { return trimSoon ? 100 : nil }  // idle: no timer at all
        if a.waiting != nil { return DeviceWait.probeIntervalMs }
        // A load still being closed is looked at every 20 ms, as while idle.
        return closingLoads.isEmpty ? activeTickMs(a) : Self.minTickMs
    }

    public func tick() {
        closingLoads.removeAll { closeWhenOpened($0) }
        retiring.removeAll { closeRetired($0) }
        if let p = pending { tickPending(p) }
        if let l = loading {
            tickLoading(l)
            return
        }
        guard let a = active else {
            trimIfIdle()
            return
        }
        if a.waiting != nil {
            tickWaiting(a)
            return
        }
        while let note = a.mixer.pointee.nextNote() { handleNote(note, a) }
        let out = a.mixer.pointee.outputPosition.load(ordering: .acquiring)
        if let close = a.closeAfterOutput {
            if out >= close || !a.stream.isActive { closeActive(emitIdle: false) }
            return
        }
        if !a.stream.isActive && (state == .playing || state == .paused) {
            // The stream stays open while paused, so a loss is noticed then too.
            enterWait(a)
            return
        }
        let pos = FrameCount(a.mixer.pointee.position.load(ordering: .acquiring))
        let t = a.timeline
        if state == .playing {
            announceProgress(a, at: pos)
            if pos >= t.frames && a.finishedAt == nil {
                a.finishedAt = out
                events.append((.finished, [("session", .string(t.sessionID)), ("reason", .string("completed"))]))
                log("finished \(t.sessionID)")
                recordHistory(a, .completed, at: t.frames.value)
                stateWriter?.remove()
                // Keep feeding silence briefly so the end chime is never clipped by the sink.
                a.closeAfterOutput = out + Int64(t.sampleRate.hz) * 2 / 5
                setState(.idle)
            }
        }
    }

    /// Phase and exercise changes up to timeline frame `pos` (each saved to state.json), then the
    /// cues that have started: as events for subscribers. For a playing session and for one still
    /// loading whose first cues already sound.
    func announceProgress(_ a: some SessionProgress, at pos: FrameCount) {
        let t = a.timeline
        if let idx = t.segments.lastIndex(where: { $0.frame <= pos }), idx != a.lastSegment {
            a.lastSegment = idx
            saveState(a, at: t.segments[idx].frame.value)
            let seg = t.segments[idx]
            if seg.exerciseIndex != a.lastExercise {
                a.lastExercise = seg.exerciseIndex
                if let ex = exerciseJSON(seg, t) { events.append((.exercise, [("exercise", ex)])) }
            }
            var f: [(String, JSON)] = [("frame", .int(seg.frame.value)), ("elapsed", .double(t.sampleRate.seconds(seg.frame)))]
            if let ex = exerciseJSON(seg, t) { f.append(("exercise", ex)) }
            f.append(("phase", .string(seg.phase.rawValue)))
            if let r = seg.rep { f.append(("rep", .int(Int64(r)))) }
            if let s = seg.side { f.append(("side", .string(s.rawValue))) }
            events.append((.phase, f))
        }
        while a.nextEvent < t.events.count && t.events[a.nextEvent].frame <= pos {
            let e = t.events[a.nextEvent]
            a.nextEvent += 1
            events.append((.cue, [("cue", .string(e.cue.rawValue)), ("kind", .string(e.kind.rawValue)), ("frame", .int(e.frame.value))]))
        }
    }

    func handleNote(_ note: MixerNote, _ a: Active) {
        switch note {
        case .swapped(let old): old.free()
        case let .seeked(t, _, _) where t == a.pendingSeek?.token: a.pendingSeek = nil
        default: break
        }
    }

    public func takeEvents() -> [(EventName, [(String, JSON)])] {
        defer { events.removeAll() }
        return events
    }

    public func shutdown() {
        // A sound server that has gone away can block PortAudio's stop; the daemon must still
        // exit (0, within 2 s) when asked to.
        signal(SIGALRM) { _ in _exit(0) }
        alarm(2)
        defer { stateWriter?.flush() }
        if let p = pending {
            pending = nil
            shutdownLoading(p, deadline: Platform.monotonicSeconds() + 1)
        }
        for r in retiring { closeSession(r) }
        retiring.removeAll()
        if let l = loading { shutdownLoading(l, deadline: Platform.monotonicSeconds() + 1) }
        guard let a = active else { return }
        // Fade out (150 ms) before closing, so a daemon stop never clicks.
        _ = a.mixer.pointee.send(.stop(token: -1))
        let deadline = Platform.monotonicSeconds() + 0.5
        while !a.mixer.pointee.finished.load(ordering: .acquiring) && Platform.monotonicSeconds() < deadline && a.stream.isActive {
            Platform.sleep(seconds: 0.01)
        }
        closeActive(emitIdle: false)
    }

    func closeActive(emitIdle: Bool) {
        guard let a = active else { return }
        active = nil
        closeSession(a)
        if emitIdle || state != .idle { setState(.idle) }
    }

    /// Closes a session's stream and frees its mixer (and its PortAudio reference).
    func closeSession(_ a: Active) {
        a.stream.stop()
        a.stream.close()
        MixerState.deallocate(a.mixer)
        if a.holdsPortAudio { PortAudio.terminate() }
        trimSoon = true
    }

    // MARK: Helpers


    /// Says once per stream whether its threads got real-time priority (RealtimeThreads).
    func logAudioPriority(_ stream: PortAudioOutputStream) {
        if stream.realtimeThreads > 0 {
            log("audio threads at real-time priority: \(stream.realtimeThreads)")
        } else {
            log("audio threads under the normal scheduler: this process may not use real-time scheduling (that needs an RLIMIT_RTPRIO of at least 1, as limits.conf can give the audio group, or CAP_SYS_NICE); on a busy machine the sound may break up")
        }
    }

    func setState(_ s: State) {
        guard s != state else { return }
        state = s
        events.append((.state, [("state", .string(s.rawValue))]))
    }

    func volumeJSON() -> JSON {
        .object([("master", .double(volumes.master)), ("voice", .double(volumes.voice)), ("tone", .double(volumes.tone))])
    }

    func exerciseJSON(_ seg: Segment, _ t: Timeline) -> JSON? {
        guard let id = seg.exercise, let i = seg.exerciseIndex else { return nil }
        var o = JSONObject()
        o.set("id", id)
        o.set("title", seg.exerciseTitle)
        o.set("index", i)
        o.set("count", t.exerciseCount)
        return o.json
    }

    /// The `session` object of `status` and of `start`'s reply: `s` at timeline frame `position`.
    func sessionJSON(_ s: some SessionProgress, at position: Int64) -> JSON {
        let t = s.timeline
        let pos = FrameCount(min(position, t.frames.value))
        var o = JSONObject()
        o.set("id", t.sessionID)
        o.set("title", t.sessionTitle)
        o.set("posture", s.loaded.plan.session.posture.rawValue)
        o.set("elapsed", t.sampleRate.seconds(pos))
        o.set("remaining", t.sampleRate.seconds(t.frames - pos))
        o.set("duration", t.sampleRate.seconds(t.frames))
        return o.json
    }

    /// `status`'s `exercise` and `phase` at `pos`, where a segment of `t` is there (returned).
    @discardableResult
    func setPlace(_ o: inout JSONObject, _ t: Timeline, at pos: FrameCount) -> Segment? {
        guard let seg = t.segment(at: pos) else { return nil }
        o.set("exercise", exerciseJSON(seg, t))
        var p = JSONObject()
        p.set("name", seg.phase.rawValue)
        p.set("elapsed", t.sampleRate.seconds(pos - seg.frame))
        p.set("remaining", t.sampleRate.seconds(seg.end - pos))
        o.set("phase", p.json)
        return seg
    }

    /// The `status` data: keys are omitted where unknown, never given a magic value.
    public func status() -> JSON {
        if let l = loading, state == .loading { return loadingStatus(l) }
        var o = JSONObject()
        o.set("state", state.rawValue)
        if let a = active, state != .idle {
            let t = a.timeline
            let pos = FrameCount(min(a.pausedAt ?? a.position, t.frames.value))
            o.set("session", sessionJSON(a, at: pos.value))
            if let seg = setPlace(&o, t, at: pos) {
                o.set("rep", seg.rep)
                o.set("reps", seg.reps)
                o.set("side", seg.side?.rawValue)
            }
            if let track = t.track(at: pos) {
                var k = JSONObject()
                k.set("index", track.index)
                k.set("elapsed", t.sampleRate.seconds(pos - track.start))
                k.set("duration", t.sampleRate.seconds(track.frames))
                o.set("track", k.json)
            }
            o.set("tempo", a.tempo.value)
            o.set("voice", a.voice)
            o.set("device", a.device)
            o.set("underruns", a.mixer.pointee.underruns.load(ordering: .relaxed))
            if let w = a.waiting {
                o.set("waiting", JSONObject().with("then", w.then.rawValue).with("since", Platform.isoUTC(w.since)).json)
            }
            if let saved = a.restoredFrom {
                o.set("restored", true)
                o.set("saved", Platform.isoUTC(saved))
            }
        } else {
            o.set("tempo", (liveTempo ?? config.tempo).value)
            o.set("voice", config.voice)
        }
        if let p = pending { o.set("pending", pendingJSON(p)) }
        o.set("volume", volumeJSON())
        o.set("clients", clientCount)
        return o.json
    }

    /// For systemd's STATUS=: "Playing Gluteal Release, 4:10 of 11:32", "Paused ...", "Idle".
    public var statusLine: String {
        if let l = loading, state == .loading {
            let t = l.timeline
            let pos = FrameCount(min(l.position, t.frames.value))
            return "Loading \(t.sessionTitle), \(formatClock(t.sampleRate.seconds(pos))) of \(formatClock(t.sampleRate.seconds(t.frames)))"
        }
        guard let a = active, state != .idle else { return "Idle" }
        let t = a.timeline
        let pos = FrameCount(min(a.pausedAt ?? a.position, t.frames.value))
        let what = state == .paused ? "Paused" : state == .waitingForDevice ? "Waiting for the audio device:" : "Playing"
        return "\(what) \(t.sessionTitle), \(formatClock(t.sampleRate.seconds(pos))) of \(formatClock(t.sampleRate.seconds(t.frames)))"
    }

    func sessionList() -> JSON {
        if durations == nil {
            var d: [String: Double] = [:]
            for (id, s) in library.sessions {
                d[id] = listedDuration(of: s, library: library, config: config, paths: paths, tempo: liveTempo)
            }
            durations = d
        }
        return .object([("sessions", .array(library.sessions.keys.sorted().map { id in
            let s = library.sessions[id]!
            return sessionSummary(s, duration: durations?[id], tempo: liveTempo ?? s.tempo ?? config.tempo)
        }))])
    }
}

extension String {
    func dropPrefix(_ p: String) -> String { hasPrefix(p) ? String(dropFirst(p.count)) : self }
}
