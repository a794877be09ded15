/// Telling the listener where they are: `where` (exercise, side, repetition and time left) and
/// the optional announcements of the time left every few minutes and at halfway.
///
/// All of it is spoken from cues, so every voice pack can say it (a pack without these cues
/// falls back to the default pack, which has them). A report is laid into the first quiet spot
/// of the timeline: a stretch inside one segment with no voice cue, half a second clear of the
/// voices on either side. Nothing else in the timeline moves.
public enum Whereabouts {
    /// Repetition counts up to this one have a cue per "repetition R of N"; longer exercises
    /// say "repetition R" and "of N" with two cues.
    public static let pairedReps = 6
    /// Half a second of silence between a report and the voices before and after it.
    public static let clearance = 0.5

    public static let halfway: CueID = "where-halfway"
    public static let onlyRep: CueID = "where-only-rep"

    static let words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
                        "nineteen", "twenty"]
    static let tens = [2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty"]

    static func spoken(_ n: Int) -> String {
        if n < words.count { return words[n] }
        let t = tens[n / 10] ?? String(n)
        return n % 10 == 0 ? t : "\(t)-\(words[n % 10])"
    }

    static func repCue(_ rep: Int, of reps: Int) -> CueID { CueID("where-rep-\(rep)-of-\(reps)") }
    static func repCue(_ rep: Int) -> CueID { CueID("where-rep-\(rep)") }
    static func ofCue(_ reps: Int) -> CueID { CueID("where-of-\(reps)") }

    /// The rounded minutes a time-left cue stands for, in order: 0 is "almost at the end",
    /// then each minute to ten, every five to an hour, every half hour to three, and -1 for
    /// "more than three hours".
    static let leftSteps: [Int] = Array(0...10) + Array(stride(from: 15, through: 60, by: 5)) + [90, 120, 150, 180, -1]

    static func leftCue(_ minutes: Int) -> CueID { minutes < 0 ? "where-left-more" : CueID("where-left-\(minutes)") }

    static func leftText(_ minutes: Int) -> String {
        switch minutes {
        case 0: "Almost at the end."
        case 1: "About one minute left."
        case 90: "About an hour and a half left."
        case 150: "About two and a half hours left."
        case 120, 180: "About \(spoken(minutes / 60)) hours left."
        case -1: "More than three hours left."
        default: "About \(spoken(minutes)) minutes left."
        }
    }

    /// The time-left cues, for a pack's catalog.
    public static let timeLeftVoices: [(id: CueID, text: String)] = leftSteps.map { (leftCue($0), leftText($0)) }

    /// The repetition cues.
    public static let repVoices: [(id: CueID, text: String)] = {
        var out: [(id: CueID, text: String)] = [(onlyRep, "The only repetition.")]
        for n in 2...pairedReps {
            for r in 1...n { out.append((repCue(r, of: n), "Repetition \(spoken(r)) of \(spoken(n)).")) }
        }
        for r in 1...ExerciseLimits.maxReps { out.append((repCue(r), "Repetition \(spoken(r))")) }
        for n in (pairedReps + 1)...ExerciseLimits.maxReps { out.append((ofCue(n), "of \(spoken(n)).")) }
        return out
    }()

    /// Every cue of this kind of report, with its text (the generator speaks them).
    public static let voices: [(id: CueID, text: String)] =
        [(halfway, "Halfway through the session.")] + timeLeftVoices + repVoices

    public static func text(_ id: CueID) -> String? { voices.first { $0.id == id }?.text }

    /// The cue saying how much of the session is left, `seconds` before its end.
    public static func timeLeftCue(seconds: Double) -> CueID {
        guard seconds.isFinite else { return leftCue(-1) }
        let minutes = (seconds / 60).rounded()
        if minutes <= 10 { return leftCue(Int(Int64(saturating: max(0, minutes)))) }
        if minutes <= 62 { return leftCue(Int(Int64(saturating: (minutes / 5).rounded() * 5))) }
        let halfHours = (minutes / 30).rounded()
        return halfHours <= 6 ? leftCue(Int(Int64(saturating: halfHours * 30))) : leftCue(-1)
    }

    /// "Repetition R of N" as one or two cues; nil when the segment has no repetition.
    public static func repCues(_ rep: Int?, of reps: Int?) -> [CueID] {
        guard let rep, let reps, rep >= 1, rep <= reps, reps <= ExerciseLimits.maxReps else { return [] }
        if reps == 1 { return [onlyRep] }
        if reps <= pairedReps { return [repCue(rep, of: reps)] }
        return [repCue(rep), ofCue(reps)]
    }

    /// What `where` says in `segment`, `remaining` seconds before the end: the exercise's title
    /// (the session's in the opening), the side, the repetition, then the time left.
    public static func report(in segment: Segment, sessionID: String, remaining: Double) -> [CueID] {
        var cues: [CueID] = []
        if let ex = segment.exercise {
            cues.append(CueID("\(ex).title"))
            if let side = segment.side { cues.append(side == .left ? "left-side" : "right-side") }
            cues += repCues(segment.rep, of: segment.reps)
        } else if segment.phase == .opening {
            cues.append(CueID("\(sessionID).title"))
        }
        cues.append(timeLeftCue(seconds: remaining))
        return cues
    }
}

/// Reps of an exercise or a step (the schema's range).
public enum ExerciseLimits {
    public static let maxReps = 20
}

extension Timeline {
    /// The first frame at or after `from` where `length` frames of speech fit inside one
    /// segment with `clearance` frames free of voices before and after; nil when none is left
    /// before the end (or, with `skipClosing`, before the closing).
    public func quietSpot(from: FrameCount, length: FrameCount, clearance: FrameCount, skipClosing: Bool = false) -> FrameCount? {
        let voices = events.filter { $0.kind == .voice }
        for seg in segments where seg.end > from {
            if skipClosing && seg.phase == .closing { return nil }
            var at = max(from, seg.frame)
            for v in voices where v.end + clearance > at {
                if v.frame >= at + length + clearance { break }
                at = v.end + clearance
            }
            if at + length + clearance <= seg.end { return at }
        }
        return nil
    }

    /// Lays `cues` one after the other (with the engine's gap between voices) into the first
    /// quiet spot at or after `from`. Returns the timeline with the new events and their first
    /// frame, or nil when there is no room left (or a cue is not in `catalog`). Segments, length
    /// and every other event are unchanged.
    public func speaking(_ cues: [CueID], from: FrameCount, catalog: [CueID: CueInfo],
                         skipClosing: Bool = false) -> (timeline: Timeline, frame: FrameCount)? {
        let gap = sampleRate.frames(seconds: PacingDefaults.betweenVoices)
        var length = FrameCount.zero
        for (i, id) in cues.enumerated() {
            guard let info = catalog[id] else { return nil }
            length += info.frames + (i == 0 ? .zero : gap)
        }
        guard !cues.isEmpty,
              let at = quietSpot(from: from, length: length, clearance: sampleRate.frames(seconds: Whereabouts.clearance),
                                 skipClosing: skipClosing),
              let seg = segment(at: at) else { return nil }
        var added: [TimelineEvent] = []
        var t = at
        for id in cues {
            let info = catalog[id]!  // checked above
            added.append(TimelineEvent(frame: t, frames: info.frames, cue: id, kind: .voice, source: info.source, gain: info.gain,
                                       exercise: seg.exercise, phase: seg.phase, side: seg.side, rep: seg.rep))
            t += info.frames + gap
        }
        var out = self
        out.events = Timeline.sortedEvents(events + added)
        return (out, at)
    }

    /// Stable sort by frame; at equal frames a tone comes before a voice.
    static func sortedEvents(_ events: [TimelineEvent]) -> [TimelineEvent] {
        events.enumerated().sorted { a, b in
            if a.element.frame != b.element.frame { return a.element.frame < b.element.frame }
            if a.element.kind != b.element.kind { return a.element.kind == .tone }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// The planned announcements (`[session] announce_every`, `announce_halfway`): the time
    /// left every `every` frames from the start, and "halfway" with the time left at the
    /// middle, each in the first quiet spot from its moment on (never in the closing). One
    /// that would land at or after the next one's moment is left out.
    public func withAnnouncements(every: FrameCount?, halfway: Bool, catalog: [CueID: CueInfo]) -> Timeline {
        var targets: [(frame: FrameCount, isHalfway: Bool)] = []
        if halfway { targets.append((FrameCount(frames.value / 2), true)) }
        if let every, every > .zero {
            var f = every
            while f < frames {
                targets.append((f, false))
                f += every
            }
        }
        targets.sort { $0.frame < $1.frame }
        var out = self
        for (i, target) in targets.enumerated() {
            // Where the time left is measured: from the spot, found for the longest text first.
            let probe = [Whereabouts.halfway].filter { _ in target.isHalfway } + [Whereabouts.timeLeftCue(seconds: 0)]
            guard let spot = out.speaking(probe, from: target.frame, catalog: catalog, skipClosing: true)?.frame else { continue }
            let remaining = sampleRate.seconds(frames - spot)
            let cues = [Whereabouts.halfway].filter { _ in target.isHalfway } + [Whereabouts.timeLeftCue(seconds: remaining)]
            guard let placed = out.speaking(cues, from: target.frame, catalog: catalog, skipClosing: true) else { continue }
            if i + 1 < targets.count, placed.frame >= targets[i + 1].frame { continue }
            out = placed.timeline
        }
        return out
    }
}
