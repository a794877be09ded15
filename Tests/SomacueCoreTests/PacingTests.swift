import Testing
@testable import SomacueCore

/// Builds a catalog giving every required cue a fixed length (voices) or 0.2 s (tones).
func catalog(for engine: PacingEngine, voiceSeconds: Double = 2.0, overrides: [CueID: Double] = [:]) throws -> [CueID: CueInfo] {
    let rate = engine.settings.sampleRate
    var out: [CueID: CueInfo] = [:]
    for r in try engine.requiredCues() {
        let seconds = overrides[r.id] ?? (r.kind == .voice ? voiceSeconds : 0.2)
        out[r.id] = CueInfo(id: r.id, kind: r.kind, frames: rate.frames(seconds: seconds), source: "/cues/\(r.id).ogg")
    }
    return out
}

func exercise(_ id: String = "arch", sides: Bool = false, contract: Double? = nil, hold: PhaseSpec? = nil,
              release: Double? = nil, rest: Double? = nil, posture: Posture = .lying) -> Exercise {
    Exercise(id: id, title: "Title \(id)", posture: posture, sides: sides, position: "Lie down.",
             contract: PhaseSpec(say: "Contract.", seconds: contract), hold: hold,
             release: PhaseSpec(say: "Release.", seconds: release), rest: rest.map { PhaseSpec(say: nil, seconds: $0) })
}

func session(_ steps: [SessionStep], posture: Posture = .lying) -> Session {
    Session(id: "s", title: "S", description: "", posture: posture, opening: "Open.", closing: "Close.", steps: steps)
}

func engine(_ s: Session, _ exercises: [Exercise], tempo: Double = 1.0, leadIn: Double = 0, safety: Bool = true) -> PacingEngine {
    PacingEngine(session: s, exercises: Dictionary(uniqueKeysWithValues: exercises.map { ($0.id, $0) }),
                 settings: PacingSettings(tempo: Tempo(tempo)!, leadIn: leadIn, preroll: FrameCount(24_000), safetyNote: safety))
}

func seconds(_ f: FrameCount) -> Double { Double(f.value) / 48_000 }

@Suite("Pacing engine")
struct PacingTests {
    @Test func defaultsAtTempoOne() throws {
        let e = engine(session([SessionStep(exercise: "arch")]), [exercise()])
        let t = try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0))
        let contracts = t.segments.filter { $0.phase == .contract }
        let releases = t.segments.filter { $0.phase == .release }
        let rests = t.segments.filter { $0.phase == .rest }
        #expect(contracts.count == 3)
        #expect(contracts.allSatisfy { seconds($0.frames) == 5 })
        // release = max(15, 3 x 5) = 15
        #expect(releases.allSatisfy { seconds($0.frames) == 15 })
        // rests between reps only: 2 for 3 reps
        #expect(rests.count == 2)
        #expect(rests.allSatisfy { seconds($0.frames) == 8 })
    }

    /// A tone outlasting everything after it (a long tone file under the last release and a
    /// short closing) is never cut off: the last segment lasts until it ends. Found by the
    /// compiler fuzz target (an event reaching past the timeline's end).
    @Test func aLongOnsetToneIsNeverCutOffByTheEnd() throws {
        let e = engine(session([SessionStep(exercise: "arch")]), [exercise()])
        let t = try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0, overrides: ["tone-release": 600]))
        let tone = try #require(t.events.last { $0.cue == "tone-release" })
        #expect(tone.end == t.frames, "the tone ends at \(tone.end), the timeline at \(t.frames)")
        #expect(t.events.allSatisfy { $0.end <= t.frames })
        #expect(t.segments.last?.phase == .closing && t.segments.last?.end == t.frames)
    }

    @Test func tempoScalesPhasesButNotVoices() throws {
        let e = engine(session([SessionStep(exercise: "arch")]), [exercise()], tempo: 0.5)
        let cat = try catalog(for: e, voiceSeconds: 1.0)
        let t = try e.compile(cues: cat)
        #expect(t.segments.filter { $0.phase == .contract }.allSatisfy { seconds($0.frames) == 10 })
        #expect(t.segments.filter { $0.phase == .release }.allSatisfy { seconds($0.frames) == 30 })
        #expect(t.segments.filter { $0.phase == .rest }.allSatisfy { seconds($0.frames) == 16 })
        // Voice lengths are untouched by the tempo.
        for ev in t.events { #expect(ev.frames == cat[ev.cue]!.frames) }
        // Faster tempo: contract 2.5 s, release 7.5 -> raised to 3 x contraction by rule 3.
        let fast = engine(session([SessionStep(exercise: "arch")]), [exercise()], tempo: 2.0)
        let tf = try fast.compile(cues: try catalog(for: fast, voiceSeconds: 1.0))
        #expect(tf.segments.filter { $0.phase == .contract }.allSatisfy { seconds($0.frames) == 2.5 })
        #expect(tf.segments.filter { $0.phase == .release }.allSatisfy { seconds($0.frames) == 7.5 })
    }

    @Test func tempoRange() {
        #expect(Tempo(0.25) != nil)
        #expect(Tempo(2.0) != nil)
        #expect(Tempo(0.24) == nil)
        #expect(Tempo(2.01) == nil)
        #expect(Tempo(.nan) == nil)
    }

    @Test func phaseLastsAtLeastItsInstructionPlusHalfASecond() throws {
        // A 7 s contract instruction outlasts the 5 s contraction.
        let e = engine(session([SessionStep(exercise: "arch")]), [exercise()])
        let t = try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0, overrides: ["arch.contract": 7.0]))
        let contract = try #require(t.segments.first { $0.phase == .contract })
        #expect(seconds(contract.frames) == 7.5)
        // Rule 3 after rule 2: the release is at least 3 x the actual contraction.
        let release = try #require(t.segments.first { $0.phase == .release })
        #expect(seconds(release.frames) == 22.5)
    }

    @Test func explicitReleaseIsKeptEvenIfShort() throws {
        let e = engine(session([SessionStep(exercise: "arch", contract: 4, release: 6)]), [exercise()])
        let t = try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0))
        #expect(t.segments.filter { $0.phase == .release }.allSatisfy { seconds($0.frames) == 6 })
    }

    @Test func releaseIsAtLeastThreeTimesContraction() throws {
        let e = engine(session([SessionStep(exercise: "arch", contract: 8)]), [exercise()])
        let t = try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0))
        #expect(t.segments.filter { $0.phase == .release }.allSatisfy { seconds($0.frames) == 24 })
    }

    @Test func voiceCuesNeverOverlap() throws {
        let s = session([SessionStep(exercise: "a", reps: 2), SessionStep(exercise: "b", focus: "Feel it."),
                         SessionStep(exercise: "c", reps: 1)])
        let exs = [exercise("a"), exercise("b", sides: true, hold: PhaseSpec(say: "Hold.", seconds: 1)),
                   exercise("c", posture: .standing)]
        for tempo in [0.25, 1.0, 2.0] {
            for voice in [0.5, 3.0, 9.0] {
                let e = engine(s, exs, tempo: tempo, leadIn: 5)
                let t = try e.compile(cues: try catalog(for: e, voiceSeconds: voice))
                let voices = t.events.filter { $0.kind == .voice }
                for (a, b) in zip(voices, voices.dropFirst()) {
                    #expect(a.end <= b.frame, "\(a.cue) overlaps \(b.cue) at tempo \(tempo), voice \(voice) s")
                }
                // Every voice ends inside its segment.
                for v in voices {
                    let seg = try #require(t.segment(at: v.frame))
                    #expect(v.end <= seg.end, "\(v.cue) runs past its \(seg.phase) segment")
                }
            }
        }
    }

    @Test func segmentsCoverTheWholeTimeline() throws {
        let e = engine(session([SessionStep(exercise: "a"), SessionStep(exercise: "b")]), [exercise("a"), exercise("b", sides: true)])
        let t = try e.compile(cues: try catalog(for: e))
        #expect(t.segments.first?.frame == .zero)
        for (a, b) in zip(t.segments, t.segments.dropFirst()) { #expect(a.end == b.frame) }
        #expect(t.segments.last?.end == t.frames)
        #expect(t.events.allSatisfy { $0.end <= t.frames })
        #expect(t.segments.first?.phase == .opening)
        #expect(t.segments.last?.phase == .closing)
    }

    @Test func sidesAnnouncedAndSwitched() throws {
        let e = engine(session([SessionStep(exercise: "b", reps: 2, sides: [.right, .left])]), [exercise("b", sides: true)])
        let t = try e.compile(cues: try catalog(for: e))
        let contracts = t.segments.filter { $0.phase == .contract }
        #expect(contracts.map(\.side) == [.right, .right, .left, .left])
        let sw = try #require(t.segments.first { $0.phase == .switch })
        #expect(sw.side == .left)
        let cues = t.events.map(\.cue.rawValue)
        #expect(cues.contains("tone-switch"))
        let right = try #require(cues.firstIndex(of: "right-side"))
        let left = try #require(cues.firstIndex(of: "left-side"))
        #expect(right < left)
        #expect(cues.firstIndex(of: "switch-sides")! < left)
    }

    @Test func lastRepAndGrowthAnnounced() throws {
        let e = engine(session([SessionStep(exercise: "a", reps: 3)]), [exercise("a")])
        let t = try e.compile(cues: try catalog(for: e))
        let cues = t.events.filter { $0.kind == .voice }.map(\.cue.rawValue)
        #expect(cues.filter { $0 == "first-rep-small" }.count == 1)
        #expect(cues.filter { $0 == "rep-grow" }.count == 1)
        #expect(cues.filter { $0 == "last-rep" }.count == 1)
        let lastRep = try #require(t.events.first { $0.cue == "last-rep" })
        #expect(lastRep.phase == .rest && lastRep.rep == 2)
        #expect(cues.first { $0.hasSuffix("contract") } != nil)
    }

    @Test func everyPhaseHasASpokenInstruction() throws {
        let e = engine(session([SessionStep(exercise: "a"), SessionStep(exercise: "b")]),
                       [exercise("a", hold: PhaseSpec(say: "Hold.", seconds: 2)), exercise("b", sides: true)])
        let t = try e.compile(cues: try catalog(for: e))
        for seg in t.segments {
            let voices = t.events.filter { $0.kind == .voice && $0.frame >= seg.frame && $0.frame < seg.end }
            #expect(!voices.isEmpty, "\(seg.phase) at \(seg.frame) has no voice")
        }
    }

    @Test func nextExerciseAnnouncedDuringIntegration() throws {
        let e = engine(session([SessionStep(exercise: "a"), SessionStep(exercise: "b")]), [exercise("a"), exercise("b")])
        let t = try e.compile(cues: try catalog(for: e))
        let integ = try #require(t.segments.first { $0.phase == .integrate })
        #expect(seconds(integ.frames) == 20)
        let inside = t.events.filter { $0.frame >= integ.frame && $0.end <= integ.end }.map(\.cue.rawValue)
        #expect(inside.contains("next-exercise"))
        #expect(inside.contains("b.title"))
        #expect(inside.contains("b.position"))
        // The announcement ends half a second before the next exercise starts.
        let position = try #require(t.events.first { $0.cue == "b.position" })
        #expect(integ.end - position.end == FrameCount(24_000))
    }

    @Test func openingAndClosing() throws {
        let e = engine(session([SessionStep(exercise: "a")]), [exercise("a")], leadIn: 30)
        let t = try e.compile(cues: try catalog(for: e))
        let cues = t.events.map(\.cue.rawValue)
        #expect(cues.first == "tone-start")
        #expect(t.events.first?.frame == FrameCount(24_000))  // after the pre-roll
        #expect(cues.contains("safety"))
        #expect(cues.contains("close-eyes"))
        let leadIn = try #require(t.events.first { $0.cue == "lead-in" })
        let begin = try #require(t.events.first { $0.cue == "begin" })
        #expect(seconds(begin.frame - leadIn.end) == 30 + 0.0)
        #expect(cues.last == "chime-end")
        #expect(cues.suffix(3).first == "s.closing")
        let chime = t.events.last!
        #expect(seconds(t.frames - chime.end) == 1.0)
    }

    @Test func noSafetyNoteWhenDisabledAndNoCloseEyesStanding() throws {
        let e = engine(session([SessionStep(exercise: "a")], posture: .standing), [exercise("a", posture: .standing)], safety: false)
        let cues = try e.compile(cues: try catalog(for: e)).events.map(\.cue.rawValue)
        #expect(!cues.contains("safety"))
        #expect(!cues.contains("close-eyes"))
    }

    @Test func postureChangeAnnounced() throws {
        let e = engine(session([SessionStep(exercise: "a"), SessionStep(exercise: "c")]), [exercise("a"), exercise("c", posture: .standing)])
        let cues = try e.compile(cues: try catalog(for: e)).events.map(\.cue.rawValue)
        #expect(cues.contains("stand-with-support"))
    }

    @Test func tonesSortBeforeVoicesAtTheSameFrame() throws {
        let e = engine(session([SessionStep(exercise: "a")]), [exercise("a")])
        let t = try e.compile(cues: try catalog(for: e))
        for (a, b) in zip(t.events, t.events.dropFirst()) {
            #expect(a.frame <= b.frame)
            if a.frame == b.frame { #expect(!(a.kind == .voice && b.kind == .tone)) }
        }
        let contractTone = try #require(t.events.first { $0.cue == "tone-contract" })
        let contractVoice = try #require(t.events.first { $0.cue == "a.contract" })
        #expect(contractTone.frame == contractVoice.frame)
    }

    @Test func missingCuesAreAllListed() throws {
        let e = engine(session([SessionStep(exercise: "a")]), [exercise("a")])
        var cat = try catalog(for: e)
        cat["a.contract"] = nil
        cat["last-rep"] = nil
        cat["chime-end"] = nil
        #expect {
            _ = try e.compile(cues: cat)
        } throws: { error in
            guard let m = error as? MissingCuesError else { return false }
            return Set(m.missing.map(\.id)) == ["a.contract", "last-rep", "chime-end"]
        }
    }

    @Test func unknownExerciseIsReported() {
        let e = engine(session([SessionStep(exercise: "arhc")]), [exercise("arch")])
        #expect(throws: PacingError.self) { try e.requiredCues() }
    }

    @Test func longSessionsUseIntegerFrames() throws {
        // 20 exercises x 10 reps at tempo 0.25 is hours long: no overflow, exact sums.
        let steps = (0..<20).map { _ in SessionStep(exercise: "a", reps: 10) }
        let e = engine(session(steps), [exercise("a")], tempo: 0.25)
        let t = try e.compile(cues: try catalog(for: e))
        #expect(seconds(t.frames) > 3 * 3600)
        #expect(t.segments.reduce(FrameCount.zero) { $0 + $1.frames } == t.frames)
    }
}

@Suite("Ids and numbers")
struct IDTests {
    @Test func kebabIDs() {
        #expect(makeID(fromTitle: "Arch & Flatten") == "arch-and-flatten")
        #expect(makeID(fromTitle: "One-sided Arch & Curl") == "one-sided-arch-and-curl")
        #expect(makeID(fromTitle: "Hip Slides & Hip Raises") == "hip-slides-and-hip-raises")
        #expect(isValidID("back-lift"))
        #expect(!isValidID("Back Lift"))
        #expect(!isValidID("-x"))
    }

    @Test func numbersFormatWithoutFoundation() {
        #expect(formatNumber(1.0) == "1")
        #expect(formatNumber(0.25) == "0.25")
        #expect(formatNumber(-2.5) == "-2.5")
        #expect(formatNumber(1.23456) == "1.235")
    }

    @Test func jsonWriter() {
        var o = JSONObject()
        o.set("a", 1)
        o.set("b", "x\"y\n")
        o.set("c", nil as String?)
        o.set("d", 0.5)
        #expect(o.json.compact == #"{"a":1,"b":"x\"y\n","d":0.5}"#)
    }
}

@Suite("Navigation")
struct NavigationTests {
    func timeline() throws -> Timeline {
        let e = engine(session([SessionStep(exercise: "a"), SessionStep(exercise: "b"), SessionStep(exercise: "c")]),
                       [exercise("a"), exercise("b"), exercise("c")])
        return try e.compile(cues: try catalog(for: e))
    }

    @Test func resumeReplaysACutVoiceFromItsOnset() throws {
        let t = try timeline()
        let voice = try #require(t.events.first { $0.cue == "a.release" })
        let mid = voice.frame + FrameCount(voice.frames.value / 2)
        #expect(t.resumeFrame(pausedAt: mid, fade: FrameCount(480)) == voice.frame)
        // Paused just after a cue ended, but inside the fade: the cue was cut too.
        #expect(t.resumeFrame(pausedAt: voice.end + FrameCount(100), fade: FrameCount(480)) == voice.frame)
        // Paused in silence: continue where it stopped.
        let quiet = voice.end + FrameCount(10_000)
        #expect(t.segment(at: quiet)?.phase == .release)
        #expect(t.resumeFrame(pausedAt: quiet, fade: FrameCount(480)) == quiet)
    }

    @Test func nextAndPrev() throws {
        let t = try timeline()
        let starts = t.exerciseStarts.map(\.frame)
        #expect(starts.count == 3)
        let window = FrameCount(240_000)
        let closing = try #require(t.segments.first { $0.phase == .closing }).frame
        // From the opening, next goes to the first exercise.
        #expect(t.skipTarget(from: FrameCount(100), forward: true, restartWindow: window) == starts[0])
        #expect(t.skipTarget(from: starts[0] + FrameCount(1), forward: true, restartWindow: window) == starts[1])
        #expect(t.skipTarget(from: starts[2] + FrameCount(1), forward: true, restartWindow: window) == closing)
        #expect(t.skipTarget(from: closing + FrameCount(1), forward: true, restartWindow: window) == nil)
        // prev: within the window, back one; later, restart this one.
        #expect(t.skipTarget(from: starts[1] + FrameCount(1000), forward: false, restartWindow: window) == starts[0])
        #expect(t.skipTarget(from: starts[1] + window, forward: false, restartWindow: window) == starts[1])
        #expect(t.skipTarget(from: starts[0] + FrameCount(1000), forward: false, restartWindow: window) == starts[0])
        #expect(t.skipTarget(from: closing + FrameCount(1), forward: false, restartWindow: window) == starts[2])
    }
}
