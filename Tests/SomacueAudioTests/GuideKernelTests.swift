import Testing
import SomacueCore
@testable import SomacueAudio

/// The pacing guide in the render kernel: pitch, joins, ducking, block sizes.
@Suite("Pacing guide kernel")
struct GuideKernelTests {
    let buffers = Buffers()

    /// A one-exercise session laid out with 1 s voices: (timeline, guide plan).
    static func planned(release: Double = 15, settings: GuideSettings = GuideSettings()) throws -> (Timeline, [GuideSegment]) {
        let ex = Exercise(id: "arch", title: "Arch", posture: .lying, sides: false, position: "Lie down.",
                          contract: PhaseSpec(say: "Contract.", seconds: 5), hold: PhaseSpec(say: "Hold.", seconds: 2),
                          release: PhaseSpec(say: "Release.", seconds: release), rest: PhaseSpec(say: nil, seconds: 8))
        var step = SessionStep(exercise: "arch")
        step.reps = 2
        let s = Session(id: "s", title: "S", description: "", posture: .lying, opening: "Open.", closing: "Close.", steps: [step])
        let engine = PacingEngine(session: s, exercises: ["arch": ex], settings: PacingSettings())
        var cat: [CueID: CueInfo] = [:]
        for r in try engine.requiredCues() {
            cat[r.id] = CueInfo(id: r.id, kind: r.kind, frames: FrameCount(r.kind == .voice ? 48_000 : 9_600), source: "/x")
        }
        let t = try engine.compile(cues: cat)
        return (t, planGuide(t, settings: settings))
    }

    /// Renders frames [0, total) with the guide and `events`, in the given block sizes (cycled).
    static func render(_ events: [KernelEvent], guide: [GuideSegment], total: Int64, blocks: [Int]) -> [Int16] {
        let st = MixerState.allocate(events: events, totalFrames: total, master: 1, voice: 1, tone: 1, guide: guide)
        defer { MixerState.deallocate(st) }
        var out = [Int16](repeating: 0, count: Int(total) * 2)
        var done = 0, b = 0
        out.withUnsafeMutableBufferPointer { p in
            while done < Int(total) {
                let n = min(blocks[b % blocks.count], Int(total) - done)
                mixerRender(st, frames: n, into: p.baseAddress! + 2 * done, floatOut: nil)
                done += n
                b += 1
            }
        }
        return out
    }

    static func left(_ s: [Int16]) -> [Float] { stride(from: 0, to: s.count, by: 2).map { Float(s[$0]) / 32768 } }

    /// Upward zero crossings per second over [a, b).
    static func crossings(_ x: [Float], _ a: Int, _ b: Int) -> Double {
        var n = 0
        for i in a..<(b - 1) where x[i] < 0 && x[i + 1] >= 0 { n += 1 }
        return Double(n) * 48_000 / Double(b - a)
    }

    static func rms(_ x: [Float], _ a: Int, _ b: Int) -> Double {
        var s = 0.0
        for i in a..<b { s += Double(x[i]) * Double(x[i]) }
        return (s / Double(b - a)).squareRoot()
    }

    @Test func pitchRisesThroughTheContractionAndFallsThroughTheRelease() throws {
        let (t, guide) = try Self.planned()
        let x = Self.left(Self.render([], guide: guide, total: t.frames.value, blocks: [4096]))
        for seg in t.segments where seg.phase == .contract || seg.phase == .release {
            let a = Int(seg.frame.value), n = Int(seg.frames.value)
            // Five half-second windows across the phase.
            let rates = [0.1, 0.3, 0.5, 0.7, 0.85].map { f in Self.crossings(x, a + Int(Double(n) * f), a + Int(Double(n) * f) + 24_000) }
            let pairs = zip(rates, rates.dropFirst())
            if seg.phase == .contract {
                #expect(pairs.allSatisfy { $0.1 > $0.0 }, "contract: \(rates)")
                #expect(rates.first! > 215 && rates.last! < 335, "\(rates)")
            } else {
                #expect(pairs.allSatisfy { $0.1 < $0.0 }, "release: \(rates)")
            }
        }
    }

    @Test func aSlowerReleaseFallsMoreSlowly() throws {
        func fall(_ release: Double) throws -> Double {
            let (t, guide) = try Self.planned(release: release)
            let x = Self.left(Self.render([], guide: guide, total: t.frames.value, blocks: [4096]))
            let seg = try #require(t.segments.first { $0.phase == .release })
            let a = Int(seg.frame.value), n = Int(seg.frames.value)
            let early = Self.crossings(x, a + n / 10, a + n / 10 + 24_000)
            let late = Self.crossings(x, a + n * 8 / 10, a + n * 8 / 10 + 24_000)
            return (early - late) / (Double(n) * 0.7 / 48_000)  // Hz per second
        }
        let fast = try fall(15), slow = try fall(45)
        #expect(fast > 0 && slow > 0)
        #expect(fast > 2 * slow, "a 45 s release falls more slowly than a 15 s one: \(fast) vs \(slow) Hz/s")
    }

    @Test func noClickAtAnyPhaseEdgeAndTheSameSamplesForEveryBlockSize() throws {
        for rests in GuideRests.allCases {
            var g = GuideSettings()
            g.rests = rests
            g.volume = 0.5
            g.padVolume = 0.25
            let (t, guide) = try Self.planned(settings: g)
            let reference = Self.render([], guide: guide, total: t.frames.value, blocks: [4096])
            // Largest step of a 330 Hz sine at 0.5: 2 pi f A / rate, in 16-bit steps, plus rounding.
            let bound = 2 * Double.pi * 331 * 0.5 / 48_000 * 32768 + 2
            var largest = 0.0, at = 0
            for i in stride(from: 2, to: reference.count, by: 2) {
                let d = abs(Double(reference[i]) - Double(reference[i - 2]))
                if d > largest { largest = d; at = i / 2 }
            }
            #expect(largest <= bound, "rests \(rests): a jump of \(largest) at frame \(at) (bound \(bound))")
            // The edges themselves sound: the guide is really there across them.
            let x = Self.left(reference)
            // (With rests "off" a contraction starts from silence, fading in.)
            for seg in t.segments where seg.phase == .release || (seg.phase == .contract && rests != .off) {
                let f = Int(seg.frame.value)
                #expect(Self.rms(x, f - 480, f + 480) > 0.05, "rests \(rests): silent at the \(seg.phase) edge \(f)")
            }
            for blocks in [[417], [3, 700, 29, 4096]] where rests == .pad {
                #expect(Self.render([], guide: guide, total: t.frames.value, blocks: blocks) == reference, "blocks \(blocks)")
            }
        }
    }

    @Test func theGuideIsDuckedUnderAVoiceWithSmoothRamps() throws {
        var g = GuideSettings()
        g.volume = 0.5
        let (t, guide) = try Self.planned(settings: g)
        let release = try #require(t.segments.first { $0.phase == .release })
        // A silent "voice" in the middle of the release: only its presence counts.
        let start = release.frame.value + 5 * 48_000
        let frames: Int64 = 96_000
        let voice = KernelEvent(start: start, frames: frames, samples: buffers.make([Float](repeating: 0, count: Int(frames))),
                                channels: 1, gain: 1, isVoice: true)
        let total = release.end.value
        let ducked = Self.left(Self.render([voice], guide: guide, total: total, blocks: [4096]))
        let plain = Self.left(Self.render([], guide: guide, total: total, blocks: [4096]))
        let s = Int(start), n = Int(frames)
        let ratio = Self.rms(ducked, s + 4_800, s + n - 4_800) / Self.rms(plain, s + 4_800, s + n - 4_800)
        #expect(abs(ratio - Double(MixerTuning.guideDuckGain)) < 0.01, "ducked to \(ratio)")
        // Untouched away from the voice.
        #expect(Array(ducked[(s - 48_000)..<(s - 1)]) == Array(plain[(s - 48_000)..<(s - 1)]))
        // The duck ramps in and out: no step larger than the tone's own.
        let bound = 2 * Double.pi * 331 * 0.5 / 48_000 + 3.0 / 32768
        for edge in [s, s + n] {
            for i in (edge - 960)..<(edge + 960) {
                #expect(Double(abs(ducked[i + 1] - ducked[i])) <= bound, "a click at \(i)")
            }
        }
    }

    @Test func aSeekOrATableSwapPlaysTheSameGuideAsTheRender() throws {
        let (t, guide) = try Self.planned()
        let total = t.frames.value
        let reference = Self.render([], guide: guide, total: total, blocks: [4096])
        let st = MixerState.allocate(events: [], totalFrames: total, master: 1, voice: 1, tone: 1, guide: guide)
        defer { MixerState.deallocate(st) }
        var out = [Int16](repeating: 0, count: 48_000 * 2)
        let target: Int64 = 20 * 48_000 + 123
        out.withUnsafeMutableBufferPointer { p in
            mixerRender(st, frames: 1_000, into: p.baseAddress!, floatOut: nil)
            _ = st.pointee.send(.swap(EventTable.make([], totalFrames: total, guide: guide)))
            _ = st.pointee.send(.seek(token: 1, to: target))
            mixerRender(st, frames: 48_000, into: p.baseAddress!, floatOut: nil)
        }
        while let note = st.pointee.nextNote() { if case .swapped(let old) = note { old.free() } }
        // After the 10 ms fade-out and 10 ms fade-in, the output is the render from the target.
        let fades = 2 * Int(MixerTuning.transportFadeFrames)
        let after = Array(out[(2 * fades)..<(2 * 24_000)])
        let expected = Array(reference[(2 * (Int(target) + fades - Int(MixerTuning.transportFadeFrames)))...].prefix(after.count))
        #expect(after == expected)
    }
}
