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

@Suite("Jumps that say where you are")
struct AnnouncedJumpTests {
    let s = session([SessionStep(exercise: "arch"), SessionStep(exercise: "lift"), SessionStep(exercise: "curl")])
    let exercises = [exercise("arch"), exercise("lift", sides: true), exercise("curl")]

    func compile(announce: Set<Int> = []) throws -> Timeline {
        var e = engine(s, exercises)
        e.settings.announce = announce
        return try e.compile(cues: try catalog(for: e))
    }

    @Test func anAnnouncedExerciseStartsWithItsTitleAndPosition() throws {
        let plain = try compile()
        let announced = try compile(announce: [2])
        let seg = try #require(plain.positionSegment(ofExercise: 2))
        let start = plain.segments[seg].frame
        // Without the announcement, exercise 2's own phases never name it (the integration
        // rest before it does); with it, its title and then its position come first.
        #expect(!plain.events.contains { $0.frame >= start && $0.cue.rawValue == "lift.title" })
        let fresh = announced.segments[seg].frame
        let first = announced.events.filter { $0.frame >= fresh && $0.kind == .voice }.prefix(2).map(\.cue.rawValue)
        #expect(first == ["lift.title", "lift.position"])
        #expect(announced.segments.count == plain.segments.count)
    }

    @Test func splicingKeepsThePastAndMovesTheRest() throws {
        let plain = try compile()
        let announced = try compile(announce: [3])
        let seg = try #require(plain.positionSegment(ofExercise: 3))
        let merged = try #require(plain.splicing(announced, fromSegment: seg))
        let boundary = plain.segments[seg].frame
        #expect(merged.events.filter { $0.frame < boundary } == plain.events.filter { $0.frame < boundary })
        #expect(merged.segments[seg].frame == boundary)
        #expect(merged.events.first { $0.frame >= boundary && $0.kind == .voice }?.cue.rawValue == "curl.title")
        // Contiguous segments to the new end.
        for (a, b) in zip(merged.segments, merged.segments.dropFirst()) { #expect(a.end == b.frame) }
        #expect(merged.segments.last!.end == merged.frames)
        #expect(merged.exerciseIndex(named: "curl") == 3 && merged.exerciseIndex(named: "2") == 2)
        #expect(merged.exerciseIndex(named: "4") == nil && merged.exerciseIndex(named: "nope") == nil)
    }

    @Test func stopAfterTheExerciseGoesStraightToTheClosing() throws {
        let t = try compile()
        let lift = try #require(t.track(at: t.segments[t.positionSegment(ofExercise: 2)!].frame))
        let during = lift.start + FrameCount(48_000)
        let ended = try #require(t.endingAfterTrack(at: during, margin: FrameCount(4_800)))
        let closing = try #require(ended.segments.firstIndex { $0.phase == .closing })
        // The exercise's last release is followed by the closing; no integration rest, no
        // announcement of the next exercise, nothing of exercise 3.
        #expect(ended.segments[closing - 1].phase == .release && ended.segments[closing - 1].exerciseIndex == 2)
        #expect(!ended.events.contains { $0.cue.rawValue == "next-exercise" && $0.frame > during })
        #expect(!ended.segments.contains { $0.exerciseIndex == 3 })
        let originalClosing = t.events.filter { $0.phase == .closing }.map(\.cue)
        #expect(ended.events.filter { $0.phase == .closing }.map(\.cue) == originalClosing)
        for (a, b) in zip(ended.segments, ended.segments.dropFirst()) { #expect(a.end == b.frame) }
        #expect(ended.segments.last!.end == ended.frames && ended.frames < t.frames)
        // The past is untouched.
        #expect(ended.events.filter { $0.frame < during } == t.events.filter { $0.frame < during })
        // Already in the integration rest: the closing comes after the margin and after any cue
        // sounding then, never over it.
        let integrate = try #require(t.segments.first { $0.phase == .integrate && $0.exerciseIndex == 2 })
        let late = integrate.frame + FrameCount(100)
        let soon = try #require(t.endingAfterTrack(at: late, margin: FrameCount(4_800)))
        let closingFrame = soon.segments.first { $0.phase == .closing }!.frame
        #expect(closingFrame >= late + FrameCount(4_800))
        #expect(!soon.events.contains { $0.frame < closingFrame && $0.end > closingFrame })
        // On the last exercise the closing follows anyway; in the closing there is nothing to shorten.
        let curl = t.segments[t.positionSegment(ofExercise: 3)!].frame
        #expect(t.endingAfterTrack(at: curl, margin: FrameCount(4_800))?.frames == t.frames)
        #expect(t.endingAfterTrack(at: t.frames - FrameCount(10), margin: FrameCount(4_800)) == nil)
    }
}
