import SomacueAudio
import SomacueCore
import SomacuePlatform
#if canImport(Glibc)
import Glibc
#endif

/// Options common to play, render and timeline; nil means "from config" (for the tempo: from
/// the session's steps, the session, then the config).
public struct SessionOptions: Sendable {
    /// A tempo that every step plays at (`--tempo`, a live change).
    public var tempo: Double?
    public var voice: String?
    public var leadIn: Double?
    /// A target length in seconds (`--fit`): the tempo is chosen to reach it.
    public var fit: Double?
    public init(tempo: Double? = nil, voice: String? = nil, leadIn: Double? = nil, fit: Double? = nil) {
        self.tempo = tempo
        self.voice = voice
        self.leadIn = leadIn
        self.fit = fit
    }
}

/// Reads a `--fit` length (`600`, `10m`, `1h5m`); exit 64 for anything else.
public func checkedLength(_ text: String) throws(EngineError) -> Double {
    guard let seconds = parseLength(text) else {
        throw EngineError("somacue: --fit \(text) is not a length; write seconds (600) or minutes and hours (10m, 1h5m, 45m30s)", status: ExitStatus.usage)
    }
    return seconds
}

/// Checks a tempo value from the command line: 0.25 to 2.0 inclusive.
public func checkedTempo(_ value: Double) throws(EngineError) -> Tempo {
    guard let t = Tempo(value) else {
        throw EngineError("somacue: tempo \(formatNumber(value)) is out of range; use 0.25 (four times slower) to 2.0 (twice as fast), 1.0 is the default pace", status: ExitStatus.usage)
    }
    return t
}

public func checkedLeadIn(_ value: Double) throws(EngineError) -> Double {
    guard value.isFinite, Config.leadInRange.contains(value) else {
        throw EngineError("somacue: lead-in \(formatNumber(value)) s is out of range; use 0 to 600 seconds", status: ExitStatus.usage)
    }
    return value
}

/// A session compiled to a timeline, with the cue catalog it was laid out with.
public struct PlannedSession: Sendable {
    public var session: Session
    public var timeline: Timeline
    public var catalog: [CueID: CueInfo]
    /// The exercises the session uses, and the settings it was laid out with (to re-lay it at
    /// another tempo).
    public var exercises: [String: Exercise]
    public var leadIn: Double
    public var preroll: FrameCount
    public var safetyNote: Bool
    /// The planned announcements (`[session] announce_every` in minutes, `announce_halfway`).
    public var announceEvery: Double? = nil
    public var announceHalfway = false
    /// Whether `timeline.tempo` was chosen by `--fit` (then every step plays at it).
    public var fitted: Bool = false
    /// The pacing guide: the config's `[guide]` with the session's `[session.guide]` over it.
    public var guide = GuideSettings()

    /// What `--fit` chose, for the user: "--fit: tempo 0.873 gives 10:00.2".
    public var fitReport: String? {
        fitted ? "--fit: tempo \(timeline.tempo) gives \(lengthText(timeline.sampleRate.seconds(timeline.frames)))" : nil
    }
}

/// Compiles `session` with the given options; reads only cue headers (no decoding). With
/// `whereCues`, the catalog also holds every cue a `where` report of this session can say
/// (`Whereabouts`): the repetition counts it has and the times left up to its length. With
/// `synthesize: false` the `[tts]` command is never run: only cues it already made are used.
public func plan(session: Session, library: Library, config: Config, options: SessionOptions,
                 paths: Paths, extraCues: [CueRequirement] = [], whereCues: Bool = false,
                 synthesize: Bool = true) throws(EngineError) -> PlannedSession {
    if options.fit != nil && options.tempo != nil {
        throw EngineError("somacue: --fit chooses the tempo itself; give either --fit or --tempo, not both", status: ExitStatus.usage)
    }
    let forced = try options.tempo.map(checkedTempo)
    let leadIn = try options.leadIn.map(checkedLeadIn) ?? config.leadIn
    let settings = PacingSettings(sampleRate: config.sampleRate, tempo: config.tempo, leadIn: leadIn,
                                  preroll: config.sampleRate.frames(seconds: config.prerollMs / 1000),
                                  safetyNote: config.safetyNote, forcedTempo: forced,
                                  announceEvery: config.announceEvery, announceHalfway: config.announceHalfway)
    guard session.steps.count <= SessionLimits.maximumSteps else {
        throw EngineError("somacue: \(session.file): session \"\(session.id)\" has \(session.steps.count) steps; the limit is "
                          + "\(SessionLimits.maximumSteps). Split it into shorter sessions.", status: ExitStatus.dataError)
    }
    let engine = PacingEngine(session: session, exercises: library.exercises, settings: settings)
    let required: [CueRequirement]
    do { required = try engine.requiredCues() } catch {
        throw EngineError("somacue: \(error)", status: ExitStatus.dataError)
    }
    let voice = options.voice ?? config.voice
    let source = try CueSource.resolve(voice: voice, paths: paths)
    let tts = config.tts.map { TTSSynthesizer(config: $0, voice: voice, cachedOnly: !synthesize) }
    var catalog = try source.catalog(for: required + extraCues.filter { e in !required.contains { $0.id == e.id } },
                                     rate: config.sampleRate, tts: tts)
    var used: [String: Exercise] = [:]
    for step in session.steps { used[step.exercise] = library.exercises[step.exercise] }
    let timeline: Timeline
    do {
        if let fit = options.fit {
            timeline = try engine.fit(seconds: fit, cues: catalog).timeline
        } else {
            timeline = try engine.compile(cues: catalog)
        }
    } catch let error as FitError {
        throw EngineError("somacue: --fit: \(error); choose a length in that range", status: ExitStatus.usage)
    } catch {
        throw EngineError("somacue: \(error)", status: ExitStatus.dataError)
    }
    if whereCues {
        let wanted = whereabouts(of: timeline).filter { catalog[$0.id] == nil }
        // A pack chain without them (a damaged default pack) only makes `where` fail, not the start.
        for (id, info) in (try? source.catalog(for: wanted, rate: config.sampleRate, tts: tts)) ?? [:] { catalog[id] = info }
    }
    try SessionLimits.check(timeline)
    return PlannedSession(session: session, timeline: timeline, catalog: catalog, exercises: used, leadIn: leadIn,
                          preroll: settings.preroll, safetyNote: settings.safetyNote,
                          announceEvery: settings.announceEvery, announceHalfway: settings.announceHalfway,
                          fitted: options.fit != nil, guide: session.guide.applied(to: config.guide))
}

/// The `where` cues a session can need: every repetition count it has, and the times left up
/// to its length at the slowest tempo (a live tempo change can make it four times as long).
func whereabouts(of timeline: Timeline) -> [CueRequirement] {
    var ids: [CueID] = []
    var seen = Set<Int>()
    for s in timeline.segments {
        guard let reps = s.reps, seen.insert(reps).inserted else { continue }
        for r in 1...max(1, reps) { ids += Whereabouts.repCues(r, of: reps) }
    }
    let longest = timeline.sampleRate.seconds(timeline.frames) / Tempo.range.lowerBound * timeline.tempo.value + 3600
    let last = Whereabouts.timeLeftCue(seconds: longest)
    for v in Whereabouts.timeLeftVoices {
        ids.append(v.id)
        if v.id == last { break }
    }
    var out: [CueRequirement] = []
    var added = Set<CueID>()
    for id in ids where added.insert(id).inserted {
        out.append(CueRequirement(id: id, kind: .voice, text: Whereabouts.text(id)))
    }
    return out
}

/// Bounds on what one session may ask of the player: a session file with a million steps, or a
/// tempo that stretches it over days, is refused with a clear error before anything is decoded.
public enum SessionLimits {
    public static let maximumSteps = 1_000
    public static let maximumHours = 12

    /// Refuses a timeline longer than `maximumHours` (at the tempo it was laid out with).
    public static func check(_ timeline: Timeline) throws(EngineError) {
        let limit = timeline.sampleRate.frames(seconds: Double(maximumHours * 3600))
        guard timeline.frames <= limit else {
            throw EngineError("somacue: session \"\(timeline.sessionID)\" would last \(formatClock(timeline.sampleRate.seconds(timeline.frames))) "
                              + "at tempo \(timeline.tempo); the limit is \(maximumHours) hours. Use a faster tempo or fewer repetitions.",
                              status: ExitStatus.usage)
        }
    }
}

/// A session's length as `sessions` lists it: at the tempo it will play at (`tempo`, a live
/// change, else its steps' and its own tempo, else the config's), with the configured voice
/// (the default voice if that one cannot play it) and lead-in; nil when its cues are missing
/// (it is still listed, without a duration). Listing never runs the `[tts]` command: a cue it
/// has not spoken yet leaves the session without a duration.
public func listedDuration(of session: Session, library: Library, config: Config, paths: Paths,
                           tempo: Tempo? = nil) -> Double? {
    let options = SessionOptions(tempo: tempo?.value)
    var fallback = options
    fallback.voice = "default"
    guard let p = (try? plan(session: session, library: library, config: config, options: options, paths: paths, synthesize: false))
            ?? (try? plan(session: session, library: library, config: config, options: fallback, paths: paths, synthesize: false))
    else { return nil }
    return p.timeline.sampleRate.seconds(p.timeline.frames)
}

/// One entry of the `sessions` list (the CLI's `--json` and the protocol's reply). `tempo` is
/// the session's tempo as listed (steps with their own tempo play at theirs).
public func sessionSummary(_ s: Session, duration: Double?, tempo: Tempo? = nil) -> JSON {
    var o = JSONObject()
    o.set("id", s.id)
    o.set("title", s.title)
    o.set("description", s.description)
    o.set("posture", s.posture.rawValue)
    o.set("duration", duration.map { ($0 * 1000).rounded() / 1000 })
    o.set("tempo", tempo?.value)
    return o.json
}

/// A planned session and its cues in memory for the mixer. Creating one reserves the cue memory
/// (`CueArena`), builds the kernel's event table pointing into it and starts decoding on every
/// core; it returns at once. `waitUntilDecoded` blocks until every cue is in place (render and
/// foreground play); the daemon instead lets the kernel wait at the first cue not yet ready
/// (`frontier`). Keeps the cue memory alive for as long as the kernel may read it.
///
/// Each cue plays at the gain that brings it to the loudness target of its kind
/// (`volume.voice_lufs` or `volume.tone_lufs`): from the manifest's `lufs`, or, for a cue without
/// one, measured by the decoder thread that fills its slot. Until that measurement is in, an
/// event table holds a placeholder gain for the cue, and the cue counts as not ready for a
/// table made before it (`frontier(for:gainsIn:)`); the daemon swaps in a table with the
/// measured gains before the kernel reaches it (LiveLoading.swift).
public final class LoadedSession: @unchecked Sendable {
    public let plan: PlannedSession
    public let slots: [CueID: CueSlot]
    let decoding: CueDecoding
    /// Gains from the manifests' stored loudness.
    let storedGains: [CueID: Float]
    /// The cues whose loudness the decoders measure.
    public let measuredCues: Set<CueID>

    public init(plan: PlannedSession, quality: ResamplerQuality, voiceLUFS: Double = Config().voiceLUFS,
                toneLUFS: Double = Config().toneLUFS, cache: DecodedCueCache? = .standard) throws(EngineError) {
        self.plan = plan
        // Decoding order: the transport sounds (needed at any moment), then by first use.
        var firstUse: [CueID: Int64] = [:]
        for e in plan.timeline.events where firstUse[e.cue] == nil { firstUse[e.cue] = e.frame.value }
        let order = plan.catalog.keys.sorted { a, b in
            let fa = firstUse[a] ?? -1, fb = firstUse[b] ?? -1
            return fa != fb ? fa < fb : a < b
        }
        var stored: [CueID: Float] = [:]
        var measured = Set<CueID>()
        for (id, info) in plan.catalog {
            let target = info.kind == .voice ? voiceLUFS : toneLUFS
            if let lufs = info.lufs { stored[id] = Float(Loudness.gain(lufs: lufs, target: target)) } else { measured.insert(id) }
        }
        storedGains = stored
        measuredCues = measured
        var sizes: [(CueID, CueInfo, Int, Int)] = []
        var total = 0
        for id in order {
            let info = plan.catalog[id]!
            // Channels come from the header cache (a hit: no file is opened).
            let channels = (try? CueHeaderCache.shared.header(path: info.source).channels) ?? 2
            let (bytes, overflow) = Int(info.frames.value).multipliedReportingOverflow(by: channels * 2)
            guard !overflow else { throw EngineError("somacue: cue \(id) is too long to hold in memory", status: ExitStatus.dataError) }
            let rounded = CueArena.rounded(bytes)
            sizes.append((id, info, channels, rounded))
            total += rounded
        }
        guard let arena = CueArena(bytes: total) else {
            throw EngineError("somacue: cannot reserve \(total / 1_048_576) MB of address space for the session's cues: "
                              + "\(Platform.errorText(errno))", status: ExitStatus.unavailable)
        }
        var slots: [CueID: CueSlot] = [:]
        var list: [CueSlot] = []
        var offset = 0
        for (index, (id, info, channels, bytes)) in sizes.enumerated() {
            let slot = CueSlot(id: id, source: info.source, frames: info.frames.value, channels: channels,
                               samples: UnsafePointer((arena.base + offset).assumingMemoryBound(to: Int16.self)),
                               offset: offset, bytes: bytes, stamp: Platform.stamp(info.source), index: index,
                               measureTowards: info.lufs == nil ? (info.kind == .voice ? voiceLUFS : toneLUFS) : nil)
            slots[id] = slot
            list.append(slot)
            offset += bytes
        }
        self.slots = slots
        decoding = CueDecoding(arena: arena, slots: list, rate: plan.timeline.sampleRate, quality: quality, cache: cache)
        decoding.start()
    }

    /// A cue's loudness gain, or nil while a cue without stored loudness is not decoded (and
    /// measured) yet.
    public func loudnessGain(_ id: CueID) -> Float? {
        if let g = storedGains[id] { return g }
        guard let slot = slots[id], decoding.isReady(slot.index) else { return nil }
        return decoding.measuredGain(slot.index)
    }

    /// Every gain known now (all of them once decoded).
    public var loudnessGains: [CueID: Float] {
        var out = storedGains
        for id in measuredCues { if let g = loudnessGain(id) { out[id] = g } }
        return out
    }

    /// The kernel's events for the planned timeline with the gains known now.
    public var kernelEvents: [KernelEvent] { kernelEvents(for: plan.timeline) }

    /// Blocks until every cue is decoded (or mapped from the cache); throws every cue that
    /// could not be.
    public func waitUntilDecoded() throws(EngineError) {
        while !decoding.finished { Platform.sleep(seconds: 0.001) }
        try checkDecoded()
    }

    /// Every cue is in place (or failed).
    public var isDecoded: Bool { decoding.finished }
    /// `cancel` was called (decoding will not finish).
    public var isCancelled: Bool { decoding.isCancelled }
    /// Cues taken from the decoded-cue cache so far.
    public var cuesFromCache: Int { decoding.fromCache.load(ordering: .relaxed) }
    /// Seconds since decoding started.
    public var decodingSeconds: Double { Platform.monotonicSeconds() - decoding.started }

    /// Throws if any cue failed to decode.
    public func checkDecoded() throws(EngineError) {
        let problems = decoding.failures
        if !problems.isEmpty {
            throw EngineError("somacue: some cues could not be decoded:\n" + problems.sorted().joined(separator: "\n"), status: ExitStatus.dataError)
        }
    }

    public func isReady(_ id: CueID) -> Bool { slots[id].map { decoding.isReady($0.index) } ?? false }

    /// Stops decoding (the decoders finish the cue in hand, then let go of the memory).
    public func cancel() { decoding.cancel() }

    /// The first timeline frame of `timeline` whose cue is not ready yet, or `Int64.max` when
    /// every cue is. Everything before it may be played; see `MixerState.playable`.
    /// Decoding only: a table's gains are not considered (see `frontier(for:gainsIn:)`).
    public func frontier(for timeline: Timeline) -> Int64 {
        if decoding.finished && decoding.failures.isEmpty { return Int64.max }
        for e in timeline.events where !isReady(e.cue) { return e.frame.value }
        return Int64.max
    }

    /// The first timeline frame that an event table made with the measured gains of `included`
    /// may not play yet: its cue is not decoded, or its loudness was measured after the table
    /// was made (the table holds a placeholder gain for it). `Int64.max` when nothing is left.
    public func frontier(for timeline: Timeline, gainsIn included: Set<CueID>) -> Int64 {
        if decoding.finished && decoding.failures.isEmpty && measuredCues.isSubset(of: included) { return Int64.max }
        for e in timeline.events where !isReady(e.cue) || (measuredCues.contains(e.cue) && !included.contains(e.cue)) {
            return e.frame.value
        }
        return Int64.max
    }

    /// Kernel events for `timeline` and the measured cues whose gains they hold. The set is
    /// read first: a cue measured in between is then in the events with its gain but not in the
    /// set, which only holds the kernel back a little longer (the other order could let it play
    /// a placeholder gain).
    public func kernelTable(for timeline: Timeline) -> (events: [KernelEvent], gainsIn: Set<CueID>) {
        let included = measuredCues.filter { isReady($0) }
        return (kernelEvents(for: timeline), included)
    }

    /// Kernel events for a timeline laid out with this session's cues (e.g. at another tempo),
    /// with the gains known now: a cue still being measured gets a placeholder (1) that the
    /// kernel never plays (see `frontier(for:gainsIn:)`).
    public func kernelEvents(for timeline: Timeline) -> [KernelEvent] {
        Self.kernelEvents(for: timeline, slots: slots, gains: loudnessGains)
    }

    /// Each event's gain: loudness gain x the manifest's `gain` (the user's volumes follow in
    /// the kernel).
    static func kernelEvents(for timeline: Timeline, slots: [CueID: CueSlot], gains: [CueID: Float]) -> [KernelEvent] {
        timeline.events.map { e in
            let slot = slots[e.cue]!  // every event's cue has a slot
            return KernelEvent(start: e.frame.value, frames: min(e.frames.value, slot.frames),
                               samples: slot.samples, channels: slot.channels,
                               gain: Float(e.gain) * (gains[e.cue] ?? 1), isVoice: e.kind == .voice)
        }
    }

    /// The pacing guide's segments for a timeline laid out with this session (`planGuide`).
    public func guideSegments(for timeline: Timeline) -> [GuideSegment] {
        planGuide(timeline, settings: plan.guide)
    }

    /// A fresh mixer state for this session; free it with `MixerState.deallocate`. Once
    /// decoded (`waitUntilDecoded`), its table has every gain.
    public func makeMixer(config: Config) -> UnsafeMutablePointer<MixerState> {
        makeMixerNow(config: config).mixer
    }

    /// A fresh mixer state while decoding may still go on, and the measured cues whose gains its
    /// table holds (`kernelTable`).
    public func makeMixerNow(config: Config) -> (mixer: UnsafeMutablePointer<MixerState>, gainsIn: Set<CueID>) {
        let table = kernelTable(for: plan.timeline)
        let mixer = MixerState.allocate(events: table.events, totalFrames: plan.timeline.frames.value,
                                        master: Float(config.masterVolume), voice: Float(config.voiceVolume),
                                        tone: Float(config.toneVolume), guide: guideSegments(for: plan.timeline))
        return (mixer, table.gainsIn)
    }
}

extension ResamplerQuality {
    public init(config: Config) { self = ResamplerQuality(rawValue: config.resampler) ?? .medium }
}
