import Foundation
import Glibc
import Testing

/// The daemon sees new, changed and removed session, exercise and voice files without
/// `reload`, over its real socket; a broken file is logged and hides nothing else; the
/// configuration still waits for `reload`. (Plays through the headless sound server, so it runs
/// with the other sound-server suites, one at a time: see scripts/test.sh.)
@Suite("Library refresh", .serialized)
struct LibraryRefreshTests {
    static func sessionIDs(_ c: ControlConnection) throws -> [String: [String: Any]] {
        let list = try c.data("sessions")["sessions"] as? [[String: Any]] ?? []
        var out: [String: [String: Any]] = [:]
        for s in list { if let id = s["id"] as? String { out[id] = s } }
        return out
    }

    /// Writes `text` to `url` by a rename, the way editors save (a new inode each time).
    static func save(_ text: String, to url: URL) throws {
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    static func freshSession(title: String, steps: String) -> String {
        """
        [session]
        id = "fresh-test"
        title = "\(title)"
        description = "\(title), added while the daemon runs."
        opening = "Hello."
        closing = "Bye."
        \(steps)
        """
    }

    @Test func sessionExerciseAndVoiceFilesAreSeenWithoutReload() throws {
        _ = try #require(Pulse.shared, "headless PulseAudio could not be started (run scripts/deps.sh)")
        let d = try TestDaemon()
        defer { d.stop() }
        let c = try ControlConnection(path: d.socket, timeout: 20)
        let user = d.home.appendingPathComponent("config/somacue")
        let sessions = user.appendingPathComponent("sessions")
        let fresh = sessions.appendingPathComponent("fresh-test.toml")

        let before = try Self.sessionIDs(c)
        #expect(before["daemon-test"] != nil && before["fresh-test"] == nil)
        let durationBefore = try #require(before["daemon-test"]?["duration"] as? Double)

        // A new session, and the cues it needs added to the user's voice pack (its manifest
        // changes too): listed and startable at once.
        let manifest = user.appendingPathComponent("voices/test/manifest.toml")
        var voiceText = try String(contentsOf: manifest, encoding: .utf8)
        for part in ["title", "opening", "closing"] {
            let rows = try #require(Self.entry("daemon-test.\(part)", in: voiceText))
            voiceText += "\n" + rows.replacingOccurrences(of: "id = \"daemon-test.\(part)\"", with: "id = \"fresh-test.\(part)\"") + "\n"
        }
        try Self.save(voiceText, to: manifest)
        try Self.save(Self.freshSession(title: "Fresh Test", steps: "[[step]]\nexercise = \"test-lift\"\n"), to: fresh)
        let added = try Self.sessionIDs(c)
        #expect(added["fresh-test"]?["title"] as? String == "Fresh Test", "\(added.keys.sorted())")
        #expect(added["daemon-test"] != nil)
        let start = try c.request("start", ["session": "fresh-test"])
        #expect(start["ok"] as? Bool == true, "\(start)")
        let firstLength = try #require((start["data"] as? [String: Any])?["session"] as? [String: Any])["duration"] as? Double
        // `start` replies `loading`; the session plays once its cues are decoded.
        #expect(try DaemonTests().waitUntil(c) { $0["state"] as? String != "loading" }["state"] as? String == "playing")
        _ = try c.request("stop")

        // Changed: a second step and a new title; `start` plays the new content.
        try Self.save(Self.freshSession(title: "Fresh Test Two", steps: "[[step]]\nexercise = \"test-lift\"\n[[step]]\nexercise = \"test-curl\"\n"),
                      to: fresh)
        #expect(try Self.sessionIDs(c)["fresh-test"]?["title"] as? String == "Fresh Test Two")
        let again = try c.request("start", ["session": "fresh-test"])
        #expect(again["ok"] as? Bool == true, "\(again)")
        let second = try #require(again["data"] as? [String: Any])["session"] as? [String: Any]
        #expect(second?["title"] as? String == "Fresh Test Two")
        #expect((second?["duration"] as? Double ?? 0) > (firstLength ?? .infinity), "two exercises last longer than one")
        _ = try c.request("stop")

        // A changed exercise changes the sessions that use it (their listed length too).
        let curl = user.appendingPathComponent("exercises/test-curl.toml")
        try Self.save(try String(contentsOf: curl, encoding: .utf8).replacingOccurrences(of: "reps = 2", with: "reps = 4"), to: curl)
        let longer = try #require(try Self.sessionIDs(c)["daemon-test"]?["duration"] as? Double)
        #expect(longer > durationBefore + 1, "\(durationBefore) -> \(longer)")

        // Removed: gone from the list, and `start` says there is no such session.
        try FileManager.default.removeItem(at: fresh)
        #expect(try Self.sessionIDs(c)["fresh-test"] == nil)
        let gone = try c.request("start", ["session": "fresh-test"])
        #expect((gone["error"] as? [String: Any])?["code"] as? String == "no_such_session", "\(gone)")

        // A broken file is skipped with a log line naming it; the others are all still there.
        try Self.save("[session]\ntitle = \"Broken\nopening = 1\n", to: sessions.appendingPathComponent("broken-test.toml"))
        let withBroken = try Self.sessionIDs(c)
        #expect(withBroken["broken-test"] == nil)
        #expect(Set(withBroken.keys).isSuperset(of: ["daemon-test", "release-the-lower-back"]), "\(withBroken.keys.sorted())")
        #expect(withBroken.count == before.count, "every other session is still listed")
        #expect(d.logText.contains("broken-test.toml:2:"), "the log names the broken file and where: \(d.logText.suffix(800))")
        let broken = try c.request("start", ["session": "broken-test"])
        #expect(broken["ok"] as? Bool == false)
        #expect("\(broken)".contains("broken-test.toml:2:"), "start says what is wrong: \(broken)")
        #expect(try c.request("start", ["session": "daemon-test"])["ok"] as? Bool == true, "the others still start")
        _ = try c.request("stop")

        // The configuration changes only on reload (a session without its own tempo is listed
        // at the config's).
        let cfg = user.appendingPathComponent("config.toml")
        let cfgText = try String(contentsOf: cfg, encoding: .utf8)
        #expect(cfgText.contains("safety_note = false\n"))
        try Self.save(cfgText.replacingOccurrences(of: "safety_note = false\n", with: "safety_note = false\ntempo = 0.8\n"), to: cfg)
        #expect(try Self.sessionIDs(c)["daemon-test"]?["tempo"] as? Double == 1.0)
        try FileManager.default.removeItem(at: sessions.appendingPathComponent("broken-test.toml"))
        #expect(try c.request("reload")["ok"] as? Bool == true)
        #expect(try Self.sessionIDs(c)["daemon-test"]?["tempo"] as? Double == 0.8)
    }

    /// The `[[cue]]` table of `id` in a generated manifest (from its header to the blank line).
    static func entry(_ id: String, in manifest: String) -> String? {
        let blocks = manifest.components(separatedBy: "\n\n")
        return blocks.first { $0.contains("id = \"\(id)\"\n") }?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
