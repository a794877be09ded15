import Foundation
import Testing

/// The pacing guide, heard in renders of whole sessions.
@Suite("Pacing guide")
struct GuideTests {
    /// Longest run of frames whose samples are all exactly 0, in seconds.
    static func longestSilence(_ s: [Int16]) -> Double {
        var longest = 0, run = 0
        var i = 0
        while i + 1 < s.count {
            if s[i] == 0 && s[i + 1] == 0 { run += 1; longest = max(longest, run) } else { run = 0 }
            i += 2
        }
        return Double(longest) / 48_000
    }

    static func config(_ text: String) throws -> URL {
        let f = E2E.tempDir("guide-config").appendingPathComponent("config.toml")
        try text.write(to: f, atomically: true, encoding: .utf8)
        return f
    }

    /// espeak-ng speaks the texts of the tests' own sessions (no pack has them).
    static let speak = "[tts]\ncommand = [\"espeak-ng\", \"-w\", \"{out}\", \"--\", \"{text}\"]\n"

    @Test func aWholeSessionWithTheGuideNeverFallsSilentForMoreThanFiveSeconds() throws {
        let dir = E2E.tempDir("guide-silence")
        defer { try? FileManager.default.removeItem(at: dir) }
        var longest: [Double] = []
        for (name, config) in [("on", ""), ("off", "[guide]\nenabled = false\n")] {
            let out = dir.appendingPathComponent("\(name).wav")
            let r = try E2E.run(E2E.somacue, ["render", "strength-warm-up", "-o", out.path, "--config", try Self.config(config).path])
            try #require(r.status == 0, "\(r.stderr)")
            let samples = try E2E.wavSamples(out).samples
            #expect(samples.count > 48_000 * 2 * 300, "a whole session")
            longest.append(Self.longestSilence(samples))
        }
        // The default is on; without it the same session has long silent gaps.
        #expect(longest[0] <= 5, "\(longest[0]) s of digital silence with the guide on")
        #expect(longest[1] > 5, "the session without the guide is expected to have long gaps: \(longest[1]) s")
    }

    /// Upward zero crossings per second of the left channel over frames [a, b).
    static func crossings(_ s: [Int16], _ a: Int, _ b: Int) -> Double {
        var n = 0
        for i in a..<(b - 1) where s[2 * i] < 0 && s[2 * i + 2] >= 0 { n += 1 }
        return Double(n) * 48_000 / Double(b - a)
    }

    @Test func thePitchRisesThroughEachContractionAndFallsThroughEachReleaseMoreSlowlyWhenSlower() throws {
        let dir = E2E.tempDir("guide-pitch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let session = dir.appendingPathComponent("pitch.toml")
        try """
            [session]
            id = "pitch"
            title = "Pitch"
            opening = "Lie down."
            closing = "Done."

            [[step]]
            exercise = "arch-and-flatten"
            reps = 1
            contract = 6
            release = 12

            [[step]]
            exercise = "arch-and-flatten"
            reps = 1
            contract = 6
            release = 36
            """.write(to: session, atomically: true, encoding: .utf8)
        // Voices and tones muted: the render is the guide alone (still ducked under the voices).
        let config = try Self.config("[volume]\nvoice = 0\ntone = 0\n[guide]\nlow_hz = 200\nhigh_hz = 400\n" + Self.speak)
        let out = dir.appendingPathComponent("pitch.wav")
        let r = try E2E.run(E2E.somacue, ["render", session.path, "-o", out.path, "--config", config.path])
        try #require(r.status == 0, "\(r.stderr)")
        let t = try E2E.run(E2E.somacue, ["timeline", session.path, "--json", "--config", config.path])
        let segs = try #require((try E2E.json(t.stdout) as? [String: Any])?["segments"] as? [[String: Any]])
        let s = try E2E.wavSamples(out).samples
        var falls: [Double] = []
        for seg in segs where ["contract", "release"].contains(seg["phase"] as? String) {
            let a = seg["frame"] as! Int, n = seg["frames"] as! Int
            let points = [0.1, 0.3, 0.5, 0.7, 0.85].map { a + Int(Double(n) * $0) }
            let rates = points.map { Self.crossings(s, $0, $0 + 24_000) }
            if seg["phase"] as? String == "contract" {
                #expect(zip(rates, rates.dropFirst()).allSatisfy { $0.1 > $0.0 }, "contract: \(rates)")
                #expect(rates[0] < 230 && rates[4] > 360, "from near 200 Hz to near 400 Hz: \(rates)")
            } else {
                #expect(zip(rates, rates.dropFirst()).allSatisfy { $0.1 < $0.0 }, "release: \(rates)")
                falls.append((rates[0] - rates[4]) / (Double(n) * 0.75 / 48_000))
            }
        }
        try #require(falls.count == 2)
        #expect(falls[0] > 2 * falls[1], "the 36 s release falls more slowly than the 12 s one: \(falls) Hz/s")
    }

    @Test func aSessionCanTurnTheGuideOffAndChangeIt() throws {
        let dir = E2E.tempDir("guide-session")
        defer { try? FileManager.default.removeItem(at: dir) }
        func render(_ guide: String) throws -> [Int16] {
            let session = dir.appendingPathComponent("g.toml")
            try """
                [session]
                id = "g"
                title = "G"
                opening = "Lie down."
                closing = "Done."
                \(guide)

                [[step]]
                exercise = "arch-and-flatten"
                reps = 1
                """.write(to: session, atomically: true, encoding: .utf8)
            let out = dir.appendingPathComponent("g.wav")
            let r = try E2E.run(E2E.somacue, ["render", session.path, "-o", out.path, "--config", try Self.config("[volume]\nvoice = 0\ntone = 0\n" + GuideTests.speak).path])
            try #require(r.status == 0, "\(r.stderr)")
            return try E2E.wavSamples(out).samples
        }
        let on = try render("")
        let off = try render("[session.guide]\nenabled = false")
        let quiet = try render("[session.guide]\nvolume = 0.01\npad_volume = 0.001")
        #expect(off.allSatisfy { $0 == 0 }, "voices and tones muted, guide off: silence")
        #expect(on.contains { $0 != 0 })
        #expect((quiet.map { abs(Int($0)) }.max() ?? 0) * 2 < (on.map { abs(Int($0)) }.max() ?? 0))
    }
}
