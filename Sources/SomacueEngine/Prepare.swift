import SomacueAudio
import SomacueCore
import SomacuePlatform

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

/// A planned session with every cue decoded and resampled (off the audio thread), ready for
/// the mixer. Keeps the cue buffers alive for as long as the kernel may read them.
public final class LoadedSession: @unchecked Sendable {
    public let plan: PlannedSession
    public let cues: [CueID: LoadedCue]
    public let kernelEvents: [KernelEvent]
    /// Per cue: the gain that brings it to the loudness target of its kind (`volume.voice_lufs`
    /// or `volume.tone_lufs`), from the manifest's `lufs`; a cue without one is measured here.
    public let loudnessGains: [CueID: Float]

    public init(plan: PlannedSession, quality: ResamplerQuality, voiceLUFS: Double = Config().voiceLUFS,
                toneLUFS: Double = Config().toneLUFS) throws(EngineError) {
        self.plan = plan
        var cues: [CueID: LoadedCue] = [:]
        var gains: [CueID: Float] = [:]
        var problems: [String] = []
        for (id, info) in plan.catalog.sorted(by: { $0.key < $1.key }) {
            do {
                let cue = try CueLoader.load(path: info.source, outputRate: plan.timeline.sampleRate, quality: quality)
                if cue.frames != info.frames {
                    problems.append("  \(id): \(info.source): decoded \(cue.frames) frames, the header promised \(info.frames)")
                }
                cues[id] = cue
                let lufs = info.lufs ?? (try? Loudness.measure(cue))
                gains[id] = Float(Loudness.gain(lufs: lufs, target: info.kind == .voice ? voiceLUFS : toneLUFS))
            } catch {
                problems.append("  \(id): \(error)")
            }
        }
        if !problems.isEmpty {
            throw EngineError("somacue: some cues could not be decoded:\n" + problems.joined(separator: "\n"), status: ExitStatus.dataError)
        }
        self.cues = cues
        loudnessGains = gains
        kernelEvents = Self.kernelEvents(for: plan.timeline, cues: cues, gains: gains)
    }

    /// Kernel events for a timeline laid out with this session's cues (e.g. at another tempo).
    public func kernelEvents(for timeline: Timeline) -> [KernelEvent] {
        Self.kernelEvents(for: timeline, cues: cues, gains: loudnessGains)
    }

    /// Each event's gain: loudness gain x the manifest's `gain` (the user's volumes follow in
    /// the kernel).
    static func kernelEvents(for timeline: Timeline, cues: [CueID: LoadedCue], gains: [CueID: Float]) -> [KernelEvent] {
        timeline.events.map { e in
            let cue = cues[e.cue]!  // every event's cue was loaded with the session
            return KernelEvent(start: e.frame.value, frames: min(e.frames.value, cue.frames.value),
                               samples: cue.pcm.baseAddress!, channels: cue.channels,
                               gain: Float(e.gain) * (gains[e.cue] ?? 1), isVoice: e.kind == .voice)
        }
    }

    /// The pacing guide's segments for a timeline laid out with this session (`planGuide`).
    public func guideSegments(for timeline: Timeline) -> [GuideSegment] {
        planGuide(timeline, settings: plan.guide)
    }

    /// A fresh mixer state for this session; free it with `MixerState.deallocate`.
    public func makeMixer(config: Config) -> UnsafeMutablePointer<MixerState> {
        MixerState.allocate(events: kernelEvents, totalFrames: plan.timeline.frames.value,
                            master: Float(config.masterVolume), voice: Float(config.voiceVolume),
                            tone: Float(config.toneVolume), guide: guideSegments(for: plan.timeline))
    }
}

extension ResamplerQuality {
    public init(config: Config) { self = ResamplerQuality(rawValue: config.resampler) ?? .medium }
}
