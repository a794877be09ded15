import Testing
@testable import SomacueCore

// Tempo per session and per step, ratio pacing (`pace`, `pace_unit`), the release-ratio warnings
// and `--fit`: all with virtual time (a catalog of cue lengths, no audio).

private func parsedSession(_ text: String) throws -> (Session?, [Diagnostic]) {
    var r = SchemaReader(file: "s.toml")
    let s = readSession(try parseTOML(text), reader: &r)
    return (s, r.diagnostics)
}

private func parsedExercise(_ text: String) throws -> (Exercise?, [Diagnostic]) {
    var r = SchemaReader(file: "e.toml")
    let e = readExercise(try parseTOML(text), reader: &r)
    return (e, r.diagnostics)
}

private let sessionHead = """
    [session]
    title = "T"
    opening = "Open."
    closing = "Close."

    """

private let exerciseHead = """
    [exercise]
    title = "Arch"
    position = "Lie down."

    """

private func lengths(_ t: Timeline, _ phase: SegmentPhase) -> [Double] {
    t.segments.filter { $0.phase == phase }.map { seconds($0.frames) }
}

@Suite("Tempo per session and step, ratio pacing, --fit")
struct TempoTests {
    // MARK: Precedence

    @Test func sessionAndStepTemposAreRead() throws {
        let (s, d) = try parsedSession(sessionHead + """
            tempo = 0.5
            [[step]]
            exercise = "arch"
            tempo = 2.0
            [[step]]
            exercise = "arch"
            """)
        #expect(d.isEmpty, "\(d)")
        #expect(s?.tempo == Tempo(0.5))
        #expect(s?.steps.map(\.tempo) == [Tempo(2.0), nil])

        let (_, bad) = try parsedSession(sessionHead + "tempo = 3\n[[step]]\nexercise = \"arch\"\ntempo = 0.1\n")
        #expect(bad.map(\.position) == [SourcePosition(line: 5, column: 9), SourcePosition(line: 8, column: 9)])
        #expect(bad.allSatisfy { $0.severity == .error && $0.message.contains("0.25 to 2") })
    }

    @Test func forcedBeatsStepBeatsSessionBeatsConfig() throws {
        let steps = [SessionStep(exercise: "arch", tempo: Tempo(2.0)), SessionStep(exercise: "arch")]
        var s = session(steps)
        let ex = [exercise()]
        func contracts(_ settings: PacingSettings, _ s: Session) throws -> [Double] {
            let e = PacingEngine(session: s, exercises: ["arch": ex[0]], settings: settings)
            let t = try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0))
            return lengths(t, .contract)
        }
        // Config 0.5: the step with its own tempo 2.0 plays at 2.0 (5 s -> 2.5), the other at 0.5.
        let config = PacingSettings(tempo: Tempo(0.5)!)
        #expect(try contracts(config, s) == [2.5, 2.5, 2.5, 10, 10, 10])
        // The session's tempo wins over the config's, not over the step's.
        s.tempo = Tempo(1.0)
        #expect(try contracts(config, s) == [2.5, 2.5, 2.5, 5, 5, 5])
        // A forced tempo (--tempo, --fit, a live change) wins over both.
        var forced = config
        forced.forcedTempo = Tempo(0.25)
        #expect(try contracts(forced, s) == [20, 20, 20, 20, 20, 20])

        let e = PacingEngine(session: s, exercises: ["arch": ex[0]], settings: config)
        let t = try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0))
        #expect(t.tempo == Tempo(1.0), "the timeline's tempo is the session's")
        #expect(t.segments.first { $0.phase == .contract }?.tempo == Tempo(2.0))
        #expect(t.segments.last { $0.phase == .contract }?.tempo == Tempo(1.0))
        #expect(effectiveTempo(step: nil, session: s, settings: forced) == Tempo(0.25))
    }

    // MARK: Ratio pacing

    @Test func paceGivesPhasesAsRatiosOfTheUnit() throws {
        let (ex, d) = try parsedExercise(exerciseHead + """
            pace = [1, 0.5, 3, 1.5]
            pace_unit = 5.0
            [exercise.contract]
            say = "Arch."
            [exercise.hold]
            say = "Hold."
            [exercise.release]
            say = "Release."
            """)
        #expect(d.isEmpty, "\(d)")
        let arch = try #require(ex)
        #expect(arch.pace == Pace(ratios: [1, 0.5, 3, 1.5], unit: 5, position: SourcePosition(line: 4, column: 8)))
        let times = phaseTimes(step: SessionStep(exercise: "arch"), exercise: arch)
        #expect([times.contract, times.hold, times.release, times.rest] == [5, 2.5, 15, 7.5])
        #expect(!times.releaseIsExplicit)

        let e = engine(session([SessionStep(exercise: "arch")]), [arch])
        let t = try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0))
        #expect(lengths(t, .contract) == [5, 5, 5])
        #expect(lengths(t, .hold) == [2.5, 2.5, 2.5])
        #expect(lengths(t, .release) == [15, 15, 15])
        #expect(lengths(t, .rest) == [7.5, 7.5])
    }

    @Test func longReleasesFromAStepsPaceUnit() throws {
        var arch = exercise()
        arch.pace = Pace(ratios: [1, 0, 3, 1.5], unit: 5)
        // A step's pace_unit alone rescales the exercise's ratios: 12 s units give 36 s releases.
        let slow = SessionStep(exercise: "arch", pace: Pace(unit: 12))
        #expect(phaseTimes(step: slow, exercise: arch).release == 36)
        // The largest unit reaches a 60 s release with the default ratios too.
        let plain = exercise()
        let t20 = phaseTimes(step: SessionStep(exercise: "arch", pace: Pace(unit: 20)), exercise: plain)
        #expect([t20.contract, t20.release, t20.rest] == [20, 60, 32])
        // A step's own ratios win over the exercise's seconds; its seconds win over everything.
        var timed = exercise(contract: 4, release: 20)
        timed.pace = Pace(ratios: [1, 0, 3, 1], unit: 5)
        let step = SessionStep(exercise: "arch", release: 45, pace: Pace(ratios: [2, 0, 10, 2], unit: 5))
        let times = phaseTimes(step: step, exercise: timed)
        #expect(times.contract == 10 && times.release == 45 && times.rest == 10)
        #expect(times.releaseIsExplicit)
        // The exercise's seconds win over its own pace.
        let own = phaseTimes(step: SessionStep(exercise: "arch"), exercise: timed)
        #expect(own.contract == 4 && own.release == 20 && own.rest == 5)

        let e = engine(session([SessionStep(exercise: "arch", pace: Pace(unit: 15))]), [plain])
        let t = try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0))
        #expect(lengths(t, .release) == [45, 45, 45])
        #expect(lengths(t, .contract) == [15, 15, 15])
    }

    @Test func paceIsCheckedWhereItIsWritten() throws {
        let (_, three) = try parsedExercise(exerciseHead + "pace = [1, 3, 1]\n[exercise.contract]\nsay = \"A.\"\n[exercise.release]\nsay = \"R.\"\n")
        #expect(three.count == 1)
        #expect(three.first?.position == SourcePosition(line: 4, column: 8))
        #expect(three.first?.message.contains("four numbers [contract, hold, release, rest]") == true)

        let (_, negative) = try parsedSession(sessionHead + "[[step]]\nexercise = \"arch\"\npace = [1, -1, 3, \"x\"]\npace_unit = 0.1\n")
        #expect(Set(negative.compactMap(\.position)) == [SourcePosition(line: 7, column: 12), SourcePosition(line: 7, column: 19),
                                                       SourcePosition(line: 8, column: 13)])
        #expect(negative.count == 3)

        let (_, tooLong) = try parsedSession(sessionHead + "[[step]]\nexercise = \"arch\"\npace = [1, 0, 40, 1]\npace_unit = 20\n")
        #expect(tooLong.first?.message.contains("800 s is longer than 600 s") == true)

        let (_, holdless) = try parsedExercise(exerciseHead + "pace = [1, 1, 3, 1]\n[exercise.contract]\nsay = \"A.\"\n[exercise.release]\nsay = \"R.\"\n")
        #expect(holdless.first?.severity == .warning)
        #expect(holdless.first?.message.contains("no [exercise.hold] instruction") == true)
    }

    @Test func aZeroHoldInAStepsPaceLeavesTheHoldOut() throws {
        let arch = exercise(hold: PhaseSpec(say: "Hold.", seconds: 3))
        let e = engine(session([SessionStep(exercise: "arch", pace: Pace(ratios: [1, 0, 3, 1]))]), [arch])
        let t = try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0))
        #expect(lengths(t, .hold).isEmpty)
        let kept = engine(session([SessionStep(exercise: "arch")]), [arch])
        #expect(lengths(try kept.compile(cues: try catalog(for: kept, voiceSeconds: 1.0)), .hold) == [3, 3, 3])
    }

    // MARK: The release rule

    @Test func explicitSecondsThatBreakTheReleaseRuleAreWarnedAt() throws {
        let (s, readerWarnings) = try parsedSession(sessionHead + """
            [[step]]
            exercise = "arch"
            contract = 8
            release = 20
            [[step]]
            exercise = "arch"
            contract = 6
            [[step]]
            exercise = "arch"
            release = 45
            [[step]]
            exercise = "arch"
            pace = [1, 0, 2, 1]
            """)
        #expect(readerWarnings.isEmpty)
        let session = try #require(s)
        // The exercise gives a 16 s release in seconds: with the step's 6 s contraction that breaks the rule too.
        let arch = exercise(release: 16)
        let w = releaseRatioWarnings(session: session, exercises: ["arch": arch])
        #expect(w.map(\.position) == [SourcePosition(line: 8, column: 11), SourcePosition(line: 11, column: 12)])
        #expect(w.allSatisfy { $0.severity == .warning && $0.file == "s.toml" })
        #expect(w.first?.message == "step[1] (arch): the release of 20 s is shorter than 3 x the contraction (24 s); releases are meant to be slow")
        #expect(w.last?.message.contains("the release of 16 s is shorter than 3 x the contraction (18 s)") == true)
        // A pace is not absolute seconds: the engine stretches its release to 3x instead.
        let e = engine(Session(id: "s", title: "S", description: "", posture: .lying, opening: "O.", closing: "C.",
                               steps: [session.steps[3]]), [exercise()])
        let t = try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0))
        #expect(lengths(t, .release) == [15, 15, 15])
    }

    @Test func anExerciseFileIsWarnedAtItsReleaseSeconds() throws {
        let (_, d) = try parsedExercise(exerciseHead + "[exercise.contract]\nsay = \"A.\"\nseconds = 6\n[exercise.release]\nsay = \"R.\"\nseconds = 10\n")
        #expect(d.count == 1)
        #expect(d.first?.position == SourcePosition(line: 9, column: 11))
        #expect(d.first?.severity == .warning)
        // A release in seconds is checked against the default contraction too (5 s: 15 s).
        let (_, short) = try parsedExercise(exerciseHead + "[exercise.contract]\nsay = \"A.\"\n[exercise.release]\nsay = \"R.\"\nseconds = 12\n")
        #expect(short.first?.message.contains("(15 s)") == true)
    }

    // MARK: Lengths and --fit

    @Test func lengthsParse() {
        #expect(parseLength("600") == 600)
        #expect(parseLength("90.5") == 90.5)
        #expect(parseLength("10m") == 600)
        #expect(parseLength("1h5m") == 3900)
        #expect(parseLength("1h5m30s") == 3930)
        #expect(parseLength("45s") == 45)
        #expect(parseLength("2h") == 7200)
        for bad in ["", "m", "5x", "10m1h", "1m1m", "-5", "0", "0m", "1e3", "10 m", "1h 5m", ".", String(repeating: "9", count: 400)] {
            #expect(parseLength(bad) == nil, "\(bad)")
        }
        #expect(lengthText(600.04) == "10:00.0")
        #expect(lengthText(3930.26) == "1:05:30.3")
    }

    @Test func fitChoosesTheTempoThatGivesTheLength() throws {
        let e = engine(session([SessionStep(exercise: "arch", tempo: Tempo(2.0)), SessionStep(exercise: "back", reps: 4)]),
                       [exercise(), exercise("back", sides: true)])
        let cues = try catalog(for: e, voiceSeconds: 1.5)
        let slowest = seconds(try { var x = e; x.settings.forcedTempo = Tempo(0.25); return try x.compile(cues: cues) }().frames)
        let fastest = seconds(try { var x = e; x.settings.forcedTempo = Tempo(2.0); return try x.compile(cues: cues) }().frames)
        #expect(fastest < slowest)
        for target in [fastest, (fastest + slowest) / 2, fastest * 1.3, slowest] {
            let (tempo, t) = try e.fit(seconds: target, cues: cues)
            #expect(t.tempo == tempo)
            // Every step plays at the chosen tempo, whatever the step says.
            #expect(t.segments.allSatisfy { $0.tempo == tempo })
            let got = seconds(t.frames)
            // No other tempo on the 0.001 grid comes closer.
            for k in [-1, 1] {
                guard let other = Tempo(Double(Int((tempo.value * 1000).rounded()) + k) / 1000) else { continue }
                var x = e
                x.settings.forcedTempo = other
                #expect(abs(got - target) <= abs(seconds(try x.compile(cues: cues).frames) - target) + 1e-9)
            }
            #expect(abs(got - target) / target < 0.01)
        }
        #expect(throws: FitError.self) { try e.fit(seconds: fastest - 1, cues: cues) }
        do {
            _ = try e.fit(seconds: slowest + 60, cues: cues)
            Issue.record("an unreachable length was accepted")
        } catch let error as FitError {
            #expect(error.shortest == fastest && error.longest == slowest)
            #expect(error.description.contains("out of reach"))
            #expect(error.description.contains(lengthText(fastest)) && error.description.contains(lengthText(slowest)))
        }
    }
}
