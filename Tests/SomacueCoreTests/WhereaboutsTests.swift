import Testing
@testable import SomacueCore

/// `where` reports and planned announcements: what is said, and that they go into quiet spots
/// without moving anything (virtual time: a catalog of lengths, frames inspected).
@Suite("Where you are")
struct WhereaboutsTests {
    /// A catalog with every required cue plus the `where` cues (1 s each).
    func fullCatalog(_ e: PacingEngine, voiceSeconds: Double = 2.0) throws -> [CueID: CueInfo] {
        var cat = try catalog(for: e, voiceSeconds: voiceSeconds)
        for v in Whereabouts.voices {
            cat[v.id] = CueInfo(id: v.id, kind: .voice, frames: FrameCount(48_000), source: "/cues/\(v.id).ogg")
        }
        return cat
    }

    /// No two voices overlap, and the report `added` is at least `clear` frames from every voice
    /// not in `ignoring` (the other added reports).
    func checkQuiet(_ t: Timeline, added: [TimelineEvent], ignoring: [TimelineEvent] = [], clear: Int64 = 24_000) {
        let voices = t.events.filter { $0.kind == .voice }
        for (a, b) in zip(voices, voices.dropFirst()) {
            #expect(a.end <= b.frame, "\(a.cue) overlaps \(b.cue)")
        }
        guard let first = added.map(\.frame).min(), let last = added.map(\.end).max() else { return }
        for v in voices where !added.contains(v) && !ignoring.contains(v) {
            #expect(v.end.value + clear <= first.value || v.frame.value >= last.value + clear,
                    "\(v.cue) at \(v.frame.value) is within half a second of an added report \(first.value)..<\(last.value)")
        }
    }

    @Test func timeLeftIsRoundedToWhatCanBeSaid() {
        #expect(Whereabouts.timeLeftCue(seconds: 10) == "where-left-0")
        #expect(Whereabouts.timeLeftCue(seconds: 75) == "where-left-1")
        #expect(Whereabouts.timeLeftCue(seconds: 9 * 60 + 20) == "where-left-9")
        #expect(Whereabouts.timeLeftCue(seconds: 13 * 60) == "where-left-15")
        #expect(Whereabouts.timeLeftCue(seconds: 62 * 60) == "where-left-60")
        #expect(Whereabouts.timeLeftCue(seconds: 100 * 60) == "where-left-90")
        #expect(Whereabouts.timeLeftCue(seconds: 11 * 3600) == "where-left-more")
        #expect(Whereabouts.timeLeftCue(seconds: .infinity) == "where-left-more")
        // Every cue it can name has a text.
        for s in stride(from: 0.0, through: 12 * 3600, by: 20) {
            #expect(Whereabouts.text(Whereabouts.timeLeftCue(seconds: s)) != nil)
        }
        #expect(Whereabouts.text("where-left-20") == "About twenty minutes left.")
    }

    @Test func repetitionsAreOneCueUpToSixAndTwoAbove() {
        #expect(Whereabouts.repCues(1, of: 1) == ["where-only-rep"])
        #expect(Whereabouts.repCues(2, of: 3) == ["where-rep-2-of-3"])
        #expect(Whereabouts.repCues(8, of: 12) == ["where-rep-8", "where-of-12"])
        #expect(Whereabouts.repCues(nil, of: 3) == [])
        #expect(Whereabouts.text("where-rep-2-of-3") == "Repetition two of three.")
        for n in 1...20 {
            for r in 1...n { #expect(Whereabouts.repCues(r, of: n).allSatisfy { Whereabouts.text($0) != nil }) }
        }
        // Ids are unique.
        #expect(Set(Whereabouts.voices.map(\.id)).count == Whereabouts.voices.count)
    }

    @Test func reportNamesExerciseSideRepAndTimeLeft() {
        let seg = Segment(frame: .zero, frames: FrameCount(48_000), phase: .release, exercise: "arch", exerciseTitle: "Arch",
                          exerciseIndex: 1, side: .right, rep: 2, reps: 3, tempo: .normal)
        #expect(Whereabouts.report(in: seg, sessionID: "s", remaining: 600)
                == ["arch.title", "right-side", "where-rep-2-of-3", "where-left-10"])
        let opening = Segment(frame: .zero, frames: FrameCount(48_000), phase: .opening, tempo: .normal)
        #expect(Whereabouts.report(in: opening, sessionID: "s", remaining: 20) == ["s.title", "where-left-0"])
    }

    @Test func whereGoesIntoTheFirstQuietSpotAndMovesNothing() throws {
        let e = engine(session([SessionStep(exercise: "arch"), SessionStep(exercise: "curl")]),
                       [exercise(), exercise("curl", sides: true)])
        let cat = try fullCatalog(e)
        let t = try e.compile(cues: cat)
        for start in stride(from: Int64(0), to: t.frames.value, by: 48_000 * 7) {
            let from = FrameCount(start)
            guard let seg = t.segment(at: from) else { continue }
            let cues = Whereabouts.report(in: seg, sessionID: "s", remaining: 60)
            guard let placed = t.speaking(cues, from: from, catalog: cat) else {
                // Only after the last release has begun may there be no room (releases have it).
                let lastRelease = try #require(t.segments.last { $0.phase == .release })
                #expect(from > lastRelease.frame)
                continue
            }
            #expect(placed.frame >= from)
            // Nothing moved: the same segments and length, the old events all still there.
            #expect(placed.timeline.segments == t.segments)
            #expect(placed.timeline.frames == t.frames)
            let added = placed.timeline.events.filter { !t.events.contains($0) }
            #expect(added.map(\.cue) == cues)
            #expect(placed.timeline.events.count == t.events.count + cues.count)
            #expect(added.first?.frame == placed.frame)
            checkQuiet(placed.timeline, added: added)
            // Inside one segment.
            let inside = placed.timeline.segment(at: placed.frame)
            #expect(inside.map { added.last!.end <= $0.end } == true)
            // The first spot: an earlier start would overlap or crowd a voice, or leave the segment.
            if placed.frame > from {
                let earlier = placed.frame - FrameCount(4_800)
                let shifted = t.quietSpot(from: max(from, earlier), length: added.last!.end - placed.frame,
                                          clearance: FrameCount(24_000))
                #expect(shifted == placed.frame)
            }
        }
    }

    @Test func announcementsArePlannedIntoQuietSpots() throws {
        let steps = (0..<4).map { _ in SessionStep(exercise: "arch") }
        var settings = PacingSettings(tempo: Tempo(0.5)!, preroll: FrameCount(24_000))
        let plain = PacingEngine(session: session(steps), exercises: ["arch": exercise()], settings: settings)
        settings.announceEvery = 1
        settings.announceHalfway = true
        let announcing = PacingEngine(session: session(steps), exercises: ["arch": exercise()], settings: settings)
        // The planned cues are required (a pack must have them).
        let required = try announcing.requiredCues().map(\.id)
        #expect(required.contains("where-halfway") && required.contains("where-left-3"))
        let cat = try fullCatalog(announcing)
        let before = try plain.compile(cues: cat)
        let after = try announcing.compile(cues: cat)
        #expect(after.frames == before.frames)
        #expect(after.segments == before.segments)
        let added = after.events.filter { !before.events.contains($0) }
        #expect(after.events.count == before.events.count + added.count)
        #expect(added.allSatisfy { $0.cue.rawValue.hasPrefix("where-") })
        #expect(added.filter { $0.cue == "where-halfway" }.count == 1)
        let minutes = Int(before.frames.value / (60 * 48_000))
        let timeLeft = added.filter { $0.cue != "where-halfway" }
        // One each minute (some may be left out when no quiet spot comes in time) and one at halfway.
        #expect(timeLeft.count >= 2 && timeLeft.count <= minutes + 1, "\(timeLeft.map(\.cue)) in \(minutes) min")
        // The time left is what is left where it is said (rounded to the minute here).
        for a in added where a.cue != "where-halfway" {
            #expect(a.cue == Whereabouts.timeLeftCue(seconds: Double((after.frames - a.frame).value) / 48_000), "\(a.cue)")
        }
        // Halfway lands at or after the middle, and nothing is said in the closing.
        let half = try #require(added.first { $0.cue == "where-halfway" })
        #expect(half.frame.value >= after.frames.value / 2)
        #expect(added.allSatisfy { after.segment(at: $0.frame)?.phase != .closing })
        checkQuiet(after, added: [])
        for a in added { checkQuiet(after, added: [a], ignoring: added) }
        // Off by default: the plain layout has none.
        #expect(before.events.allSatisfy { !$0.cue.rawValue.hasPrefix("where-") })
    }

    @Test func announcementsAreConfiguredInTheSessionTable() throws {
        var r = SchemaReader(file: "config.toml")
        let c = readConfig(try parseTOML("[session]\nannounce_every = 10\nannounce_halfway = true\n"), reader: &r)
        #expect(r.diagnostics.isEmpty)
        #expect(c.announceEvery == 10 && c.announceHalfway)
        var off = SchemaReader(file: "config.toml")
        let d = readConfig(try parseTOML("[session]\ntempo = 1\n"), reader: &off)
        #expect(d.announceEvery == nil && !d.announceHalfway, "off by default")
        var bad = SchemaReader(file: "config.toml")
        _ = readConfig(try parseTOML("[session]\nannounce_every = 0\n"), reader: &bad)
        #expect(bad.diagnostics.count == 1)
        #expect(bad.diagnostics.first?.message.contains("session.announce_every") == true, "\(bad.diagnostics)")
        #expect(bad.diagnostics.first?.position?.line == 2)
    }
}
