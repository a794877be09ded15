/// Session, exercise and voice-manifest models, read from TOML with positioned diagnostics.

public enum Posture: String, Sendable, CaseIterable {
    case lying, seated, standing
    /// Standing work keeps the eyes open and holds a support.
    public var eyesClosed: Bool { self != .standing }
}

public enum Side: String, Sendable, CaseIterable { case left, right }

/// The movement phases of one repetition, in order.
public enum MovementPhase: String, Sendable, CaseIterable { case contract, hold, release, rest }

/// A spoken instruction with an optional explicit duration (seconds at tempo 1.0), and an
/// optional short prompt (`short`) that later repetitions speak instead of `say`.
public struct PhaseSpec: Sendable, Hashable {
    public var say: String?
    /// The short prompt for the second and later repetitions of a side (cue `<id>.<phase>-short`).
    public var short: String?
    public var seconds: Double?
    public var position: SourcePosition?
    /// Position of the `seconds` value, for diagnostics about it.
    public var secondsPosition: SourcePosition?
    public init(say: String? = nil, seconds: Double? = nil, position: SourcePosition? = nil,
                secondsPosition: SourcePosition? = nil, short: String? = nil) {
        self.say = say
        self.short = short
        self.seconds = seconds
        self.position = position
        self.secondsPosition = secondsPosition
    }
}

public struct Exercise: Sendable {
    public var id: String
    public var title: String
    public var posture: Posture
    public var sides: Bool
    public var reps: Int?
    public var position: String
    public var contract: PhaseSpec
    public var hold: PhaseSpec?
    public var release: PhaseSpec
    public var rest: PhaseSpec?
    /// Phases as ratios of a unit (`pace`, `pace_unit`); absolute seconds in a phase win.
    public var pace: Pace?
    public var file: String

    public init(id: String, title: String, posture: Posture = .lying, sides: Bool = false, reps: Int? = nil,
                position: String, contract: PhaseSpec, hold: PhaseSpec? = nil, release: PhaseSpec,
                rest: PhaseSpec? = nil, file: String = "", pace: Pace? = nil) {
        self.id = id
        self.title = title
        self.posture = posture
        self.sides = sides
        self.reps = reps
        self.position = position
        self.contract = contract
        self.hold = hold
        self.release = release
        self.rest = rest
        self.pace = pace
        self.file = file
    }
}

public struct SessionStep: Sendable {
    public var exercise: String
    public var reps: Int?
    /// Side order for per-side exercises; nil means the exercise's default (left, then right).
    public var sides: [Side]?
    public var contract: Double?
    public var hold: Double?
    public var release: Double?
    public var rest: Double?
    public var focus: String?
    /// Position of the `exercise = ...` value, for diagnostics about the reference.
    public var position: SourcePosition?
    /// This step's tempo: wins over the session's and the config's, not over `--tempo`, `--fit`
    /// or a live change.
    public var tempo: Tempo?
    /// Phases as ratios (`pace`, `pace_unit`); this step's seconds win over it.
    public var pace: Pace?
    /// Positions of the `contract`, `hold`, `release`, `rest` values.
    public var secondsPositions: [MovementPhase: SourcePosition] = [:]

    public init(exercise: String, reps: Int? = nil, sides: [Side]? = nil, contract: Double? = nil,
                hold: Double? = nil, release: Double? = nil, rest: Double? = nil, focus: String? = nil,
                position: SourcePosition? = nil, tempo: Tempo? = nil, pace: Pace? = nil) {
        self.exercise = exercise
        self.reps = reps
        self.sides = sides
        self.contract = contract
        self.hold = hold
        self.release = release
        self.rest = rest
        self.focus = focus
        self.position = position
        self.tempo = tempo
        self.pace = pace
    }
}

public struct Session: Sendable {
    public var id: String
    public var title: String
    public var description: String
    public var posture: Posture
    public var opening: String
    public var closing: String
    public var steps: [SessionStep]
    /// The session's tempo: wins over the config's, not over a step's, `--tempo`, `--fit` or a
    /// live change.
    public var tempo: Tempo?
    /// `[session.guide]`: this session's changes to the config's pacing guide.
    public var guide = GuideOverrides()
    public var file: String

    public init(id: String, title: String, description: String, posture: Posture, opening: String,
                closing: String, steps: [SessionStep], file: String = "", tempo: Tempo? = nil) {
        self.id = id
        self.title = title
        self.description = description
        self.posture = posture
        self.opening = opening
        self.closing = closing
        self.steps = steps
        self.tempo = tempo
        self.file = file
    }
}

/// Kebab-case id from a title: "One-sided Arch & Curl" -> "one-sided-arch-and-curl".
public func makeID(fromTitle title: String) -> String {
    var out = ""
    var pendingDash = false
    for ch in title.replacing("&", with: " and ").lowercased() {
        if ch.isLetter || ch.isNumber, ch.isASCII {
            if pendingDash && !out.isEmpty { out.append("-") }
            pendingDash = false
            out.append(ch)
        } else if ch != "'" {
            pendingDash = true
        }
    }
    return out
}

/// True for ids of the form `word(-word)*` in lowercase ASCII letters and digits.
public func isValidID(_ id: String) -> Bool {
    !id.isEmpty && !id.hasPrefix("-") && !id.hasSuffix("-") && !id.contains("--")
        && id.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
}

// MARK: - Reading

public enum FileKind: String, Sendable, CaseIterable { case session, exercise, manifest, config }

/// Guesses a file's kind from its top-level tables: `[exercise]`, `[[cue]]`/`[voice]`,
/// `[session]` with a title or `[[step]]` entries; anything else is a config.
public func detectKind(_ root: TOMLTable) -> FileKind {
    if root["exercise"] != nil { return .exercise }
    if root["cue"] != nil || root["voice"] != nil { return .manifest }
    if root["step"] != nil { return .session }
    if let node = root["session"], case .table(let t) = node.value, t["title"] != nil || t["id"] != nil {
        return .session
    }
    return .config
}

/// Phase durations accepted in files: at least 0.1 s (tests use short sessions), at most 10 min.
let phaseSecondsRange: ClosedRange<Double> = 0.1...600

private func readPhase(_ r: inout SchemaReader, _ parent: TOMLTable, _ key: String, path: String,
                       required: Bool, sayRequired: Bool) -> PhaseSpec? {
    guard let t = r.table(parent, key, path: path, required: required) else { return nil }
    let p = join(path, key)
    r.rejectUnknownKeys(in: t, path: p, known: ["say", "seconds", "short"])
    let say = r.string(t, "say", path: p, required: sayRequired)
    let seconds = r.number(t, "seconds", path: p, range: phaseSecondsRange, unit: "seconds")
    var short = r.string(t, "short", path: p)
    if short != nil && say == nil && t["say"] == nil {
        r.error("\(p).short: a short prompt stands in for the full instruction on later repetitions; give the full one in \"say\" too",
                at: t["short"]?.position)
        short = nil
    }
    return PhaseSpec(say: say, seconds: seconds, position: t.position, secondsPosition: t["seconds"]?.position, short: short)
}

/// Reads an exercise file. Returns nil (with errors in `reader`) when it is unusable.
public func readExercise(_ root: TOMLTable, reader r: inout SchemaReader, expectedID: String? = nil) -> Exercise? {
    r.rejectUnknownKeys(in: root, path: "", known: ["exercise"])
    guard let t = r.table(root, "exercise", path: "", required: true) else { return nil }
    let path = "exercise"
    r.rejectUnknownKeys(in: t, path: path, known: ["id", "title", "posture", "sides", "reps", "position",
                                                  "contract", "hold", "release", "rest", "pace", "pace_unit"])
    let title = r.string(t, "title", path: path, required: true)
    var id = r.string(t, "id", path: path)
    if let given = id, !isValidID(given) {
        r.error("exercise.id: \"\(given)\" is not a kebab-case id (lowercase letters, digits and dashes)", at: t["id"]?.position)
        id = nil
    }
    let resolvedID = id ?? title.map(makeID(fromTitle:))
    if let expectedID, let resolvedID, resolvedID != expectedID {
        r.warning("exercise id \"\(resolvedID)\" differs from the file name \"\(expectedID).toml\"", at: t["id"]?.position ?? t.position)
    }
    let posture = r.choice(t, "posture", path: path, options: Posture.allCases.map(\.rawValue)).flatMap(Posture.init) ?? .lying
    let sides = r.bool(t, "sides", path: path) ?? false
    let reps = r.integer(t, "reps", path: path, range: 1...20).map(Int.init)
    let position = r.string(t, "position", path: path, required: true)
    let contract = readPhase(&r, t, "contract", path: path, required: true, sayRequired: true)
    let hold = readPhase(&r, t, "hold", path: path, required: false, sayRequired: true)
    let release = readPhase(&r, t, "release", path: path, required: true, sayRequired: true)
    let rest = readPhase(&r, t, "rest", path: path, required: false, sayRequired: false)
    let pace = readPace(&r, t, path: path)
    if let pace, pace.ratios?[1] ?? 0 > 0, hold == nil, t["hold"] == nil {
        r.warning("exercise.pace: a hold of \(formatNumber(pace.ratios?[1] ?? 0)) units is given but the exercise has no [exercise.hold] instruction; it is left out",
                  at: pace.position)
    }
    guard let resolvedID, let title, let position, let contract, let release else { return nil }
    let ex = Exercise(id: resolvedID, title: title, posture: posture, sides: sides, reps: reps, position: position,
                      contract: contract, hold: hold, release: release, rest: rest, file: r.file, pace: pace)
    if let w = releaseRatioWarning(phaseTimes(step: SessionStep(exercise: resolvedID), exercise: ex), file: r.file,
                                   label: "exercise.release.seconds", fallbackPosition: release.position) {
        r.warning(w.message, at: w.position)
    }
    return ex
}

/// Reads a session file. Exercise references are checked later, against the library.
public func readSession(_ root: TOMLTable, reader r: inout SchemaReader, expectedID: String? = nil) -> Session? {
    r.rejectUnknownKeys(in: root, path: "", known: ["session", "step"])
    guard let t = r.table(root, "session", path: "", required: true) else { return nil }
    let path = "session"
    r.rejectUnknownKeys(in: t, path: path, known: ["id", "title", "description", "posture", "opening", "closing", "tempo", "guide"])
    let title = r.string(t, "title", path: path, required: true)
    var id = r.string(t, "id", path: path)
    if let given = id, !isValidID(given) {
        r.error("session.id: \"\(given)\" is not a kebab-case id (lowercase letters, digits and dashes)", at: t["id"]?.position)
        id = nil
    }
    let resolvedID = id ?? title.map(makeID(fromTitle:))
    if let expectedID, let resolvedID, resolvedID != expectedID {
        r.warning("session id \"\(resolvedID)\" differs from the file name \"\(expectedID).toml\"", at: t["id"]?.position ?? t.position)
    }
    let description = r.string(t, "description", path: path) ?? ""
    let posture = r.choice(t, "posture", path: path, options: Posture.allCases.map(\.rawValue)).flatMap(Posture.init) ?? .lying
    let opening = r.string(t, "opening", path: path, required: true)
    let closing = r.string(t, "closing", path: path, required: true)
    let tempo = r.number(t, "tempo", path: path, range: Tempo.range).flatMap(Tempo.init)
    let guide = r.table(t, "guide", path: path).map { readGuide($0, reader: &r, path: join(path, "guide")) } ?? GuideOverrides()

    var steps: [SessionStep] = []
    if let node = root["step"] {
        if case .array(let items) = node.value {
            for (i, item) in items.enumerated() {
                let sp = "step[\(i + 1)]"
                guard case .table(let st) = item.value else {
                    r.error("\(sp): expected a table ([[step]]), found \(item.value.typeName)", at: item.position)
                    continue
                }
                if let step = readStep(st, reader: &r, path: sp) { steps.append(step) }
            }
        } else {
            r.error("step: expected an array of tables ([[step]]), found \(node.value.typeName)", at: node.position)
        }
    }
    if root["step"] == nil {
        r.error("a session needs at least one [[step]] naming an exercise", at: t.position)
    }
    guard let resolvedID, let title, let opening, let closing else { return nil }
    var session = Session(id: resolvedID, title: title, description: description, posture: posture,
                          opening: opening, closing: closing, steps: steps, file: r.file, tempo: tempo)
    session.guide = guide
    return session
}

private func readStep(_ st: TOMLTable, reader r: inout SchemaReader, path sp: String) -> SessionStep? {
    r.rejectUnknownKeys(in: st, path: sp, known: ["exercise", "reps", "sides", "contract", "hold", "release", "rest", "focus",
                                                  "tempo", "pace", "pace_unit"])
    let ex = r.string(st, "exercise", path: sp, required: true)
    let reps = r.integer(st, "reps", path: sp, range: 1...20).map(Int.init)
    var sides: [Side]?
    if let node = st["sides"] {
        switch node.value {
        case .boolean(false): sides = []
        case .array(let items):
            var list: [Side] = []
            for item in items {
                if case .string(let s) = item.value, let side = Side(rawValue: s), !list.contains(side) {
                    list.append(side)
                } else {
                    r.error("\(sp).sides: expected \"left\" or \"right\" (each at most once)", at: item.position)
                }
            }
            if items.isEmpty { r.error("\(sp).sides: name at least one side, or write sides = false", at: node.position) }
            sides = list
        default:
            r.error("\(sp).sides: expected an array such as [\"right\", \"left\"] or false, found \(node.value.typeName)", at: node.position)
        }
    }
    let contract = r.number(st, "contract", path: sp, range: phaseSecondsRange, unit: "seconds")
    let hold = r.number(st, "hold", path: sp, range: 0...600, unit: "seconds")
    let release = r.number(st, "release", path: sp, range: phaseSecondsRange, unit: "seconds")
    let rest = r.number(st, "rest", path: sp, range: phaseSecondsRange, unit: "seconds")
    let focus = r.string(st, "focus", path: sp)
    let tempo = r.number(st, "tempo", path: sp, range: Tempo.range).flatMap(Tempo.init)
    let pace = readPace(&r, st, path: sp)
    guard let ex else { return nil }
    var step = SessionStep(exercise: ex, reps: reps, sides: sides, contract: contract, hold: hold, release: release,
                           rest: rest, focus: focus, position: st["exercise"]?.position ?? st.position, tempo: tempo, pace: pace)
    for phase in MovementPhase.allCases {
        if let p = st[phase.rawValue]?.position { step.secondsPositions[phase] = p }
    }
    return step
}

/// `pace = [contract, hold, release, rest]` (units) and `pace_unit` (seconds per unit).
private func readPace(_ r: inout SchemaReader, _ t: TOMLTable, path: String) -> Pace? {
    let unit = r.number(t, "pace_unit", path: path, range: Pace.unitRange, unit: "seconds")
    var ratios: [Double]?
    if let node = t["pace"] {
        let p = join(path, "pace")
        let usage = "expected four numbers [contract, hold, release, rest] in units of pace_unit, such as [1, 0.5, 3, 1.5]"
        if case .array(let items) = node.value, items.count == 4 {
            var values: [Double] = []
            for (i, item) in items.enumerated() {
                let v: Double?
                switch item.value {
                case .integer(let n): v = Double(n)
                case .float(let d): v = d
                default: v = nil
                }
                let phase = MovementPhase.allCases[i]
                let minimum = (phase == .contract || phase == .release) ? 0.01 : 0
                guard let v, v.isFinite, v >= minimum, v <= Pace.ratioRange.upperBound else {
                    r.error("\(p): the \(phase.rawValue) must be a number from \(formatNumber(minimum)) to \(formatNumber(Pace.ratioRange.upperBound)); \(usage)",
                            at: item.position)
                    continue
                }
                values.append(v)
            }
            if values.count == 4 {
                ratios = values
                let seconds = values.map { $0 * (unit ?? Pace.defaultUnit) }
                if let longest = seconds.max(), longest > phaseSecondsRange.upperBound {
                    r.error("\(p): a phase of \(formatNumber(longest)) s is longer than \(formatNumber(phaseSecondsRange.upperBound)) s", at: node.position)
                    ratios = nil
                }
            }
        } else {
            r.error("\(p): \(usage)", at: node.position)
        }
    }
    guard ratios != nil || unit != nil else { return nil }
    return Pace(ratios: ratios, unit: unit, position: t["pace"]?.position ?? t["pace_unit"]?.position)
}

// MARK: - Voice manifest

public enum CueKind: String, Sendable { case voice, tone }

/// The kind the engine gives a cue id: its own tones are tones, every other cue is spoken. A
/// voice pack cannot change it (`voice check` and `validate` report a pack that tries).
public func engineKind(of id: CueID) -> CueKind {
    BuiltinCue.tones.contains { $0.id == id } ? .tone : .voice
}

public struct ManifestCue: Sendable, Hashable {
    public var id: CueID
    /// Path as written, relative to the manifest's directory unless absolute.
    public var file: String
    public var text: String?
    /// The engine's kind for this id (a pack never changes it).
    public var kind: CueKind
    /// The kind the manifest declares, when it has a `kind` key.
    public var declaredKind: CueKind?
    public var gain: Double
    /// Measured loudness in LUFS (integrated; over the whole cue when shorter than 400 ms).
    public var lufs: Double?
    /// Position of the `file = ...` value.
    public var position: SourcePosition?

    public init(id: CueID, file: String, text: String? = nil, kind: CueKind, declaredKind: CueKind? = nil,
                gain: Double = 1, lufs: Double? = nil, position: SourcePosition? = nil) {
        self.id = id
        self.file = file
        self.text = text
        self.kind = kind
        self.declaredKind = declaredKind
        self.gain = gain
        self.lufs = lufs
        self.position = position
    }
}

public struct VoiceManifest: Sendable {
    public var name: String?
    public var title: String?
    public var generator: String?
    public var description: String?
    /// The pack this one falls back to for cues it lacks (default: the default voice).
    public var base: String?
    public var cues: [ManifestCue]
    public var file: String

    public init(name: String? = nil, title: String? = nil, generator: String? = nil, description: String? = nil,
                base: String? = nil, cues: [ManifestCue], file: String) {
        self.name = name
        self.title = title
        self.generator = generator
        self.description = description
        self.base = base
        self.cues = cues
        self.file = file
    }
}

/// Loudness values accepted in a manifest (LUFS).
public let lufsRange: ClosedRange<Double> = -120...10

/// Reads a voice manifest. A `kind` that differs from the engine's is an error for `validate`
/// and `voice check`; when a pack is loaded to play (`strictKinds: false`) it is a warning and
/// the engine's kind is used.
public func readManifest(_ root: TOMLTable, reader r: inout SchemaReader, strictKinds: Bool = true) -> VoiceManifest {
    r.rejectUnknownKeys(in: root, path: "", known: ["voice", "cue"])
    var m = VoiceManifest(cues: [], file: r.file)
    if let v = r.table(root, "voice", path: "") {
        r.rejectUnknownKeys(in: v, path: "voice", known: ["name", "title", "description", "generator", "base"])
        m.name = r.string(v, "name", path: "voice")
        m.title = r.string(v, "title", path: "voice")
        m.description = r.string(v, "description", path: "voice")
        m.generator = r.string(v, "generator", path: "voice")
        m.base = r.string(v, "base", path: "voice")
    }
    var cues: [ManifestCue] = []
    var seen: [String: SourcePosition] = [:]
    if let node = root["cue"] {
        guard case .array(let items) = node.value else {
            r.error("cue: expected an array of tables ([[cue]]), found \(node.value.typeName)", at: node.position)
            return m
        }
        for (i, item) in items.enumerated() {
            let p = "cue[\(i + 1)]"
            guard case .table(let t) = item.value else {
                r.error("\(p): expected a table ([[cue]]), found \(item.value.typeName)", at: item.position)
                continue
            }
            r.rejectUnknownKeys(in: t, path: p, known: ["id", "file", "text", "kind", "gain", "lufs"])
            let id = r.string(t, "id", path: p, required: true)
            let file = r.string(t, "file", path: p, required: true)
            let text = r.string(t, "text", path: p)
            let declared = r.choice(t, "kind", path: p, options: ["voice", "tone"]).flatMap(CueKind.init)
            let gain = r.number(t, "gain", path: p, range: 0...1.5) ?? 1.0
            let lufs = r.number(t, "lufs", path: p, range: lufsRange, unit: "LUFS")
            if let id {
                if let first = seen[id] {
                    r.error("\(p).id: duplicate cue id \"\(id)\" (first defined at \(first.line):\(first.column))", at: t["id"]?.position)
                    continue
                }
                seen[id] = t["id"]?.position ?? t.position
            }
            let kind = id.map { engineKind(of: CueID($0)) } ?? declared ?? .voice
            if let id, let declared, declared != kind {
                let message = "\(p).kind: \"\(id)\" is a \(kind.rawValue) cue in the engine; a pack cannot make it a \(declared.rawValue) (remove the kind key or write \"\(kind.rawValue)\")"
                if strictKinds { r.error(message, at: t["kind"]?.position) } else { r.warning(message, at: t["kind"]?.position) }
            }
            if kind == .voice && text == nil && t["text"] == nil {
                r.warning("\(p): a voice cue should carry its spoken text in \"text\"", at: t.position)
            }
            if let id, let file {
                cues.append(ManifestCue(id: CueID(id), file: file, text: text, kind: kind, declaredKind: declared, gain: gain,
                                        lufs: lufs, position: t["file"]?.position ?? t.position))
            }
        }
    }
    m.cues = cues
    return m
}
