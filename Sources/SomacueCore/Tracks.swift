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
