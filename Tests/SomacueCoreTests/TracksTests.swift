import Testing
@testable import SomacueCore

@Suite("Tracks and seeking")
struct TracksTests {
    func timeline() throws -> Timeline {
        let e = engine(session([SessionStep(exercise: "arch"), SessionStep(exercise: "lift")]),
                       [exercise("arch"), exercise("lift", sides: true)])
        return try e.compile(cues: try catalog(for: e))
    }

    @Test func tracksCoverTheSessionInOrder() throws {
        let t = try timeline()
        var previousEnd = FrameCount.zero
        for index in 0...(t.exerciseCount + 1) {
            let first = try #require(t.segments.first { t.trackIndex(of: $0) == index })
            let track = try #require(t.track(at: first.frame))
            #expect(track.index == index)
            #expect(track.start == previousEnd, "track \(index) starts where the previous one ends")
            #expect(t.track(at: track.end - FrameCount(1))?.index == index)
            previousEnd = track.end
        }
        #expect(previousEnd == t.frames)
        // An exercise's track begins with its position instructions.
        let arch = try #require(t.track(at: t.exerciseStarts[0].frame))
        #expect(arch.index == 1 && arch.start == t.exerciseStarts[0].frame)
    }

    @Test func seeksSnapToTheStartOfARep() throws {
        let t = try timeline()
        let lift = try #require(t.track(at: t.exerciseStarts[1].frame))
        let contracts = t.segments.filter { $0.phase == .contract && $0.exerciseIndex == 2 }
        try #require(contracts.count == 6)  // 3 reps on each side
        let playing = lift.start + FrameCount(100)
        // Before the first contraction: the track's start (position instructions).
        #expect(t.seekTarget(at: playing, offset: .zero) == lift.start)
        #expect(t.seekTarget(at: playing, offset: contracts[0].frame - lift.start - FrameCount(1)) == lift.start)
        // Anywhere inside a rep (contraction, release or rest): that rep's contraction.
        for (i, c) in contracts.enumerated() {
            let next = i + 1 < contracts.count ? contracts[i + 1].frame : lift.end
            for point in [c.frame, c.frame + FrameCount(4_800), next - FrameCount(1)] where point < next {
                #expect(t.seekTarget(at: playing, offset: point - lift.start) == c.frame)
            }
        }
        // Past the end: the last rep. The seek never leaves the track it was asked in.
        #expect(t.seekTarget(at: playing, offset: t.frames) == contracts.last!.frame)
        let opening = try #require(t.track(at: .zero))
        #expect(t.seekTarget(at: .zero, offset: FrameCount(48_000)) == opening.start)
    }
}
