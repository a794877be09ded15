import Foundation
import Glibc
import Testing

/// The sound server goes away and comes back: the daemon waits at the phase start and resumes by
/// itself (or stays paused), and what it plays afterwards is the render from that phase start.
/// Each test runs a private headless PulseAudio of its own (scripts/headless-pulse.sh), so that
/// stopping it disturbs no other test.
@Suite("Device loss", .serialized)
struct DeviceLossTests {
    final class PrivatePulse {
        let dir: URL
        let script = E2E.repo.appendingPathComponent("scripts/headless-pulse.sh").path
        var env: [String: String] = [:]
        var fifo = ""

        init() throws {
            dir = E2E.tempDir("pulse-own")
            try start()
        }

        func start() throws {
            var e = ProcessInfo.processInfo.environment
            e["SOMACUE_PULSE_DIR"] = dir.path
            let r = try E2E.run("/bin/bash", [script, "start"], env: e)
            try #require(r.status == 0, "headless-pulse start: \(r.stderr)")
            for line in r.stdout.split(separator: "\n") where line.hasPrefix("export ") {
                let kv = line.dropFirst(7).split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { continue }
                let value = kv[1].replacingOccurrences(of: "\\ ", with: " ")
                switch kv[0] {
                case "PULSE_SERVER", "PULSE_COOKIE", "ALSA_CONFIG_PATH": env[kv[0]] = value
                case "SOMACUE_PULSE_FIFO": fifo = value
                default: break
                }
            }
        }

        func stop() {
            var e = ProcessInfo.processInfo.environment
            e["SOMACUE_PULSE_DIR"] = dir.path
            _ = try? E2E.run("/bin/bash", [script, "stop"], env: e)
        }

        deinit { stop() }
    }

    /// A daemon on `pulse` with `d`'s library, config and state (`d`'s own daemon is stopped),
    /// logging to `own-pulse.log`.
    static func launch(_ d: TestDaemon, _ pulse: PrivatePulse, journal: Bool = false) throws -> Process {
        d.stop()
        return try d.launch(log: "own-pulse.log", extra: pulse.env, journal: journal).0
    }

    func waitFor(_ c: ControlConnection, _ state: String, timeout: Double = 20) throws -> [String: Any] {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            let s = try c.data("status")
            if s["state"] as? String == state { return s }
            usleep(50_000)
        }
        throw POSIXError(.ETIMEDOUT)
    }

    /// The capture holds, after the resume sound, the render from `from` (past the 10 ms fade-in)
    /// for one second, frame for frame.
    func expectRenderFrom(_ from: Int, in captured: [Int16], _ expected: [Int16]) throws {
        let start = from + 480
        let at = try #require(find(expected[start..<(start + 4_800)], in: captured), "the render from the phase start is not in the capture")
        let n = 48_000
        try #require(captured.count >= at + n, "capture too short")
        if !captured[at..<(at + n)].elementsEqual(expected[start..<(start + n)]) {
            let i = zip(captured[at..<(at + n)], expected[start..<(start + n)]).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1
            Issue.record("capture differs from the render at frame \(i) after the resume")
        }
    }

    func run(paused: Bool) throws {
        let pulse = try PrivatePulse()
        let daemonTests = DaemonTests()
        let d = try TestDaemon()
        defer { d.stop() }
        let (expected, _, phaseStart) = try daemonTests.renderAndFirstRelease(d)
        let p = try Self.launch(d, pulse)
        defer { TestDaemon.end(p) }
        let c = try d.connect()
        _ = try c.data("start", ["session": "daemon-test"])
        _ = try daemonTests.waitUntil(c) { $0["state"] as? String == "playing" && daemonTests.elapsed($0) >= Double(phaseStart) / 48_000 + 0.4 }
        if paused { _ = try c.data("pause") }

        pulse.stop()
        let waiting = try waitFor(c, "waiting_for_device")
        let w = try #require(waiting["waiting"] as? [String: Any], "\(waiting)")
        #expect(w["then"] as? String == (paused ? "paused" : "playing") && w["since"] is String, "\(w)")
        #expect(daemonTests.isAt(waiting, frame: phaseStart), "waits at the phase start: \(waiting)")
        // Steering during the wait changes what happens when the device is back.
        let flipped = try c.data(paused ? "resume" : "pause")
        #expect(flipped["then"] as? String == (paused ? "playing" : "paused"), "\(flipped)")
        _ = try c.data(paused ? "pause" : "resume")
        #expect((try c.data("status")["waiting"] as? [String: Any])?["then"] as? String == (paused ? "paused" : "playing"))
        #expect(try c.request("next")["ok"] as? Bool == false)
        let human = try E2E.run(E2E.somacue, ["status"], env: d.env)
        #expect(human.stdout.hasPrefix("waiting_for_device  Daemon Test") && human.stdout.contains("The audio device is gone"), "\(human.stdout)")

        try pulse.start()
        let cap = try Pulse.Capture(fifo: pulse.fifo)
        var resumedFrom = phaseStart
        if paused {
            let back = try waitFor(c, "paused")
            #expect(back["waiting"] == nil && daemonTests.isAt(back, frame: phaseStart), "\(back)")
            let r = try c.data("resume")
            resumedFrom = try #require(r["frame"] as? Int)
        } else {
            _ = try waitFor(c, "playing")
        }
        #expect(resumedFrom <= phaseStart && resumedFrom > phaseStart - 48_000)
        usleep(4_000_000)
        _ = try c.data("stop")
        usleep(500_000)
        let captured = try cap.stop()
        try expectRenderFrom(resumedFrom, in: captured, expected)
    }

    /// Log hygiene, with stderr as journald sees it: every line has a priority, also the lines
    /// ALSA and PortAudio print when the sound server goes away; the session's course (started,
    /// paused, resumed, finished, stopped) is info (6), the lost device a warning (4).
    @Test func everyLogLineHasAPriorityAndTheRightLevel() throws {
        let pulse = try PrivatePulse()
        let d = try TestDaemon()
        defer { d.stop() }
        let p = try Self.launch(d, pulse, journal: true)
        defer { TestDaemon.end(p) }
        let c = try d.connect()
        _ = try c.data("start", ["session": "daemon-test"])
        _ = try waitFor(c, "playing")
        usleep(300_000)
        _ = try c.data("pause")
        _ = try c.data("resume")
        usleep(300_000)
        pulse.stop()
        _ = try waitFor(c, "waiting_for_device")
        try pulse.start()
        _ = try waitFor(c, "playing")
        // To the closing, then to the end.
        for _ in 0..<10 {
            if try c.request("next")["ok"] as? Bool != true { break }
        }
        _ = try waitFor(c, "idle", timeout: 60)
        _ = try c.data("start", ["session": "daemon-test"])
        _ = try waitFor(c, "playing")
        _ = try c.data("stop")
        TestDaemon.end(p)

        let text = try String(contentsOf: d.home.appendingPathComponent("own-pulse.log"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        let unprefixed = lines.filter { $0.range(of: #"^<[0-7]>"#, options: .regularExpression) == nil }
        #expect(unprefixed.isEmpty, "lines without a priority: \(unprefixed)")
        func level(of fragment: String) -> [String] {
            lines.filter { $0.contains(fragment) }.map { String($0.prefix(3)) }
        }
        for event in ["playing daemon-test", "paused daemon-test", "resumed daemon-test", "finished daemon-test", "stopped daemon-test"] {
            let levels = level(of: event)
            #expect(!levels.isEmpty && levels.allSatisfy { $0 == "<6>" }, "\(event): \(levels) in\n\(text)")
        }
        let lost = level(of: "stopped; waiting for it")
        #expect(lost == ["<4>"], "the lost device: \(lost) in\n\(text)")
        // The libraries' own lines about the lost server came through the relay, as warnings.
        let library = lines.filter { $0.contains("pa_linux_alsa.c") || $0.contains("ALSA lib") }
        #expect(!library.isEmpty && library.allSatisfy { $0.hasPrefix("<4>") }, "library lines: \(library) in\n\(text)")
    }

    @Test func aSoundServerRestartWhilePlayingResumesByItselfFromThePhaseStart() throws {
        try run(paused: false)
    }

    @Test func aSoundServerRestartWhilePausedStaysPausedAndResumeWorks() throws {
        try run(paused: true)
    }
}
