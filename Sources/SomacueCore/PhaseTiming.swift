/// How long each phase of a repetition lasts, and at which tempo a step plays: the rules that
/// combine a step, its exercise, the session and the settings. Pure, so the precedence rules are
/// tested without audio.

/// Phases given as ratios of one unit: `pace = [1, 0.5, 3, 1.5]` with `pace_unit = 5.0` is a
/// 5 s contraction, 2.5 s hold, 15 s release and 7.5 s rest (at tempo 1.0).
public struct Pace: Sendable, Hashable {
    /// Contract, hold, release, rest, in units; nil when only `pace_unit` was given.
    public var ratios: [Double]?
    /// Seconds per unit at tempo 1.0; nil when only `pace` was given.
    public var unit: Double?
    /// Position of `pace` (or of `pace_unit` when only that was given).
    public var position: SourcePosition?

    public init(ratios: [Double]? = nil, unit: Double? = nil, position: SourcePosition? = nil) {
        self.ratios = ratios
        self.unit = unit
        self.position = position
    }

    /// The built-in pace: 5 s contraction, no hold, 15 s release, 8 s rest.
    public static let defaultUnit = 5.0
    /// Accepted `pace_unit` values, in seconds.
    public static let unitRange: ClosedRange<Double> = 0.5...60
    /// Accepted ratios: contraction and release must take some time; hold and rest may be 0.
    public static let ratioRange: ClosedRange<Double> = 0...60
}

/// The four phase durations of one step (seconds at tempo 1.0), each with where it came from.
public struct PhaseTimes: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// Absolute seconds written in a step or exercise (the position of that value).
        case seconds(SourcePosition?)
        /// `pace` ratios times `pace_unit`.
        case pace(SourcePosition?)
        /// The built-in defaults.
        case builtin
    }
    public var contract: Double
    public var contractSource: Source
    /// nil: the exercise has no hold, or neither seconds nor a pace give one.
    public var hold: Double?
    public var release: Double
    public var releaseSource: Source
    public var rest: Double

    /// Whether the release was given in absolute seconds (then it is kept as written, even
    /// shorter than 3x the contraction; otherwise the engine stretches it to that).
    public var releaseIsExplicit: Bool {
        if case .seconds = releaseSource { return true }
        return false
    }
}

/// Resolves a step's phase durations. For each phase, the first of: the step's seconds, the
/// step's pace, the exercise's seconds, the exercise's pace, the built-in default (contraction
/// 5 s, release max(15 s, 3x the contraction), rest 8 s). A pace's unit is the step's
/// `pace_unit`, else the exercise's, else 5 s; a step's `pace_unit` alone rescales the
/// exercise's ratios.
public func phaseTimes(step: SessionStep, exercise ex: Exercise) -> PhaseTimes {
    let unit = step.pace?.unit ?? ex.pace?.unit ?? Pace.defaultUnit
    func fromPace(_ pace: Pace?, _ i: Int) -> (Double, PhaseTimes.Source)? {
        guard let r = pace?.ratios, i < r.count else { return nil }
        return (r[i] * unit, .pace(pace?.position))
    }
    func resolve(_ stepSeconds: Double?, _ stepPosition: SourcePosition?, _ exSeconds: Double?,
                 _ exPosition: SourcePosition?, _ i: Int) -> (Double, PhaseTimes.Source)? {
        if let s = stepSeconds { return (s, .seconds(stepPosition)) }
        if let p = fromPace(step.pace, i) { return p }
        if let s = exSeconds { return (s, .seconds(exPosition)) }
        // A step's pace_unit without ratios rescales the exercise's pace, else the defaults.
        if let p = fromPace(ex.pace, i) { return p }
        return nil
    }
    let unitScale = unit / Pace.defaultUnit
    let contract = resolve(step.contract, step.secondsPositions[.contract], ex.contract.seconds, ex.contract.secondsPosition, 0)
        ?? (PacingDefaults.contract * unitScale, .builtin)
    let hold = resolve(step.hold, step.secondsPositions[.hold], ex.hold?.seconds, ex.hold?.secondsPosition, 1)
    let release = resolve(step.release, step.secondsPositions[.release], ex.release.seconds, ex.release.secondsPosition, 2)
        ?? (max(PacingDefaults.release * unitScale, Double(PacingDefaults.releaseRatio) * contract.0), .builtin)
    let rest = resolve(step.rest, step.secondsPositions[.rest], ex.rest?.seconds, ex.rest?.secondsPosition, 3)
        ?? (PacingDefaults.rest * unitScale, .builtin)
    return PhaseTimes(contract: contract.0, contractSource: contract.1, hold: hold?.0,
                      release: release.0, releaseSource: release.1, rest: rest.0)
}

/// The tempo a step plays at: a forced tempo (`--tempo`, `--fit`, a live change) wins, then
/// the step's own, then the session's, then the settings' (the config).
public func effectiveTempo(step: SessionStep?, session: Session, settings: PacingSettings) -> Tempo {
    settings.forcedTempo ?? step?.tempo ?? session.tempo ?? settings.tempo
}

/// A warning when absolute seconds make a release shorter than 3x its contraction (the engine
/// stretches releases it computes itself, never ones written in seconds), at the release's value.
/// nil when the rule holds or the release is not written in seconds.
public func releaseRatioWarning(_ times: PhaseTimes, file: String, label: String,
                                fallbackPosition: SourcePosition?) -> Diagnostic? {
    guard case .seconds(let at) = times.releaseSource,
          times.release < Double(PacingDefaults.releaseRatio) * times.contract else { return nil }
    return Diagnostic(file: file, position: at ?? fallbackPosition, severity: .warning,
                      message: "\(label): the release of \(formatNumber(times.release)) s is shorter than 3 x the contraction (\(formatNumber(3 * times.contract)) s); releases are meant to be slow")
}

/// The release-ratio warnings a session's steps cause (a step that only repeats its exercise's
/// own timing is left to the exercise file's warning).
public func releaseRatioWarnings(session: Session, exercises: [String: Exercise]) -> [Diagnostic] {
    var out: [Diagnostic] = []
    for (i, step) in session.steps.enumerated() {
        guard let ex = exercises[step.exercise] else { continue }
        let stepShapesIt = step.contract != nil || step.release != nil || step.pace != nil
        guard stepShapesIt else { continue }
        let times = phaseTimes(step: step, exercise: ex)
        // Point at the step's release if it wrote one, else at what the step changed.
        var t = times
        if step.release == nil, case .seconds = t.releaseSource {
            t.releaseSource = .seconds(step.secondsPositions[.contract] ?? step.pace?.position ?? step.position)
        }
        if let d = releaseRatioWarning(t, file: session.file, label: "step[\(i + 1)] (\(ex.id))", fallbackPosition: step.position) {
            out.append(d)
        }
    }
    return out
}

// MARK: - Target length (`--fit`)

/// Parses a length such as `600`, `90.5`, `10m`, `1h5m`, `1h5m30s`, `45s` into seconds.
/// nil for anything else (empty, negative, zero, a unit twice or out of order).
public func parseLength(_ text: String) -> Double? {
    let s = Array(text.utf8)
    guard !s.isEmpty, s.count <= 32 else { return nil }
    func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    if s.allSatisfy({ isDigit($0) || $0 == 46 }) {
        guard let v = Double(text), v.isFinite, v > 0 else { return nil }
        return v
    }
    let units: [UInt8: Double] = [104: 3600, 109: 60, 115: 1]  // h, m, s
    let order: [UInt8] = [104, 109, 115]
    var total = 0.0
    var i = 0
    var lastOrder = -1
    while i < s.count {
        var j = i
        while j < s.count, isDigit(s[j]) || s[j] == 46 { j += 1 }
        guard j > i, j < s.count, let scale = units[s[j]], let k = order.firstIndex(of: s[j]), k > lastOrder,
              let v = Double(String(decoding: s[i..<j], as: UTF8.self)), v.isFinite else { return nil }
        total += v * scale
        lastOrder = k
        i = j + 1
    }
    guard total.isFinite, total > 0 else { return nil }
    return total
}

public struct FitError: Error, Sendable, CustomStringConvertible {
    /// The length asked for, and the shortest and longest the tempo range gives (seconds).
    public var target: Double
    public var shortest: Double
    public var longest: Double
    public var description: String {
        "a length of \(lengthText(target)) is out of reach: at tempo \(formatNumber(Tempo.range.upperBound)) to \(formatNumber(Tempo.range.lowerBound)) this session lasts \(lengthText(shortest)) to \(lengthText(longest))"
    }
}

extension PacingEngine {
    /// The tempo (in steps of 0.001, applied to every step like `--tempo`) whose timeline is
    /// closest in length to `seconds`, with that timeline. Longer sessions come from lower
    /// tempos; the length never grows with the tempo, so a binary search finds it.
    public func fit(seconds: Double, cues: [CueID: CueInfo]) throws -> (tempo: Tempo, timeline: Timeline) {
        let rate = settings.sampleRate
        let lowest = 250, highest = 2000  // thousandths, Tempo.range
        var cache: [Int: Timeline] = [:]
        func timeline(_ k: Int) throws -> Timeline {
            if let t = cache[k] { return t }
            var e = self
            e.settings.forcedTempo = Tempo(Double(k) / 1000)
            let t = try e.compile(cues: cues)
            cache[k] = t
            return t
        }
        let slow = try timeline(lowest), fast = try timeline(highest)
        let longest = rate.seconds(slow.frames), shortest = rate.seconds(fast.frames)
        // Half a millisecond of slack for targets typed from a printed (rounded) length.
        guard seconds.isFinite, seconds >= shortest - 0.0005, seconds <= longest + 0.0005 else {
            throw FitError(target: seconds, shortest: shortest, longest: longest)
        }
        // The first tempo whose session is no longer than the target.
        var lo = lowest, hi = highest
        while lo < hi {
            let mid = (lo + hi) / 2
            if rate.seconds(try timeline(mid).frames) <= seconds { hi = mid } else { lo = mid + 1 }
        }
        var best = lo
        if lo > lowest {
            let under = seconds - rate.seconds(try timeline(lo).frames)
            let over = rate.seconds(try timeline(lo - 1).frames) - seconds
            if over < under { best = lo - 1 }
        }
        let t = try timeline(best)
        return (t.tempo, t)
    }
}

/// A length as `m:ss.s` or `h:mm:ss.s` (tenths of a second), for messages about `--fit`.
public func lengthText(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0, seconds < 1e9 else { return formatNumber(seconds) + " s" }
    let tenths = Int64(saturating: seconds * 10)
    let total = tenths / 10, h = total / 3600, m = (total % 3600) / 60, sec = total % 60
    func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
    let tail = "\(two(sec)).\(tenths % 10)"
    return h > 0 ? "\(h):\(two(m)):\(tail)" : "\(m):\(tail)"
}
