/// A session seen as a list of tracks, the way media players and MPRIS clients see it:
/// track 0 is the opening, tracks 1...count are the exercises (from their position
/// instructions through their integration rest), and count + 1 is the closing.
public struct Track: Sendable, Equatable {
    /// 0 = opening, 1...exerciseCount = exercise index, exerciseCount + 1 = closing.
    public var index: Int
    public var start: FrameCount
    public var end: FrameCount
    public var frames: FrameCount { end - start }
}

extension Timeline {
    /// The track a segment belongs to.
    public func trackIndex(of segment: Segment) -> Int {
        if let i = segment.exerciseIndex { return i }
        return segment.phase == .closing ? exerciseCount + 1 : 0
    }

    /// The track containing `frame` (the last one for frames past the end).
    public func track(at frame: FrameCount) -> Track? {
        guard let here = segment(at: frame) else { return nil }
        let index = trackIndex(of: here)
        var start: FrameCount?
        var end = frames
        for s in segments {
            let i = trackIndex(of: s)
            if i == index && start == nil { start = s.frame }
            if i > index { end = s.frame; break }
        }
        guard let start else { return nil }
        return Track(index: index, start: start, end: max(start, end))
    }

    /// Where a seek to `offset` frames into the track playing at `frame` lands: the start of
    /// the repetition containing that point (its contraction), or the track's own start before
    /// the first repetition. A listener always hears a rep from its instruction, never the
    /// middle of a movement. Offsets past the track's end land on its last repetition.
    public func seekTarget(at frame: FrameCount, offset: FrameCount) -> FrameCount? {
        guard let t = track(at: frame) else { return nil }
        let clamped = max(FrameCount.zero, min(offset, t.frames - FrameCount(1)))
        let point = t.start + clamped
        var target = t.start
        for s in segments where s.frame >= t.start && s.frame < t.end && s.frame <= point {
            if s.phase == .contract { target = s.frame }
        }
        return target
    }
}

extension Timeline {
    /// This timeline before its segment `index`, then `fresh` from the same segment on, moved
    /// so that it begins where this one's segment `index` begins. Both must come from the same
    /// session (the same segments in the same order): a re-layout of the rest of a session,
    /// e.g. with an exercise announced again after a jump. The frames before the splice are
    /// untouched, so a player can swap the result in while it plays.
    public func splicing(_ fresh: Timeline, fromSegment index: Int) -> Timeline? {
        guard fresh.segments.count == segments.count, segments.indices.contains(index) else { return nil }
        let boundary = segments[index].frame
        let shift = boundary - fresh.segments[index].frame
        var merged = self
        merged.tempo = fresh.tempo
        merged.segments = Array(segments[..<index]) + fresh.segments[index...].map { s in
            var s = s
            s.frame += shift
            return s
        }
        merged.events = events.filter { $0.frame < boundary } + fresh.events.filter { $0.frame >= fresh.segments[index].frame }.map { e in
            var e = e
            e.frame += shift
            return e
        }
        merged.frames = fresh.frames + shift
        return merged
    }

    /// The index of the position segment that starts the exercise with this 1-based index.
    public func positionSegment(ofExercise index: Int) -> Int? {
        segments.firstIndex { $0.phase == .position && $0.exerciseIndex == index }
    }

    /// The exercise a `goto` names: a 1-based index, or an exercise id (its first occurrence).
    public func exerciseIndex(named target: String) -> Int? {
        if let n = Int(target) { return (1...max(1, exerciseCount)).contains(n) && exerciseCount > 0 ? n : nil }
        return segments.first { $0.exercise == target }?.exerciseIndex
    }
}

extension Timeline {
    /// `stop --after-exercise`: this timeline with the closing moved up to follow the track
    /// playing at `frame` (its integration rest, which announces the next exercise, is left
    /// out). When `frame` is already past that point, the closing begins `margin` frames from
    /// now, after any cue sounding then has finished. Nil in the closing itself.
    public func endingAfterTrack(at frame: FrameCount, margin: FrameCount) -> Timeline? {
        guard let here = track(at: frame), here.index <= exerciseCount,
              let closing = segments.firstIndex(where: { $0.phase == .closing }) else { return nil }
        let cut = segments.firstIndex { trackIndex(of: $0) == here.index && $0.phase == .integrate }
            ?? segments.firstIndex { $0.frame >= here.end } ?? closing
        var boundary = segments[cut].frame
        if boundary < frame + margin {
            boundary = frame + margin
            while let e = events.first(where: { $0.frame < boundary && $0.end > boundary }) { boundary = e.end }
        }
        // The last exercise: the closing follows it anyway.
        guard boundary < segments[closing].frame else { return self }
        let shift = boundary - segments[closing].frame
        var merged = self
        merged.segments = segments.filter { $0.frame < boundary }.map { s in
            var s = s
            if s.end > boundary { s.frames = boundary - s.frame }
            return s
        } + segments[closing...].map { s in
            var s = s
            s.frame += shift
            return s
        }
        merged.events = events.filter { $0.frame < boundary } + events.filter { $0.frame >= segments[closing].frame }.map { e in
            var e = e
            e.frame += shift
            return e
        }
        merged.frames = frames + shift
        return merged
    }
}
