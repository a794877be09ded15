import Testing
@testable import SomacueCore

/// The pacing guide's plan, in virtual time: frequencies, phases and levels at the joins.
@Suite("Pacing guide plan")
struct GuidePlanTests {
    static func timeline(release: Double? = nil, tempo: Double = 1.0) throws -> Timeline {
        let e = engine(session([SessionStep(exercise: "arch")]), [exercise(hold: PhaseSpec(say: "Hold.", seconds: 2), release: release)],
                       tempo: tempo)
        return try e.compile(cues: try catalog(for: e, voiceSeconds: 1.0))
    }

    /// Cycles per second at `t` frames into `s`.
    static func hz(_ s: GuideSegment, at t: Int64) -> Double {
        Double(s.increment(at: t)) / 0x1p64 * 48_000
    }

    /// A phase difference as a fraction of a cycle, in -0.5 ..< 0.5.
    static func cycles(_ a: UInt64, _ b: UInt64) -> Double { Double(Int64(bitPattern: a &- b)) / 0x1p64 }

    @Test func pitchRisesThroughTheContractionAndFallsThroughTheRelease() throws {
        let t = try Self.timeline()
        let plan = planGuide(t, settings: GuideSettings())
        #expect(!plan.isEmpty)
        for seg in t.segments where seg.phase == .contract || seg.phase == .release || seg.phase == .hold {
            let parts = plan.filter { $0.start >= seg.frame.value && $0.end <= seg.end.value }
            #expect(parts.first?.start == seg.frame.value && parts.last?.end == seg.end.value, "the guide covers the whole \(seg.phase)")
            let first = try #require(parts.first), last = try #require(parts.last)
            let from = Self.hz(first, at: 0), to = Self.hz(last, at: last.frames - 1)
            switch seg.phase {
            case .contract:
                #expect(abs(from - 220) < 1 && abs(to - 330) < 1, "\(from) -> \(to)")
            case .release:
                #expect(abs(from - 330) < 1 && abs(to - 220) < 1, "\(from) -> \(to)")
            default:
                #expect(abs(from - 330) < 1 && abs(to - 330) < 1)
            }
        }
    }

    @Test func aSlowerReleaseFallsMoreSlowly() throws {
        func fallPerSecond(_ release: Double) throws -> Double {
            let t = try Self.timeline(release: release)
            let plan = planGuide(t, settings: GuideSettings())
            let seg = try #require(t.segments.first { $0.phase == .release })
            let inside = try #require(plan.first { $0.start >= seg.frame.value && $0.end <= seg.end.value && $0.frames > 48_000 })
            return -Double(Int64(bitPattern: inside.step)) / 0x1p64 * 48_000 * 48_000
        }
        let fast = try fallPerSecond(15), slow = try fallPerSecond(45)
        #expect(fast > 0 && slow > 0)
        #expect(abs(fast / slow - 3) < 0.05, "15 s falls 3x faster than 45 s: \(fast) vs \(slow) Hz/s")
    }

    @Test func jointsAreContinuousInPhaseAndLevel() throws {
        for tempo in [0.25, 1.0, 2.0] {
            for rests in GuideRests.allCases {
                var g = GuideSettings()
                g.rests = rests
                let plan = planGuide(try Self.timeline(tempo: tempo), settings: g)
                #expect(!plan.isEmpty)
                #expect(plan.allSatisfy { $0.frames > 0 })
                for (a, b) in zip(plan, plan.dropFirst()) {
                    #expect(a.end <= b.start, "sorted, never overlapping")
                    if a.end == b.start {
                        #expect(a.gain1 == b.gain0, "level jumps at \(b.start)")
                        #expect(abs(Self.cycles(a.phase(at: a.frames), b.phase)) < 1e-6, "phase jumps at \(b.start)")
                        #expect(abs(Self.hz(a, at: a.frames) - Self.hz(b, at: 0)) < 3, "pitch jumps at \(b.start)")
                    } else {
                        #expect(a.gain1 == 0 && b.gain0 == 0, "a gap in the guide starts and ends in silence")
                    }
                }
                #expect(plan.first?.gain0 == 0 && plan.last?.gain1 == 0)
            }
        }
    }

    @Test func everyPhaseStartsAtPhaseZeroSoItSoundsTheSameWhereverItLies() throws {
        let t = try Self.timeline()
        let plan = planGuide(t, settings: GuideSettings())
        for seg in t.segments {
            if let first = plan.first(where: { $0.start == seg.frame.value }) {
                #expect(first.phase == 0, "\(seg.phase) at \(seg.frame)")
            }
        }
        // Two identical contractions have identical guides, relative to their starts.
        let contracts = t.segments.filter { $0.phase == .contract }
        try #require(contracts.count >= 2)
        func relative(_ s: Segment) -> [GuideSegment] {
            plan.filter { $0.start >= s.frame.value && $0.end <= s.end.value }.map { var g = $0; g.start -= s.frame.value; return g }
        }
        #expect(relative(contracts[0]) == relative(contracts[1]))
    }

    @Test func restsArePaddedAndTheClosingIsNot() throws {
        let t = try Self.timeline()
        let plan = planGuide(t, settings: GuideSettings())
        func covered(_ s: Segment) -> Int64 {
            plan.filter { $0.start >= s.frame.value && $0.end <= s.end.value }.reduce(0) { $0 + $1.frames }
        }
        for s in t.segments where s.phase == .rest || s.phase == .integrate || s.phase == .position {
            #expect(covered(s) == s.frames.value, "\(s.phase) is not fully covered")
        }
        let closing = try #require(t.segments.first { $0.phase == .closing })
        #expect(covered(closing) == 0)
        // The pad breathes: its level goes up and down within a long rest.
        let rest = try #require(t.segments.first { $0.phase == .rest })
        let levels = plan.filter { $0.start >= rest.frame.value && $0.end <= rest.end.value }.map(\.gain1)
        #expect(Set(levels).count >= 2)
        var off = GuideSettings()
        off.enabled = false
        #expect(planGuide(t, settings: off).isEmpty)
        off = GuideSettings()
        off.rests = .off
        #expect(planGuide(t, settings: off).allSatisfy { p in
            t.segments.contains { ($0.phase == .contract || $0.phase == .hold || $0.phase == .release) && p.start >= $0.frame.value && p.end <= $0.end.value }
        })
    }

    @Test func configAndSessionSettings() throws {
        let config = try parseTOMLFile("""
            [guide]
            enabled = false
            volume = 0.1
            low_hz = 200
            high_hz = 400
            rests = "tone"
            """, file: "config.toml").get()
        var r = SchemaReader(file: "config.toml")
        let c = readConfig(config, reader: &r)
        #expect(r.diagnostics.isEmpty)
        #expect(c.guide.enabled == false && c.guide.volume == 0.1 && c.guide.lowHz == 200 && c.guide.highHz == 400 && c.guide.rests == .tone)
        let text = """
            [session]
            title = "T"
            opening = "O."
            closing = "C."
            [session.guide]
            enabled = true
            high_hz = 500
            [[step]]
            exercise = "arch"
            """
        var rs = SchemaReader(file: "s.toml")
        let s = try #require(readSession(try parseTOMLFile(text, file: "s.toml").get(), reader: &rs, expectedID: nil))
        #expect(rs.diagnostics.filter { $0.severity == .error }.isEmpty)
        let merged = s.guide.applied(to: c.guide)
        #expect(merged.enabled && merged.highHz == 500 && merged.lowHz == 200 && merged.volume == 0.1)
    }
}
