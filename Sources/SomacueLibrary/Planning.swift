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

/// How planning reaches the cue files: their headers (`CueHeaderCache`), and what speaks a cue no
/// pack has with the config's `[tts]` command (the engine's `TTSSpeaker.command`; nil: only
/// cues it already spoke are used, and the command is never run).
public struct CueFiles: Sendable {
    public var headers: CueHeaderCache
    public var speaker: TTSSpeaker?
    public init(headers: CueHeaderCache, speaker: TTSSpeaker? = nil) {
        self.headers = headers
        self.speaker = speaker
    }
}

/// Compiles `session` with the given options; reads only cue headers (no decoding). With
/// `whereCues`, the catalog also holds every cue a `where` report of this session can say
/// (`Whereabouts`): the repetition counts it has and the times left up to its length.
public func plan(session: Session, library: Library, config: Config, options: SessionOptions,
                 paths: Paths, cueFiles: CueFiles, extraCues: [CueRequirement] = [],
                 whereCues: Bool = false) throws(EngineError) -> PlannedSession {
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
    let tts = config.tts.map { TTSSynthesizer(config: $0, voice: voice, speaker: cueFiles.speaker) }
    var catalog = try source.catalog(for: required + extraCues.filter { e in !required.contains { $0.id == e.id } },
                                     rate: config.sampleRate, headers: cueFiles.headers, tts: tts)
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
        for (id, info) in (try? source.catalog(for: wanted, rate: config.sampleRate, headers: cueFiles.headers, tts: tts)) ?? [:] { catalog[id] = info }
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
                           headers: CueHeaderCache, tempo: Tempo? = nil) -> Double? {
    let options = SessionOptions(tempo: tempo?.value)
    var fallback = options
    fallback.voice = "default"
    let files = CueFiles(headers: headers)
    guard let p = (try? plan(session: session, library: library, config: config, options: options, paths: paths, cueFiles: files))
            ?? (try? plan(session: session, library: library, config: config, options: fallback, paths: paths, cueFiles: files))
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

/// "12:05" or "1:02:03".
public func formatClock(_ seconds: Double) -> String {
    let s = max(0, Int(saturating: seconds, rounding: .down))
    func two(_ x: Int) -> String { x < 10 ? "0\(x)" : "\(x)" }
    if s >= 3600 { return "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" }
    return "\(s / 60):\(two(s % 60))"
}
