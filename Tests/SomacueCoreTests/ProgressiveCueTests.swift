import Testing
@testable import SomacueCore

/// Progressive instructions: the full instruction on the first repetition of each side, the
/// exercise's short prompt on the later ones, the full one again where a pack lacks the short.
@Suite("Progressive instructions")
struct ProgressiveCueTests {
    static func lift(sides: Bool = true, shorts: Bool = true, contract: Double? = nil) -> Exercise {
        Exercise(id: "lift", title: "Lift", sides: sides, reps: 3, position: "Lie down.",
                 contract: PhaseSpec(say: "Breathe in, and begin to lift the working leg.", seconds: contract,
                                     short: shorts ? "Lift." : nil),
                 hold: PhaseSpec(say: "Pause there.", seconds: 1, short: shorts ? "Pause." : nil),
                 release: PhaseSpec(say: "Breathe out, and lower it very slowly.", short: shorts ? "Lower, slowly." : nil),
                 rest: PhaseSpec(say: "Rest completely.", seconds: 4, short: shorts ? "Rest." : nil))
    }

    /// The cue spoken at the start of each (phase, side, rep).
    static func spoken(_ t: Timeline, _ phase: SegmentPhase) -> [(side: Side?, rep: Int?, cue: String)] {
        t.events.filter { $0.kind == .voice && $0.phase == phase && $0.exercise == "lift" }
            .map { ($0.side, $0.rep, $0.cue.rawValue) }
    }

    @Test func firstRepOfEachSideIsFullLaterRepsAreShort() throws {
        let e = engine(session([SessionStep(exercise: "lift")]), [Self.lift()])
        let required = try e.requiredCues()
        let shorts = required.filter(\.isOptional)
        #expect(Set(shorts.map(\.id)) == ["lift.contract-short", "lift.hold-short", "lift.release-short", "lift.rest-short"])
        #expect(shorts.first { $0.id == "lift.release-short" }?.shortFor == "lift.release")
        #expect(shorts.first { $0.id == "lift.contract-short" }?.text == "Lift.")

        let t = try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0))
        for phase in [SegmentPhase.contract, .hold, .release] {
            let said = Self.spoken(t, phase)
            #expect(said.count == 6, "\(phase): 3 reps on each of 2 sides")
            for s in said {
                let expected = s.rep == 1 ? "lift.\(phase.rawValue)" : "lift.\(phase.rawValue)-short"
                #expect(s.cue == expected, "\(phase) side \(String(describing: s.side)) rep \(String(describing: s.rep))")
            }
            #expect(Set(said.filter { $0.rep == 1 }.compactMap(\.side)) == [.left, .right])
        }
        // Rests follow reps 1 and 2 of each side: the one after rep 1 is full, after rep 2 short.
        let rests = Self.spoken(t, .rest).filter { $0.cue.hasPrefix("lift.rest") }
        #expect(rests.map(\.cue) == ["lift.rest", "lift.rest-short", "lift.rest", "lift.rest-short"])
    }

    @Test func aMissingShortCueFallsBackToTheFullInstruction() throws {
        let e = engine(session([SessionStep(exercise: "lift")]), [Self.lift()])
        var cues = try catalog(for: e, voiceSeconds: 1.0)
        cues["lift.release-short"] = nil
        cues["lift.contract-short"] = nil
        let t = try e.compile(cues: cues)
        #expect(Self.spoken(t, .release).allSatisfy { $0.cue == "lift.release" })
        #expect(Self.spoken(t, .contract).allSatisfy { $0.cue == "lift.contract" })
        // The short cues the catalog has are still used.
        #expect(Self.spoken(t, .hold).filter { $0.rep! > 1 }.allSatisfy { $0.cue == "lift.hold-short" })
        // A missing full cue is still an error.
        cues["lift.release"] = nil
        #expect(throws: MissingCuesError.self) { try e.compile(cues: cues) }
    }

    @Test func anExerciseWithoutShortTextsKeepsItsFullInstruction() throws {
        let e = engine(session([SessionStep(exercise: "lift")]), [Self.lift(shorts: false)])
        #expect(try e.requiredCues().allSatisfy { !$0.isOptional && !$0.id.rawValue.hasSuffix("-short") })
        let t = try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0))
        #expect(Self.spoken(t, .contract).allSatisfy { $0.cue == "lift.contract" })
        // One rep only: nothing short is needed.
        let once = engine(session([SessionStep(exercise: "lift", reps: 1)]), [Self.lift()])
        #expect(try once.requiredCues().allSatisfy { !$0.isOptional })
    }

    /// A short contraction prompt lets the contraction be as short as the movement; the release
    /// after it still lasts at least three times as long, at every tempo.
    @Test func theContractionShrinksAndTheReleaseStaysThreeTimesAsLong() throws {
        for tempo in [0.25, 1.0, 2.0] {
            let e = engine(session([SessionStep(exercise: "lift")]), [Self.lift(contract: 1)], tempo: tempo)
            let t = try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0,
                                                    overrides: ["lift.contract": 6, "lift.contract-short": 0.6]))
            let contracts = t.segments.filter { $0.phase == .contract }
            let releases = t.segments.filter { $0.phase == .release }
            #expect(contracts.count == 6 && releases.count == 6)
            for (c, r) in zip(contracts, releases) {
                #expect(r.frames.value >= 3 * c.frames.value, "tempo \(tempo): release \(seconds(r.frames)) s after a \(seconds(c.frames)) s contraction")
                // Rule 2: the phase holds its instruction and half a second.
                let spoken = c.rep == 1 ? 6.0 : 0.6
                #expect(seconds(c.frames) >= spoken + 0.5 - 1e-9)
            }
            if tempo == 2.0 {
                // At tempo 2 the 1 s contraction is 0.5 s: only the spoken length decides.
                #expect(seconds(contracts[0].frames) == 6.5)
                #expect(seconds(contracts[1].frames) == 1.1)
            }
        }
    }

    @Test func shortTextsAreReadFromExerciseFiles() throws {
        let text = """
            [exercise]
            title = "Lift"
            position = "Lie down."
            [exercise.contract]
            say = "Breathe in, and begin to lift."
            short = "Lift."
            [exercise.release]
            say = "Lower it slowly."
            short = "Lower."
            [exercise.rest]
            short = "Rest."
            """
        guard case .success(let root) = parseTOMLFile(text, file: "lift.toml") else {
            Issue.record("parse failed")
            return
        }
        var r = SchemaReader(file: "lift.toml")
        _ = readExercise(root, reader: &r)
        #expect(r.diagnostics.hasErrors, "a short rest prompt without a full one is an error")
        let rest = try #require(r.diagnostics.first { $0.message.contains("exercise.rest.short") })
        #expect(rest.position?.line == 11)

        guard case .success(let fixed) = parseTOMLFile(text.replacingOccurrences(of: "[exercise.rest]\nshort = \"Rest.\"", with: ""),
                                                       file: "lift.toml") else {
            Issue.record("parse failed")
            return
        }
        var r2 = SchemaReader(file: "lift.toml")
        let ok = try #require(readExercise(fixed, reader: &r2))
        #expect(ok.contract.short == "Lift." && ok.release.short == "Lower.")
        #expect(!r2.diagnostics.hasErrors)
    }
}
