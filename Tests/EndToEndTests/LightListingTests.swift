import Foundation
import Testing

/// `somacue` answers `sessions`, `exercises`, `voices` and `timeline SESSION` (plain or `--json`,
/// with `--config`) itself when every cue header they need is cached, and hands them to somacued
/// otherwise. Either way the user sees exactly what somacued prints.
///
/// Each test runs a copy of `somacue` next to a stand-in `somacued`: a script that logs its
/// arguments and then runs the real one, so a test sees whether the command was handed over.
@Suite("Listing in somacue", .serialized)
struct LightListingTests {
    struct Setup {
        var env: [String: String]
        var somacue: String
        var log: URL
        var home: URL

        /// The arguments somacued was run with since the last call (one line per run).
        func handOvers() -> [String] {
            defer { try? FileManager.default.removeItem(at: log) }
            guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
            return text.split(separator: "\n").map(String.init)
        }

        var cacheFile: String { home.appendingPathComponent(".cache/somacue/cue-headers").path }
        var userDir: URL { home.appendingPathComponent(".config/somacue") }
    }

    /// A fresh HOME (empty cue-header cache), with a copy of somacue and the logging somacued.
    static func setUp() throws -> Setup {
        let home = E2E.tempDir("light")
        let bin = home.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let somacue = bin.appendingPathComponent("somacue").path
        try FileManager.default.copyItem(atPath: E2E.somacue, toPath: somacue)
        let log = home.appendingPathComponent("handovers.log")
        let script = "#!/bin/sh\necho \"$*\" >> '\(log.path)'\nexec '\(E2E.somacued)' \"$@\"\n"
        let engine = bin.appendingPathComponent("somacued").path
        try script.write(toFile: engine, atomically: true, encoding: .utf8)
        chmod(engine, 0o755)
        var env = E2E.cleanEnvironment()
        env["HOME"] = home.path
        env["XDG_CONFIG_HOME"] = home.appendingPathComponent(".config").path
        env["XDG_CACHE_HOME"] = home.appendingPathComponent(".cache").path
        return Setup(env: env, somacue: somacue, log: log, home: home)
    }

    static let forms: [[String]] = [
        ["sessions"], ["sessions", "--json"], ["exercises"], ["exercises", "--json"],
        ["voices"], ["voices", "--json"], ["timeline", "release-the-lower-back"], ["timeline", "release-the-lower-back", "--json"],
    ]

    static func expectSame(_ a: E2E.Result, _ b: E2E.Result, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.status == b.status, "\(what): status \(a.status) vs somacued's \(b.status)", sourceLocation: sourceLocation)
        #expect(a.stdout == b.stdout, "\(what): stdout differs", sourceLocation: sourceLocation)
        #expect(a.stderr == b.stderr, "\(what): stderr differs:\n\(a.stderr)\n---\n\(b.stderr)", sourceLocation: sourceLocation)
    }

    /// A WAV of `seconds` of tone (sox), with the modification time `modified` (seconds).
    static func tone(_ url: URL, seconds: Double, modified: Int) throws {
        let r = try E2E.run("/usr/bin/sox", ["-n", "-r", "48000", "-c", "1", "-b", "16", url.path, "synth", "\(seconds)", "sine", "440", "vol", "0.5"])
        try #require(r.status == 0, "sox: \(r.stderr)")
        var times = [timespec(tv_sec: modified, tv_nsec: 0), timespec(tv_sec: modified, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, url.path, &times, 0) == 0)
    }

    @Test func warmCacheEveryFormAnsweredInProcessAndIdentical() throws {
        let s = try Self.setUp()
        // somacued fills the cache (every session is planned by `sessions`).
        try #require(try E2E.run(E2E.somacued, ["sessions"], env: s.env).status == 0)
        #expect(FileManager.default.fileExists(atPath: s.cacheFile))
        for form in Self.forms {
            let light = try E2E.run(s.somacue, form, env: s.env)
            let engine = try E2E.run(E2E.somacued, form, env: s.env)
            Self.expectSame(light, engine, form.joined(separator: " "))
            #expect(light.status == 0 && !light.stdout.isEmpty, "\(form): \(light.stderr)")
            #expect(s.handOvers().isEmpty, "\(form) was handed to somacued with a warm cache")
        }
        // With --config (the shipped config.toml) too.
        let config = E2E.repo.appendingPathComponent("config.toml").path
        let light = try E2E.run(s.somacue, ["sessions", "--json", "--config", config], env: s.env)
        Self.expectSame(light, try E2E.run(E2E.somacued, ["sessions", "--json", "--config", config], env: s.env), "sessions --config")
        #expect(s.handOvers().isEmpty)
        // Anything but the plain forms goes to somacued as before.
        let tempo = try E2E.run(s.somacue, ["timeline", "gluteal-release", "--tempo", "0.5"], env: s.env)
        #expect(tempo.status == 0)
        #expect(s.handOvers() == ["timeline gluteal-release --tempo 0.5"])
        // Errors are the same too: an unknown session (status 66) and a broken config (78).
        let unknown = try E2E.run(s.somacue, ["timeline", "gluteal-releas"], env: s.env)
        Self.expectSame(unknown, try E2E.run(E2E.somacued, ["timeline", "gluteal-releas"], env: s.env), "unknown session")
        #expect(unknown.status == 66 && unknown.stderr.contains("did you mean \"gluteal-release\""), "\(unknown.stderr)")
        let bad = s.home.appendingPathComponent("bad.toml")
        try "[audio]\nsample_rate = \"fast\"\n".write(to: bad, atomically: true, encoding: .utf8)
        let badConfig = try E2E.run(s.somacue, ["sessions", "--config", bad.path], env: s.env)
        Self.expectSame(badConfig, try E2E.run(E2E.somacued, ["sessions", "--config", bad.path], env: s.env), "bad config")
        #expect(badConfig.status == 78)
        #expect(s.handOvers().isEmpty)
    }

    @Test func coldCacheHandsOverAndTheNextRunIsInProcess() throws {
        let s = try Self.setUp()
        #expect(!FileManager.default.fileExists(atPath: s.cacheFile))
        let cold = try E2E.run(s.somacue, ["sessions", "--json"], env: s.env)
        #expect(cold.status == 0, "\(cold.stderr)")
        #expect(s.handOvers() == ["sessions --json"], "a cold cache must be somacued's to fill")
        let list = try #require(try E2E.json(cold.stdout) as? [[String: Any]])
        #expect(list.count == 7)
        for entry in list {
            let duration = try #require(entry["duration"] as? Double, "\(entry["id"] ?? "?") has no duration")
            #expect(duration > 120 && duration < 3600)
        }
        #expect(FileManager.default.fileExists(atPath: s.cacheFile), "somacued left no cue-header cache")
        let warm = try E2E.run(s.somacue, ["sessions", "--json"], env: s.env)
        #expect(warm.stdout == cold.stdout && warm.stderr == cold.stderr && warm.status == cold.status)
        #expect(s.handOvers().isEmpty, "the warm run was handed over")
    }

    /// A user voice pack `mine` (the config's voice) whose opening cue for gluteal-release is
    /// `opening.wav`, and whose manifest gives a warning (a voice cue without its text).
    static func packSetUp(_ s: Setup, seconds: Double) throws -> URL {
        let pack = s.userDir.appendingPathComponent("voices/mine")
        try FileManager.default.createDirectory(at: pack, withIntermediateDirectories: true)
        try "[voice]\nname = \"mine\"\n\n[[cue]]\nid = \"gluteal-release.opening\"\nfile = \"opening.wav\"\n"
            .write(to: pack.appendingPathComponent("manifest.toml"), atomically: true, encoding: .utf8)
        try "[session]\nvoice = \"mine\"\n".write(to: s.userDir.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        let cue = pack.appendingPathComponent("opening.wav")
        try tone(cue, seconds: seconds, modified: 1_700_000_000)
        return cue
    }

    static func duration(_ r: E2E.Result, of id: String) throws -> Double {
        let list = try #require(try E2E.json(r.stdout) as? [[String: Any]])
        return try #require(list.first { $0["id"] as? String == id }?["duration"] as? Double)
    }

    @Test func aCueChangedAfterCachingGivesTheNewLength() throws {
        let s = try Self.setUp()
        let cue = try Self.packSetUp(s, seconds: 2)
        let before = try E2E.run(E2E.somacued, ["sessions", "--json"], env: s.env)
        try #require(before.status == 0, "\(before.stderr)")
        let light = try E2E.run(s.somacue, ["sessions", "--json"], env: s.env)
        #expect(light.stdout == before.stdout)
        #expect(s.handOvers().isEmpty)

        // Five seconds long now, with a new modification time: the cached header is stale.
        try Self.tone(cue, seconds: 5, modified: 1_700_000_100)
        let after = try E2E.run(s.somacue, ["sessions", "--json"], env: s.env)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(s.handOvers() == ["sessions --json"], "a stale header must be read again, by somacued")
        let grown = try Self.duration(after, of: "gluteal-release") - (try Self.duration(before, of: "gluteal-release"))
        #expect(abs(grown - 3) < 0.01, "gluteal-release grew by \(grown) s, not the 3 s its opening did")
        Self.expectSame(after, try E2E.run(E2E.somacued, ["sessions", "--json"], env: s.env), "after the change")
        // somacued stored the new header: the next run is answered in process, with it.
        let again = try E2E.run(s.somacue, ["sessions", "--json"], env: s.env)
        #expect(again.stdout == after.stdout)
        #expect(s.handOvers().isEmpty)
    }

    @Test func aManifestWarningIsPrintedOnceWarmOrCold() throws {
        let s = try Self.setUp()
        _ = try Self.packSetUp(s, seconds: 2)
        let warning = "manifest.toml:4:1: warning: cue[1]: a voice cue should carry its spoken text in \"text\""
        func count(_ text: String) -> Int { text.components(separatedBy: warning).count - 1 }
        // Cold: the attempt in somacue reads the manifest (and its warning), misses the cache and
        // hands over; somacued prints the warning, which somacue must not have printed before.
        let cold = try E2E.run(s.somacue, ["sessions"], env: s.env)
        #expect(cold.status == 0)
        #expect(s.handOvers() == ["sessions"])
        #expect(count(cold.stderr) == 1, "\(cold.stderr)")
        let warm = try E2E.run(s.somacue, ["sessions"], env: s.env)
        #expect(s.handOvers().isEmpty)
        #expect(count(warm.stderr) == 1, "\(warm.stderr)")
        Self.expectSame(warm, try E2E.run(E2E.somacued, ["sessions"], env: s.env), "sessions with a manifest warning")
        let voices = try E2E.run(s.somacue, ["voices", "--json"], env: s.env)
        #expect(s.handOvers().isEmpty)
        #expect(count(voices.stderr) == 1, "\(voices.stderr)")
        Self.expectSame(voices, try E2E.run(E2E.somacued, ["voices", "--json"], env: s.env), "voices with a manifest warning")
    }

    @Test func aBrokenSessionFileIsReportedOnceAndTheSame() throws {
        let s = try Self.setUp()
        try #require(try E2E.run(E2E.somacued, ["sessions"], env: s.env).status == 0)
        let sessions = s.userDir.appendingPathComponent("sessions")
        try FileManager.default.createDirectory(at: sessions, withIntermediateDirectories: true)
        let broken = sessions.appendingPathComponent("broken.toml")
        try "[session]\ntitle = \"X\"\nopening = \"a\"\nclosing = \"b\"\n\n[[step]]\nexercise = \"arch-and-flatten\"\nreps = 0\n"
            .write(to: broken, atomically: true, encoding: .utf8)
        for form in [["sessions"], ["sessions", "--json"], ["exercises"]] {
            let light = try E2E.run(s.somacue, form, env: s.env)
            #expect(s.handOvers().isEmpty, "\(form) was handed over")
            #expect(light.status == 0)
            // Its two diagnostics (the error, and the id that differs from the file name), once each.
            let lines = light.stderr.split(separator: "\n").filter { $0.hasPrefix(broken.path + ":") }
            #expect(lines.count == 2, "\(light.stderr)")
            #expect(lines.filter { $0.contains(":8:8: error: step[1].reps") }.count == 1, "\(light.stderr)")
            #expect(lines.filter { $0.contains(": warning: session id") }.count == 1, "\(light.stderr)")
            Self.expectSame(light, try E2E.run(E2E.somacued, form, env: s.env), form.joined(separator: " "))
        }
        // The broken file's diagnostics, not "no such session", for its id.
        let timeline = try E2E.run(s.somacue, ["timeline", "broken"], env: s.env)
        #expect(timeline.status == 65 && timeline.stderr.contains(":8:8: error: step[1].reps"), "\(timeline.stderr)")
        Self.expectSame(timeline, try E2E.run(E2E.somacued, ["timeline", "broken"], env: s.env), "timeline broken")
        #expect(s.handOvers().isEmpty)
    }
}
