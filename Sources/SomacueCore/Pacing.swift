/// The pacing engine: turns a session (exercises, reps, sides, tempo) into a sample-exact
/// timeline of voice and tone cues. Pure: it only needs each cue's length in frames.

public enum SegmentPhase: String, Sendable, CaseIterable {
    case opening, position, contract, hold, release, rest
    case `switch`, integrate, closing
}

/// What the engine needs to know about a cue to place it.
public struct CueInfo: Sendable, Hashable {
    public var id: CueID
    public var kind: CueKind
    public var frames: FrameCount
    /// Absolute path of the audio file used.
    public var source: String
    public var gain: Double
    /// The cue's loudness from its manifest (`lufs`), if measured.
    public var lufs: Double?
    public init(id: CueID, kind: CueKind, frames: FrameCount, source: String, gain: Double = 1.0, lufs: Double? = nil) {
        self.id = id
        self.kind = kind
        self.frames = frames
        self.source = source
        self.gain = gain
        self.lufs = lufs
    }
}

public struct TimelineEvent: Sendable, Hashable {
    /// Index in the render at which the cue's first sample lands.
    public var frame: FrameCount
    public var frames: FrameCount
    public var cue: CueID
    public var kind: CueKind
    public var source: String
    public var gain: Double
    public var exercise: String?
    public var phase: SegmentPhase
    public var side: Side?
    public var rep: Int?
    public var end: FrameCount { frame + frames }
}

public struct Segment: Sendable, Hashable {
    public var frame: FrameCount
    public var frames: FrameCount
    public var phase: SegmentPhase
    public var exercise: String?
    public var exerciseTitle: String?
    /// 1-based index of the exercise in the session.
    public var exerciseIndex: Int?
    public var side: Side?
    public var rep: Int?
    public var reps: Int?
    /// The tempo this segment was laid out at.
    public var tempo: Tempo = .normal
    public var end: FrameCount { frame + frames }
}

public struct Timeline: Sendable {
    public var sessionID: String
    public var sessionTitle: String
    public var sampleRate: SampleRate
    /// The session's tempo (forced, else the session's own, else the config's); a step with its
    /// own tempo plays at that one (see `Segment.tempo`).
    public var tempo: Tempo
    /// Total frames, pre-roll and tail included: exactly what a render writes.
    public var frames: FrameCount
    public var events: [TimelineEvent]
    public var segments: [Segment]
    public var exerciseCount: Int

    /// The segment containing `frame` (the last one for frames past the end).
    public func segment(at frame: FrameCount) -> Segment? {
        var lo = 0, hi = segments.count - 1
        guard hi >= 0 else { return nil }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if segments[mid].frame <= frame { lo = mid } else { hi = mid - 1 }
        }
        return segments[lo]
    }
}

/// Settings that shape a timeline. Seconds are converted to frames once, here.
public struct PacingSettings: Sendable {
    public var sampleRate: SampleRate
    /// The configured tempo: used where neither the session nor a step gives one.
    public var tempo: Tempo
    public var leadIn: Double
    public var preroll: FrameCount
    public var safetyNote: Bool
    /// `--tempo`, `--fit` or a live change: every step plays at it, whatever the session and
    /// its steps say.
    public var forcedTempo: Tempo?

    /// Exercises (1-based indexes) whose position phase begins with their title and position
    /// instructions even though the integration rest before them announced both: the targets
    /// of `next`, `prev` and `goto`, which skip that announcement.
    public var announce: Set<Int>

    /// `[session] announce_every`: the time left is spoken every this many minutes (nil: never).
    public var announceEvery: Double?
    /// `[session] announce_halfway`: "halfway" and the time left are spoken at the middle.
    public var announceHalfway: Bool

    public init(sampleRate: SampleRate = .standard, tempo: Tempo = .normal, leadIn: Double = 0,
                preroll: FrameCount = FrameCount(24_000), safetyNote: Bool = true, forcedTempo: Tempo? = nil,
                announce: Set<Int> = [], announceEvery: Double? = nil, announceHalfway: Bool = false) {
        self.announceEvery = announceEvery
        self.announceHalfway = announceHalfway
        self.sampleRate = sampleRate
        self.tempo = tempo
        self.leadIn = leadIn
        self.preroll = preroll
        self.safetyNote = safetyNote
        self.forcedTempo = forcedTempo
        self.announce = announce
    }
}

/// Default phase durations at tempo 1.0 and the fixed gaps of the layout.
public enum PacingDefaults {
    public static let contract = 5.0
    public static let release = 15.0
    public static let rest = 8.0
    public static let reps = 3
    public static let sideSwitch = 5.0
    public static let integrate = 20.0
    /// The minimum release, as a multiple of the contraction.
    public static let releaseRatio: Int64 = 3
    /// Silence after the last voice of a phase before the next phase may start.
    public static let afterVoice = 0.5
    /// Silence between two voice cues of the same phase.
    public static let betweenVoices = 0.3
    /// Time to get into position after the position instructions (not tempo-scaled).
    public static let settle = 3.0
    /// Silence after the end chime, so the chime's tail is never cut.
    public static let tail = 1.0
}

/// A cue the session needs, with the text it should speak (nil for tones).
public struct CueRequirement: Sendable, Hashable {
    public init(id: CueID, kind: CueKind, text: String?, shortFor: CueID? = nil) {
        self.id = id
        self.kind = kind
        self.text = text
        self.shortFor = shortFor
    }
    public var id: CueID
    public var kind: CueKind
    public var text: String?
    /// Set for a short prompt (`<exercise>.<phase>-short`): the full cue it stands in for on
    /// later repetitions. Such a cue is optional: without it the full cue is spoken.
    public var shortFor: CueID?
    public var isOptional: Bool { shortFor != nil }
}

public struct MissingCuesError: Error, Sendable, CustomStringConvertible {
    public var missing: [CueRequirement]
    public var description: String {
        "missing \(missing.count) cue\(missing.count == 1 ? "" : "s"): " + missing.map(\.id.rawValue).joined(separator: ", ")
    }
}

public enum PacingError: Error, Sendable, CustomStringConvertible {
    case unknownExercise(step: Int, id: String, file: String, position: SourcePosition?, suggestion: String?)
    case noSteps(session: String)

    public var description: String {
        switch self {
        case let .unknownExercise(step, id, file, position, suggestion):
            let place = position.map { "\(file):\($0.line):\($0.column)" } ?? file
            var m = "\(place): error: step[\(step)].exercise: no exercise \"\(id)\""
            if let suggestion { m += "; did you mean \"\(suggestion)\"?" }
            return m
        case let .noSteps(session): return "session \"\(session)\" has no steps"
        }
    }
}

// MARK: - Script: what is said and when, before lengths are known

private enum Item {
    case voice(CueID, String)
    /// A later repetition's instruction: the short prompt when the catalog has it, else the
    /// full instruction.
    case progressive(full: CueID, fullText: String, short: CueID, shortText: String)
    case tone(CueID)
    case silence(Double)
}

private struct ScriptSegment {
    var phase: SegmentPhase
    var exercise: (index: Int, id: String, title: String)?
    var side: Side?
    var rep: Int?
    var reps: Int?
    /// Tones that start with the phase (before the voice at the same frame).
    var onsetTones: [CueID] = []
    /// Voices and silences laid out back to back from the onset.
    var items: [Item] = []
    /// Voices laid out so that they end just before the segment does (announcements).
    var trailing: [Item] = []
    /// Tempo-scaled base duration in seconds at tempo 1.0 (nil: only the content decides).
    var base: Double?
    /// Extra unscaled time after the content (settling into position, the tail).
    var pad: Double = PacingDefaults.afterVoice
    /// Whether rule (3) applies: a release not given explicitly is at least 3x the contraction.
    var enforceRatio = false
    /// The tempo its base duration is scaled by.
    var tempo: Tempo
}

public struct PacingEngine: Sendable {
    public var session: Session
    public var exercises: [String: Exercise]
    public var settings: PacingSettings

    public init(session: Session, exercises: [String: Exercise], settings: PacingSettings) {
        self.session = session
        self.exercises = exercises
        self.settings = settings
    }

    /// Every cue the session uses, in order of first use, without duplicates.
    public func requiredCues() throws(PacingError) -> [CueRequirement] {
        var seen = Set<CueID>()
        var out: [CueRequirement] = []
        func add(_ id: CueID, _ kind: CueKind, _ text: String?, shortFor: CueID? = nil) {
            if seen.insert(id).inserted { out.append(CueRequirement(id: id, kind: kind, text: text, shortFor: shortFor)) }
        }
        for seg in try script() {
            for t in seg.onsetTones { add(t, .tone, nil) }
            for item in seg.items + seg.trailing {
                switch item {
                case let .voice(id, text): add(id, .voice, text)
                case let .progressive(full, fullText, short, shortText):
                    add(full, .voice, fullText)
                    add(short, .voice, shortText, shortFor: full)
                case let .tone(id): add(id, .tone, nil)
                case .silence: break
                }
            }
        }
        // Planned announcements may say any time left.
        if settings.announceEvery != nil || settings.announceHalfway {
            for v in [(Whereabouts.halfway, Whereabouts.text(Whereabouts.halfway) ?? "")] + Whereabouts.timeLeftVoices {
                add(v.0, .voice, v.1)
            }
        }
        return out
    }

    /// Lays the session out in frames. Throws `MissingCuesError` listing every cue the catalog
    /// lacks (short prompts are optional: a later repetition without one speaks the full
    /// instruction), or a `PacingError` for an unknown exercise.
    public func compile(cues: [CueID: CueInfo]) throws -> Timeline {
        let script = try script()
        let missing = try requiredCues().filter { !$0.isOptional && cues[$0.id] == nil }
        if !missing.isEmpty { throw MissingCuesError(missing: missing) }

        let rate = settings.sampleRate
        func scaled(_ seconds: Double, _ tempo: Tempo) -> FrameCount {
            rate.frames(seconds: seconds / tempo.value)
        }
        let afterVoice = rate.frames(seconds: PacingDefaults.afterVoice)
        let gap = rate.frames(seconds: PacingDefaults.betweenVoices)

        var events: [TimelineEvent] = []
        var segments: [Segment] = []
        var cursor = FrameCount.zero
        var lastContract = FrameCount.zero

        for (n, seg) in script.enumerated() {
            let start = cursor
            var local: [TimelineEvent] = []
            func event(_ id: CueID, at frame: FrameCount) -> TimelineEvent {
                // The catalog was checked above; a miss here is a programmer error.
                guard let info = cues[id] else { preconditionFailure("cue \(id) vanished from the catalog") }
                return TimelineEvent(frame: frame, frames: info.frames, cue: id, kind: info.kind, source: info.source,
                                     gain: info.gain, exercise: seg.exercise?.id, phase: seg.phase, side: seg.side, rep: seg.rep)
            }
            // The pre-roll is silence at the very start of the opening.
            var t = n == 0 ? settings.preroll : .zero
            for tone in seg.onsetTones { local.append(event(tone, at: start + t)) }
            var previousWasVoice = false
            func lay(_ items: [Item], from offset: inout FrameCount) {
                for item in items {
                    switch item {
                    case let .voice(id, _), let .tone(id), let .progressive(id, _, _, _):
                        var id = id
                        if case let .progressive(_, _, short, _) = item, cues[short] != nil { id = short }
                        if previousWasVoice { offset += gap }
                        let e = event(id, at: start + offset)
                        local.append(e)
                        offset += e.frames
                        previousWasVoice = true
                    case let .silence(seconds):
                        offset += rate.frames(seconds: seconds)
                        previousWasVoice = false
                    }
                }
            }
            lay(seg.items, from: &t)
            let contentEnd = t
            // Trailing announcements are measured first so that the segment is long enough.
            var trailingLength = FrameCount.zero
            var first = true
            for item in seg.trailing {
                if case let .voice(id, _) = item, let info = cues[id] {
                    trailingLength += info.frames + (first ? .zero : gap)
                    first = false
                }
            }
            let content = trailingLength == .zero ? contentEnd : contentEnd + gap + trailingLength
            var length = content + rate.frames(seconds: seg.pad)
            if let base = seg.base { length = max(length, scaled(base, seg.tempo)) }
            if seg.phase == .contract { lastContract = length }
            if seg.enforceRatio { length = max(length, FrameCount(lastContract.value * PacingDefaults.releaseRatio)) }
            if trailingLength > .zero {
                var at = length - afterVoice - trailingLength
                previousWasVoice = false
                lay(seg.trailing, from: &at)
            }
            events += local
            segments.append(Segment(frame: start, frames: length, phase: seg.phase, exercise: seg.exercise?.id,
                                    exerciseTitle: seg.exercise?.title, exerciseIndex: seg.exercise?.index,
                                    side: seg.side, rep: seg.rep, reps: seg.reps, tempo: seg.tempo))
            cursor = start + length
        }
        // An onset tone outlasting everything after it (a long tone file under a short closing)
        // would be cut off where the timeline ends: the last segment is lengthened to let it
        // finish, so no cue is ever clipped.
        if let last = segments.indices.last, let end = events.map(\.end).max(), end > cursor {
            segments[last].frames += end - cursor
            cursor = end
        }
        let timeline = Timeline(sessionID: session.id, sessionTitle: session.title, sampleRate: rate,
                                tempo: effectiveTempo(step: nil, session: session, settings: settings),
                                frames: cursor, events: Timeline.sortedEvents(events), segments: segments,
                                exerciseCount: session.steps.count)
        guard settings.announceEvery != nil || settings.announceHalfway else { return timeline }
        // The checked range of announce_every keeps this conversion in bounds.
        let every = settings.announceEvery.map { rate.frames(seconds: $0 * 60) }
        return timeline.withAnnouncements(every: every, halfway: settings.announceHalfway, catalog: cues)
    }

    // MARK: Script

    private func script() throws(PacingError) -> [ScriptSegment] {
        guard !session.steps.isEmpty else { throw PacingError.noSteps(session: session.id) }
        var resolved: [(step: SessionStep, exercise: Exercise)] = []
        for (i, step) in session.steps.enumerated() {
            guard let ex = exercises[step.exercise] else {
                throw PacingError.unknownExercise(step: i + 1, id: step.exercise, file: session.file, position: step.position,
                                                  suggestion: closestMatch(step.exercise, in: exercises.keys.sorted()))
            }
            resolved.append((step, ex))
        }

        var out: [ScriptSegment] = []
        let sessionTempo = effectiveTempo(step: nil, session: session, settings: settings)
        var opening = ScriptSegment(phase: .opening, tempo: sessionTempo)
        opening.onsetTones = ["tone-start"]
        opening.items = [.voice(session.cueID("title"), session.title)]
        if settings.safetyNote { opening.items.append(.voice("safety", BuiltinCue.text("safety") ?? "")) }
        opening.items.append(.voice(session.cueID("opening"), session.opening))
        if session.posture.eyesClosed { opening.items.append(builtin("close-eyes")) }
        if settings.leadIn > 0 {
            opening.items += [builtin("lead-in"), .silence(settings.leadIn), builtin("begin")]
        }
        out.append(opening)

        var posture = session.posture
        for (i, (step, ex)) in resolved.enumerated() {
            let info = (index: i + 1, id: ex.id, title: ex.title)
            let tempo = effectiveTempo(step: step, session: session, settings: settings)
            let times = phaseTimes(step: step, exercise: ex)
            let reps = step.reps ?? ex.reps ?? PacingDefaults.reps
            let sides: [Side?] = {
                guard ex.sides else { return [nil] }
                if let s = step.sides { return s.isEmpty ? [nil] : s.map { Optional($0) } }
                return [.left, .right]
            }()

            // Position: name and position (already announced during the integration rest
            // for every exercise but the first), posture change, focus, first side.
            var position = ScriptSegment(phase: .position, exercise: info, side: sides[0], reps: reps, tempo: tempo)
            position.pad = PacingDefaults.settle
            if i == 0 || settings.announce.contains(i + 1) {
                position.items = [.voice(ex.cueID("title"), ex.title), .voice(ex.cueID("position"), ex.position)]
            }
            if ex.posture != posture {
                switch ex.posture {
                case .standing: position.items.append(builtin("stand-with-support"))
                case .seated: position.items.append(builtin("sit-down"))
                case .lying: position.items.append(builtin("lie-down"))
                }
                posture = ex.posture
            }
            if let focus = step.focus {
                position.items.append(.voice(session.cueID("step\(i + 1).focus"), focus))
            }
            if let side = sides[0] { position.items.append(builtin(side == .left ? "left-side" : "right-side")) }
            position.items.append(builtin("first-rep-small"))
            if reps == 1 { position.items.append(builtin("only-rep")) }
            out.append(position)

            for (s, side) in sides.enumerated() {
                if s > 0, let side {
                    var sw = ScriptSegment(phase: .switch, exercise: info, side: side, reps: reps, tempo: tempo)
                    sw.onsetTones = ["tone-switch"]
                    sw.items = [builtin("switch-sides"), builtin(side == .left ? "left-side" : "right-side"),
                                builtin("first-rep-small")]
                    if reps == 1 { sw.items.append(builtin("only-rep")) }
                    sw.base = PacingDefaults.sideSwitch
                    out.append(sw)
                }
                for rep in 1...reps {
                    var c = ScriptSegment(phase: .contract, exercise: info, side: side, rep: rep, reps: reps, tempo: tempo)
                    c.onsetTones = ["tone-contract"]
                    c.items = [instruction(ex, "contract", ex.contract, rep: rep)]
                    c.base = times.contract
                    out.append(c)

                    // A hold written as 0 seconds (or 0 units) in the step leaves it out.
                    let holdSeconds = times.hold ?? 0
                    let stepZeroesHold = holdSeconds == 0 && (step.hold != nil || step.pace?.ratios != nil)
                    if let hold = ex.hold, !stepZeroesHold {
                        var h = ScriptSegment(phase: .hold, exercise: info, side: side, rep: rep, reps: reps, tempo: tempo)
                        h.items = [instruction(ex, "hold", hold, rep: rep)]
                        h.base = holdSeconds
                        out.append(h)
                    }

                    var r = ScriptSegment(phase: .release, exercise: info, side: side, rep: rep, reps: reps, tempo: tempo)
                    r.onsetTones = ["tone-release"]
                    r.items = [instruction(ex, "release", ex.release, rep: rep)]
                    r.base = times.release
                    r.enforceRatio = !times.releaseIsExplicit
                    out.append(r)

                    // The rest after the last rep of a side is replaced by the side switch,
                    // the integration rest or the closing.
                    guard rep < reps else { continue }
                    var z = ScriptSegment(phase: .rest, exercise: info, side: side, rep: rep, reps: reps, tempo: tempo)
                    if let restSpec = ex.rest, restSpec.say != nil {
                        z.items = [instruction(ex, "rest", restSpec, rep: rep)]
                    } else {
                        z.items = [builtin("rest")]
                    }
                    z.items.append(builtin(rep + 1 == reps ? "last-rep" : "rep-grow"))
                    z.base = times.rest
                    out.append(z)
                }
            }

            if i + 1 < resolved.count {
                let next = resolved[i + 1].exercise
                var integ = ScriptSegment(phase: .integrate, exercise: info, tempo: tempo)
                integ.items = [builtin("integrate")]
                integ.trailing = [builtin("next-exercise"), .voice(next.cueID("title"), next.title),
                                  .voice(next.cueID("position"), next.position)]
                integ.base = PacingDefaults.integrate
                out.append(integ)
            }
        }

        var closing = ScriptSegment(phase: .closing, tempo: sessionTempo)
        closing.items = [.voice(session.cueID("closing"), session.closing), builtin("session-end"), .tone("chime-end")]
        closing.pad = PacingDefaults.tail
        out.append(closing)
        return out
    }

    private func builtin(_ id: CueID) -> Item { .voice(id, BuiltinCue.text(id) ?? "") }

    /// Progressive instructions: the first repetition of a side speaks the full instruction;
    /// later ones the phase's short prompt (`<exercise>.<phase>-short`) when the exercise has
    /// one. The rest after repetition N counts as part of repetition N.
    private func instruction(_ ex: Exercise, _ phase: String, _ spec: PhaseSpec, rep: Int) -> Item {
        let full = ex.cueID(phase), text = spec.say ?? ""
        guard rep > 1, let short = spec.short else { return .voice(full, text) }
        return .progressive(full: full, fullText: text, short: ex.cueID(phase + "-short"), shortText: short)
    }
}

// MARK: - Navigation (pure, so pause/resume/skip rules are tested without audio)

extension Timeline {
    /// Frame of each exercise's first (position) segment, by 1-based exercise index.
    public var exerciseStarts: [(index: Int, frame: FrameCount)] {
        var out: [(index: Int, frame: FrameCount)] = []
        for s in segments where s.phase == .position {
            if let i = s.exerciseIndex, !out.contains(where: { $0.index == i }) { out.append((i, s.frame)) }
        }
        return out
    }

    /// Where to continue after a pause that froze the timeline at `frame`: the onset of a voice
    /// cue that the pause (or its fade of `fade` frames) cut, so no instruction is lost; else
    /// `frame` itself.
    public func resumeFrame(pausedAt frame: FrameCount, fade: FrameCount) -> FrameCount {
        var from = frame
        let fadeStart = frame - fade
        for e in events where e.kind == .voice && e.frame < frame && e.end > fadeStart {
            from = min(from, e.frame)
        }
        return from
    }

    /// `next`: the next exercise's start; on the last exercise, the closing; nil in the closing.
    /// `prev`: this exercise's start, or the previous one's within `restartWindow` of the start.
    public func skipTarget(from pos: FrameCount, forward: Bool, restartWindow: FrameCount) -> FrameCount? {
        guard let here = segment(at: pos) else { return nil }
        let starts = exerciseStarts
        let closing = segments.first { $0.phase == .closing }?.frame ?? frames
        if forward {
            if here.phase == .closing { return nil }
            let idx = here.exerciseIndex ?? 0
            return starts.first { $0.index > idx }?.frame ?? closing
        }
        let idx = here.exerciseIndex ?? (here.phase == .closing ? exerciseCount + 1 : 0)
        let current = starts.first { $0.index == idx }
        if let current, pos - current.frame >= restartWindow { return current.frame }
        if let previous = starts.last(where: { $0.index < idx }) { return previous.frame }
        return current?.frame ?? .zero
    }
}
