import Foundation
import Glibc
import Testing

/// The practice history: somacued appends a line when a session ends, `somacue history` reads
/// the file (damaged lines skipped with a warning).
@Suite("History", .serialized)
struct HistoryTests {
    static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    @Test func historyListsEntriesSkipsDamagedLinesAndTotalsThisWeek() throws {
        let dir = E2E.tempDir("history")
        let state = dir.appendingPathComponent("state/somacue")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let now = Self.iso(Date())
        let lines = [
            #"{"start":"2020-03-02T08:00:00Z","session":"gluteal-release","title":"Gluteal Release","tempo":1,"voice":"default","practised":646.9,"outcome":"completed"}"#,
            #"{"start":"\#(now)","session":"release-the-lower-back","title":"Release the Lower Back","tempo":0.8,"voice":"default","practised":250.4,"outcome":"stopped","exercise":{"id":"back-lift","title":"Back Lift","index":2,"count":10}}"#,
            #"{"start":"\#(now)","session":"gluteal-rel"#,
            "not json at all",
            #"{"start":"yesterday","session":"x","practised":1,"outcome":"completed"}"#,
            #"{"start":"\#(now)","session":"gluteal-release","title":"Gluteal Release","tempo":1,"voice":"default","practised":50,"outcome":"completed"}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(to: state.appendingPathComponent("history.jsonl"), atomically: true, encoding: .utf8)
        var env = E2E.cleanEnvironment()
        env["XDG_STATE_HOME"] = dir.appendingPathComponent("state").path

        let r = try E2E.run(E2E.somacue, ["history"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let warnings = r.stderr.split(separator: "\n")
        #expect(warnings.count == 3, "\(r.stderr)")
        for n in [3, 4, 5] { #expect(r.stderr.contains("history.jsonl:\(n): skipped a damaged line"), "\(r.stderr)") }
        #expect(r.stdout.contains("Gluteal Release") && r.stdout.contains("10:46") && r.stdout.contains("completed"), "\(r.stdout)")
        #expect(r.stdout.contains("stopped in Back Lift (2/10)"), "\(r.stdout)")
        // This week: 250.4 + 50 s (the 2020 entry is not counted).
        #expect(r.stdout.hasSuffix("This week: 5:00 in 2 sessions.\n"), "\(r.stdout)")

        let j = try E2E.run(E2E.somacue, ["history", "--json", "--since", "2021-01-01"], env: env)
        #expect(j.status == 0)
        let list = try #require(try E2E.json(j.stdout) as? [[String: Any]])
        #expect(list.count == 2)
        #expect(list.first?["session"] as? String == "release-the-lower-back")
        #expect((list.first?["exercise"] as? [String: Any])?["index"] as? Int == 2)
        #expect(list.first?["practised"] as? Double == 250.4)

        let bad = try E2E.run(E2E.somacue, ["history", "--since", "last week"], env: env)
        #expect(bad.status == 64 && bad.stderr.contains("--since"), "\(bad.stderr)")
        var empty = env
        empty["XDG_STATE_HOME"] = dir.appendingPathComponent("nothing").path
        let none = try E2E.run(E2E.somacue, ["history"], env: empty)
        #expect(none.status == 0 && none.stdout.hasPrefix("No sessions recorded yet"), "\(none.stdout)")
    }

    @Test func theDaemonRecordsStoppedAndCompletedSessions() throws {
        _ = try #require(Pulse.shared, "headless PulseAudio could not be started")
        let d = try TestDaemon()
        defer { d.stop() }
        let c = try d.connect()
        let history = d.home.appendingPathComponent("state/somacue/history.jsonl")
        // Stopped in the first exercise.
        _ = try c.data("start", ["session": "daemon-test"])
        _ = try DaemonTests().waitUntil(c) { $0["state"] as? String == "playing" }
        _ = try c.data("next")
        usleep(300_000)
        _ = try c.data("stop")
        // Completed: jump to the closing and let it end.
        _ = try c.data("start", ["session": "daemon-test", "tempo": 1.5])
        _ = try DaemonTests().waitUntil(c) { $0["state"] as? String == "playing" }
        _ = try c.data("next")
        _ = try c.data("next")
        _ = try c.data("next")
        let end = Date().addingTimeInterval(60)
        while Date() < end, (try? c.data("status"))?["state"] as? String != "idle" { usleep(100_000) }
        let text = try String(contentsOf: history, encoding: .utf8)
        let entries = try text.split(separator: "\n").map { try #require(try E2E.json(String($0)) as? [String: Any]) }
        try #require(entries.count == 2, "\(text)")
        #expect(entries[0]["session"] as? String == "daemon-test" && entries[0]["title"] as? String == "Daemon Test")
        #expect(entries[0]["outcome"] as? String == "stopped")
        #expect((entries[0]["exercise"] as? [String: Any])?["id"] as? String == "test-lift", "\(entries[0])")
        #expect((entries[0]["practised"] as? Double ?? 0) > 0)
        #expect(entries[0]["voice"] as? String == "test" && entries[0]["tempo"] as? Int == 1)
        #expect(entries[1]["outcome"] as? String == "completed" && entries[1]["tempo"] as? Double == 1.5, "\(entries[1])")
        #expect(entries[1]["exercise"] == nil)
        let started = try #require(entries[0]["start"] as? String)
        #expect(abs((ISO8601DateFormatter().date(from: started) ?? .distantPast).timeIntervalSinceNow) < 300, "\(started)")
        let listed = try E2E.run(E2E.somacue, ["history"], env: d.env)
        #expect(listed.status == 0 && listed.stdout.contains("Daemon Test") && listed.stderr.isEmpty, "\(listed.stdout)\(listed.stderr)")
        #expect(listed.stdout.contains("in 2 sessions."), "\(listed.stdout)")
    }
}
