import Foundation
import Testing

/// Tempo as the user meets it: `--fit`, session and step tempos in `sessions`, the release rule
/// in the shipped sessions and in `validate`.
@Suite("Tempo and --fit (commands)", .serialized)
struct TempoCommandTests {
    static let shipped = ["release-the-lower-back", "release-the-hip-flexors", "activate-the-abdominals",
                          "activate-the-gluteus-maximus", "gluteal-release", "bend-to-pick-up", "strength-warm-up"]

    func timeline(_ args: [String], env: [String: String]? = nil) throws -> (json: [String: Any], stderr: String) {
        let r = try E2E.run(E2E.somacue, ["timeline"] + args + ["--json"], env: env ?? E2E.cleanEnvironment())
        try #require(r.status == 0, "timeline \(args) failed (\(r.status)): \(r.stderr)")
        return (try #require(try E2E.json(r.stdout) as? [String: Any]), r.stderr)
    }

    /// In every shipped session, at its own tempo and at both ends of the tempo range, each
    /// release lasts at least 3x the contraction before it.
    @Test func shippedSessionsKeepEveryReleaseThreeTimesTheContraction() throws {
        for id in Self.shipped {
            for tempo in [nil, "0.25", "2"] {
                let (t, _) = try timeline([id] + (tempo.map { ["--tempo", $0] } ?? []))
                let segments = try #require(t["segments"] as? [[String: Any]])
                var contract: Int?
                var releases = 0
                for s in segments {
                    let frames = try #require(s["frames"] as? Int)
                    switch s["phase"] as? String {
                    case "contract": contract = frames
                    case "release":
                        let c = try #require(contract, "\(id): a release without a contraction before it")
                        #expect(frames >= 3 * c, "\(id) at tempo \(tempo ?? "default"): release of \(frames) frames after a contraction of \(c)")
                        releases += 1
                    default: break
                    }
                }
                #expect(releases >= 5)
            }
        }
        // And no shipped file draws a release-rule warning.
        let files = try FileManager.default.contentsOfDirectory(atPath: E2E.repo.appendingPathComponent("sessions").path).map { "sessions/" + $0 }
            + FileManager.default.contentsOfDirectory(atPath: E2E.repo.appendingPathComponent("exercises").path).map { "exercises/" + $0 }
        let v = try E2E.run(E2E.somacue, ["validate"] + files.map { E2E.repo.appendingPathComponent($0).path })
        #expect(v.status == 0)
        #expect(!v.stderr.contains("3 x the contraction"), "\(v.stderr)")
    }

    @Test func fitChoosesAndSaysTheTempo() throws {
        let (plain, _) = try timeline(["gluteal-release"])
        let normal = try #require(plain["seconds"] as? Double)
        // Two minutes longer than at tempo 1.0: a slower tempo, within a second of the target.
        let target = (normal + 120).rounded()
        let (fit, note) = try timeline(["gluteal-release", "--fit", "\(Int(target))"])
        let seconds = try #require(fit["seconds"] as? Double)
        let tempo = try #require(fit["tempo"] as? Double)
        #expect(abs(seconds - target) < 1, "fit \(target) s gave \(seconds) s")
        #expect(tempo < 1)
        #expect(note.contains("--fit: tempo \(formatted(tempo)) gives"), "\(note)")
        // The same length written in minutes, and --tempo with the chosen value, agree.
        let minutes = Int(target) / 60, rest = Int(target) % 60
        let (again, _) = try timeline(["gluteal-release", "--fit", "\(minutes)m\(rest)s"])
        #expect(again["seconds"] as? Double == seconds)
        let (replay, _) = try timeline(["gluteal-release", "--tempo", formatted(tempo)])
        #expect(replay["seconds"] as? Double == seconds)

        // render --fit writes exactly that timeline.
        let out = E2E.tempDir("fit").appendingPathComponent("fit.wav")
        let r = try E2E.run(E2E.somacue, ["render", "gluteal-release", "--fit", "\(Int(target))", "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("--fit: tempo \(formatted(tempo))"))
        let wav = try E2E.wavSamples(out)
        #expect(wav.samples.count / wav.channels == fit["frames"] as? Int)
    }

    @Test func fitOutOfReachOrWithTempoIsAUsageError() throws {
        let far = try E2E.somacue("timeline", "gluteal-release", "--fit", "10h")
        #expect(far.status == 64)
        #expect(far.stderr.contains("out of reach"), "\(far.stderr)")
        #expect(far.stderr.contains("at tempo 2 to 0.25 this session lasts"), "\(far.stderr)")
        let short = try E2E.somacue("play", "gluteal-release", "--fit", "30s")
        #expect(short.status == 64)
        #expect(short.stderr.contains("out of reach"))
        let both = try E2E.somacue("render", "gluteal-release", "--fit", "10m", "--tempo", "1", "-o", "/dev/null")
        #expect(both.status == 64)
        #expect(both.stderr.contains("either --fit or --tempo"), "\(both.stderr)")
        let garbled = try E2E.somacue("timeline", "gluteal-release", "--fit", "ten minutes")
        #expect(garbled.status == 64)
        #expect(garbled.stderr.contains("is not a length"), "\(garbled.stderr)")
        // The controller checks the pair itself, before any daemon is asked.
        let start = try E2E.somacue("start", "gluteal-release", "--fit", "10m", "--tempo", "1", "--no-spawn")
        #expect(start.status == 64)
    }

    /// `sessions` lists each session at the tempo it will play at: a session's own tempo, else
    /// the config's.
    @Test func sessionsListsDurationsAtTheTempoUsed() throws {
        let plain = try E2E.somacue("sessions", "--json")
        let before = try #require(try E2E.json(plain.stdout) as? [[String: Any]])
        func entry(_ list: [[String: Any]], _ id: String) throws -> [String: Any] { try #require(list.first { $0["id"] as? String == id }) }
        #expect(try entry(before, "gluteal-release")["tempo"] as? Double == 1)

        // The user's copy of a shipped session (same id: it replaces the shipped one) with its
        // own tempo, and a config tempo for the rest.
        var env = E2E.cleanEnvironment()
        let config = URL(fileURLWithPath: env["XDG_CONFIG_HOME"]!).appendingPathComponent("somacue")
        try FileManager.default.createDirectory(at: config.appendingPathComponent("sessions"), withIntermediateDirectories: true)
        let original = try String(contentsOf: E2E.repo.appendingPathComponent("sessions/gluteal-release.toml"), encoding: .utf8)
        let slow = original.replacingOccurrences(of: "id = \"gluteal-release\"", with: "id = \"gluteal-release\"\ntempo = 0.5")
        try #require(slow != original)
        try slow.write(to: config.appendingPathComponent("sessions/gluteal-release.toml"), atomically: true, encoding: .utf8)
        try "[session]\ntempo = 2.0\n".write(to: config.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        env["XDG_CONFIG_HOME"] = config.deletingLastPathComponent().path

        let r = try E2E.run(E2E.somacue, ["sessions", "--json"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let after = try #require(try E2E.json(r.stdout) as? [[String: Any]])
        let own = try entry(after, "gluteal-release"), fast = try entry(after, "release-the-lower-back")
        #expect(own["tempo"] as? Double == 0.5)
        #expect(fast["tempo"] as? Double == 2)
        func rounded(_ x: Any?) -> Double? { (x as? Double).map { ($0 * 1000).rounded() / 1000 } }
        // The listed durations are what timeline gives, and follow the tempo.
        #expect(own["duration"] as? Double == rounded(try timeline(["gluteal-release"], env: env).json["seconds"]))
        #expect(fast["duration"] as? Double == rounded(try timeline(["release-the-lower-back"], env: env).json["seconds"]))
        #expect(try #require(own["duration"] as? Double) > 1.2 * (try #require(try entry(before, "gluteal-release")["duration"] as? Double)))
        #expect(try #require(fast["duration"] as? Double) < (try #require(try entry(before, "release-the-lower-back")["duration"] as? Double)))
        // --tempo wins over the session's own tempo.
        #expect(try timeline(["gluteal-release", "--tempo", "1"], env: env).json["seconds"] as? Double
                == (try timeline(["gluteal-release"]).json["seconds"] as? Double))
        let human = try E2E.run(E2E.somacue, ["sessions"], env: env)
        #expect(human.stdout.contains("TEMPO"))
        #expect(human.stdout.split(separator: "\n").contains { $0.hasPrefix("gluteal-release") && $0.contains(" 0.5 ") })
    }

    @Test func validateWarnsWhereExplicitSecondsMakeAReleaseTooShort() throws {
        let dir = E2E.tempDir("ratio")
        let file = dir.appendingPathComponent("quick.toml")
        try """
            [session]
            title = "Quick"
            opening = "Hello."
            closing = "Bye."

            [[step]]
            exercise = "arch-and-flatten"
            contract = 10
            release = 20

            [[step]]
            exercise = "arch-and-flatten"
            pace = [1, 0, 3, 1.5]
            pace_unit = 12
            tempo = 0.8
            """.write(to: file, atomically: true, encoding: .utf8)
        let r = try E2E.somacue("validate", file.path)
        #expect(r.status == 0, "warnings only: \(r.stderr)")
        #expect(r.stderr == "\(file.path):9:11: warning: step[1] (arch-and-flatten): the release of 20 s is shorter than 3 x the contraction (30 s); releases are meant to be slow\n")

        // A step's pace with a 12 s unit gives a 36 s release, slowed further by its tempo 0.8
        // (a user's copy of a shipped session, so the default voice has every cue).
        var env = E2E.cleanEnvironment()
        let sessions = URL(fileURLWithPath: env["XDG_CONFIG_HOME"]!).appendingPathComponent("somacue/sessions")
        try FileManager.default.createDirectory(at: sessions, withIntermediateDirectories: true)
        let original = try String(contentsOf: E2E.repo.appendingPathComponent("sessions/gluteal-release.toml"), encoding: .utf8)
        let paced = original.replacingOccurrences(of: "exercise = \"internal-hip-rotator-release\"\n",
                                                  with: "exercise = \"internal-hip-rotator-release\"\npace = [1, 0, 3, 1.5]\npace_unit = 12\ntempo = 0.8\n")
        try #require(paced != original)
        try paced.write(to: sessions.appendingPathComponent("gluteal-release.toml"), atomically: true, encoding: .utf8)
        env["XDG_CONFIG_HOME"] = sessions.deletingLastPathComponent().deletingLastPathComponent().path
        let v = try E2E.run(E2E.somacue, ["validate", sessions.appendingPathComponent("gluteal-release.toml").path], env: env)
        #expect(v.status == 0 && v.stderr.isEmpty, "\(v.stderr)")
        let (t, _) = try timeline(["gluteal-release"], env: env)
        let segments = try #require(t["segments"] as? [[String: Any]])
        let first = segments.filter { $0["exercise"] as? String == "internal-hip-rotator-release" }
        let releases = first.filter { $0["phase"] as? String == "release" }
        #expect(!releases.isEmpty)
        #expect(releases.allSatisfy { $0["frames"] as? Int == 45 * 48_000 && $0["tempo"] as? Double == 0.8 }, "\(releases)")
        #expect(first.filter { $0["phase"] as? String == "contract" }.allSatisfy { $0["frames"] as? Int == 15 * 48_000 })
        // The next step has no tempo of its own: the session's (the config's, 1.0).
        #expect(segments.last { $0["phase"] as? String == "release" }?["tempo"] as? Double == 1)
    }

    func formatted(_ x: Double) -> String {
        var s = String(format: "%.3f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
