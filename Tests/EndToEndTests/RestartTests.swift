import Foundation
import Glibc
import Testing

/// `start` right after `stop` (issue 6, defect 3): the daemon said `idle` but refused a new
/// session with wrong_state for about 4 s, while the stop sound played out.
@Suite("Start after stop", .serialized)
struct RestartTests {
    @Test func startWorksAtOnceAfterStopReplies() throws {
        _ = try #require(Pulse.shared, "headless PulseAudio could not be started")
        let d = try TestDaemon()
        defer { d.stop() }
        let c = try ControlConnection(path: d.socket, timeout: 30)
        for round in 0..<3 {
            let started = try c.request("start", ["session": "daemon-test"])
            #expect(started["ok"] as? Bool == true, "round \(round): \(started)")
            let stopped = try c.data("stop")
            #expect(stopped["state"] as? String == "idle")
            #expect(try c.data("status")["state"] as? String == "idle")
        }
        // After the last stop, the stop sound plays out and the device closes as before.
        let restarted = try c.request("start", ["session": "daemon-test"])
        #expect(restarted["ok"] as? Bool == true, "\(restarted)")
        // `start` replies `loading`; the session plays once its cues are decoded.
        #expect(try DaemonTests().waitUntil(c) { $0["state"] as? String != "loading" }["state"] as? String == "playing")
        _ = try c.data("stop")
    }

    /// A session that is playing or paused still needs `replace`.
    @Test func playingSessionStillNeedsReplace() throws {
        _ = try #require(Pulse.shared, "headless PulseAudio could not be started")
        let d = try TestDaemon()
        defer { d.stop() }
        let c = try ControlConnection(path: d.socket, timeout: 30)
        _ = try c.data("start", ["session": "daemon-test"])
        // Loading counts as playing.
        let loading = try c.request("start", ["session": "daemon-test"])
        #expect((loading["error"] as? [String: Any])?["code"] as? String == "wrong_state", "\(loading)")
        _ = try DaemonTests().waitUntil(c) { $0["state"] as? String == "playing" }
        let again = try c.request("start", ["session": "daemon-test"])
        #expect((again["error"] as? [String: Any])?["code"] as? String == "wrong_state", "\(again)")
        _ = try c.data("pause")
        let paused = try c.request("start", ["session": "daemon-test"])
        #expect((paused["error"] as? [String: Any])?["code"] as? String == "wrong_state", "\(paused)")
        let replaced = try c.request("start", ["session": "daemon-test", "replace": true])
        #expect(replaced["ok"] as? Bool == true, "\(replaced)")
        // The paused one holds until the new one is ready to sound, which then plays from its start.
        let now = try DaemonTests().waitUntil(c) { $0["state"] as? String == "playing" }
        #expect(DaemonTests().elapsed(now) < 10 && now["pending"] == nil, "\(now)")
        _ = try c.data("stop")
    }
}
