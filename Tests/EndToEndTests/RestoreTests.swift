import Foundation
import Glibc
import Testing

/// Sessions that survive the daemon: state.json saved at phase boundaries, a killed daemon's
/// successor comes back paused at the start of that phase, and `resume` plays exactly the render
/// from there.
@Suite("Restore", .serialized)
struct RestoreTests {
    @Test func killedMidSessionComesBackPausedAndResumesExactlyFromThePhaseStart() throws {
        let pulse = try #require(Pulse.shared, "headless PulseAudio could not be started")
        let daemonTests = DaemonTests()
        let d = try TestDaemon()
        defer { d.stop() }
        // Kill it inside the first release phase.
        let (expected, k, phaseStart) = try daemonTests.renderAndFirstRelease(d)
        let c = try d.connect()
        _ = try c.data("start", ["session": "daemon-test"])
        _ = try daemonTests.waitUntil(c) { $0["state"] as? String == "playing" && daemonTests.elapsed($0) >= Double(phaseStart) / 48_000 + 0.4 }
        let stateFile = d.home.appendingPathComponent("state/somacue/state.json")
        var saved: [String: Any] = [:]
        for _ in 0..<50 {
            if let data = try? Data(contentsOf: stateFile), let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               (o["position"] as? [String: Any])?["segment"] as? Int == k { saved = o; break }
            usleep(50_000)
        }
        let position = try #require(saved["position"] as? [String: Any], "state.json never reached phase \(k)")
        #expect(position["phase"] as? String == "release" && position["exercise"] as? String == "test-lift", "\(position)")
        #expect(saved["session"] as? String == "daemon-test" && saved["voice"] as? String == "test" && saved["tempo"] as? Int == 1)
        kill(d.process.processIdentifier, SIGKILL)
        d.process.waitUntilExit()

        let (second, log) = try d.launch(log: "second.log")
        defer { TestDaemon.end(second) }
        let c2 = try d.connect()
        // The restore loads like a `start` (the daemon answers meanwhile), then holds paused.
        let status = try daemonTests.waitUntil(c2) { $0["state"] as? String != "loading" }
        #expect(status["state"] as? String == "paused", "\(status) \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        #expect(status["restored"] as? Bool == true && status["saved"] is String, "\(status)")
        #expect(daemonTests.isAt(status, frame: phaseStart), "\(status)")
        #expect(try String(contentsOf: log, encoding: .utf8).contains("restored daemon-test"))
        let human = try E2E.run(E2E.somacue, ["status"], env: d.env)
        #expect(human.stdout.hasPrefix("paused   Daemon Test") && human.stdout.contains("`somacue resume` continues"), "\(human.stdout)")

        let cap = try Pulse.Capture(fifo: pulse.fifo)
        let r = try c2.data("resume")
        let from = try #require(r["frame"] as? Int)
        #expect(from <= phaseStart && from > phaseStart - 48_000, "resumed at \(from), phase starts at \(phaseStart)")
        usleep(4_000_000)
        _ = try c2.data("stop")
        usleep(500_000)
        let captured = try cap.stop()
        // After the resume sound and the 10 ms fade-in, the device plays the render from there,
        // frame for frame.
        let start = from + 480
        let probe = expected[start..<(start + 4_800)]
        let at = try #require(find(probe, in: captured), "the render from the phase start is not in the capture")
        let n = 48_000
        try #require(captured.count >= at + n && expected.count >= start + n)
        if !captured[at..<(at + n)].elementsEqual(expected[start..<(start + n)]) {
            let i = zip(captured[at..<(at + n)], expected[start..<(start + n)]).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1
            Issue.record("capture differs from the render at frame \(i) after the resume")
        }
        // The stop ended the session: nothing is left to restore.
        usleep(300_000)
        #expect(!FileManager.default.fileExists(atPath: stateFile.path))
    }

    @Test func aRestartKeepsTheSessionAndStartReplacesARestoredOneWithoutReplace() throws {
        _ = try #require(Pulse.shared, "headless PulseAudio could not be started")
        let daemonTests = DaemonTests()
        let d = try TestDaemon()
        defer { d.stop() }
        let c = try d.connect()
        _ = try c.data("start", ["session": "daemon-test"])
        _ = try daemonTests.waitUntil(c) { $0["state"] as? String == "playing" && daemonTests.elapsed($0) >= 2 }
        // SIGTERM (systemctl --user restart) fades out and exits, and keeps the session.
        d.stop()
        #expect(d.process.terminationStatus == 0)
        let (second, _) = try d.launch(log: "restart.log")
        defer { TestDaemon.end(second) }
        let c2 = try d.connect()
        let status = try daemonTests.waitUntil(c2) { $0["state"] as? String != "loading" }
        #expect(status["state"] as? String == "paused" && status["restored"] as? Bool == true, "\(status)")
        let started = try c2.request("start", ["session": "daemon-test", "tempo": 1.5])
        #expect(started["ok"] as? Bool == true, "\(started)")
        // `start` replies `loading`; the session plays once its cues are decoded.
        let now = try daemonTests.waitUntil(c2) { $0["state"] as? String != "loading" }
        #expect(now["state"] as? String == "playing" && now["restored"] == nil && now["tempo"] as? Double == 1.5, "\(now)")
        _ = try c2.data("stop")
    }

    @Test func aDamagedOrOutdatedStateIsReportedAndNeverStopsTheDaemon() throws {
        let d = try TestDaemon()
        let stateDir = d.home.appendingPathComponent("state/somacue")
        try FileManager.default.createDirectory(at: stateDir, withIntermediateDirectories: true)
        let stateFile = stateDir.appendingPathComponent("state.json")
        d.stop()

        // Cut short by a crash: moved aside, reported once, idle.
        try #"{"version":1,"session":"daemon-test","posi"#.write(to: stateFile, atomically: true, encoding: .utf8)
        let (first, log1) = try d.launch(log: "damaged.log")
        #expect(try d.connect().data("status")["state"] as? String == "idle")
        TestDaemon.end(first)
        let text1 = try String(contentsOf: log1, encoding: .utf8)
        #expect(text1.contains("is damaged") && text1.contains("state.json.corrupt-"), "\(text1)")
        #expect(!FileManager.default.fileExists(atPath: stateFile.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: stateDir.path).contains { $0.hasPrefix("state.json.corrupt-") })

        // Saved before the session's files changed (another fingerprint), and one saved 13 h ago:
        // not restored, recorded as interrupted.
        let now = Date()
        for (savedAt, inputs) in [(now, "123abc"), (now.addingTimeInterval(-13 * 3600), "123abc")] {
            let state: [String: Any] = [
                "version": 1, "session": "daemon-test", "title": "Daemon Test",
                "position": ["segment": 3, "phase": "contract", "exercise": "test-lift", "step": 1, "side": "right", "rep": 1],
                "tempo": 1, "startTempo": 1, "voice": "test", "leadIn": 0,
                "started": HistoryTests.iso(savedAt), "saved": HistoryTests.iso(savedAt), "inputs": inputs,
            ]
            try JSONSerialization.data(withJSONObject: state).write(to: stateFile)
            let (p, log) = try d.launch(log: "outdated.log")
            #expect(try d.connect().data("status")["state"] as? String == "idle")
            TestDaemon.end(p)
            #expect(try String(contentsOf: log, encoding: .utf8).contains("recorded as interrupted"))
            #expect(!FileManager.default.fileExists(atPath: stateFile.path))
        }
        let history = try String(contentsOf: stateDir.appendingPathComponent("history.jsonl"), encoding: .utf8)
        let lines = history.split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains(#""outcome":"interrupted""#) && $0.contains(#""session":"daemon-test""#) }, "\(history)")
    }
}
