import Foundation
import Glibc
import Testing

/// Jumps always tell the listener where they are: the target exercise's title and position
/// instructions are planned into the timeline at the jump, and `stop --after-exercise` brings
/// the closing forward. Checked on the daemon's own cue events (frames in the timeline).
@Suite("Navigation", .serialized)
struct NavigationTests {
    /// Discards the events received so far (those of the position before a jump).
    func drain(_ events: ControlConnection) {
        var short = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(events.fd, SOL_SOCKET, SO_RCVTIMEO, &short, socklen_t(MemoryLayout<timeval>.size))
        while (try? events.readObject()) != nil {}
        var long = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(events.fd, SOL_SOCKET, SO_RCVTIMEO, &long, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Voice cues reported from `frame` on, in order, until `count` are seen or time runs out.
    func voiceCues(_ events: ControlConnection, from frame: Int, count: Int, timeout: Double = 30) throws -> [String] {
        var seen: [String] = []
        let end = Date().addingTimeInterval(timeout)
        while seen.count < count && Date() < end, let e = try events.readObject() {
            guard e["event"] as? String == "cue", e["kind"] as? String == "voice", (e["frame"] as? Int ?? -1) >= frame else { continue }
            seen.append(e["cue"] as? String ?? "?")
        }
        return seen
    }

    @Test func nextPrevAndGotoAnnounceTheExerciseAndStopAfterExerciseCloses() throws {
        _ = try #require(Pulse.shared, "headless PulseAudio could not be started")
        let d = try TestDaemon()
        defer { d.stop() }
        let c = try d.connect()
        let events = try ControlConnection(path: d.socket, timeout: 30)
        _ = try events.data("subscribe", ["events": ["cue"]])
        _ = try c.data("start", ["session": "daemon-test"])
        // `start` replies `loading`; jumps work once the session plays.
        _ = try DaemonTests().waitUntil(c) { $0["state"] as? String == "playing" }
        usleep(300_000)
        _ = try c.data("next")
        drain(events)
        let second = try c.data("next")
        #expect((second["exercise"] as? [String: Any])?["id"] as? String == "test-curl")
        let at = try #require(second["frame"] as? Int)
        #expect(try voiceCues(events, from: at, count: 2) == ["test-curl.title", "test-curl.position"])

        // prev within 5 s: back to the first exercise, announced the same way.
        drain(events)
        let back = try c.data("prev")
        #expect((back["exercise"] as? [String: Any])?["index"] as? Int == 1)
        #expect(try voiceCues(events, from: back["frame"] as! Int, count: 2) == ["test-lift.title", "test-lift.position"])

        // goto by id and by number.
        drain(events)
        let went = try c.data("goto", ["exercise": "test-curl"])
        #expect((went["exercise"] as? [String: Any])?["index"] as? Int == 2)
        #expect(try voiceCues(events, from: went["frame"] as! Int, count: 2) == ["test-curl.title", "test-curl.position"])
        let bad = try c.request("goto", ["exercise": 7])
        #expect((bad["error"] as? [String: Any])?["code"] as? String == "out_of_range")
        #expect(((bad["error"] as? [String: Any])?["message"] as? String ?? "").contains("1 to 2"))

        // stop --after-exercise: the closing follows this exercise; the session ends completed.
        let before = try c.data("status")
        drain(events)
        let ending = try c.data("stop", ["after_exercise": true])
        let duration = try #require(ending["duration"] as? Double)
        #expect(duration <= (before["session"] as? [String: Any])?["duration"] as? Double ?? 0)
        let closingAt = try #require(ending["closingAt"] as? Double)
        let closing = try voiceCues(events, from: Int(closingAt * 48_000), count: 1, timeout: 60)
        #expect(closing == ["daemon-test.closing"])
    }

    @Test func startAtAnExercise() throws {
        _ = try #require(Pulse.shared, "headless PulseAudio could not be started")
        let d = try TestDaemon()
        defer { d.stop() }
        let c = try d.connect()
        let events = try ControlConnection(path: d.socket, timeout: 30)
        _ = try events.data("subscribe", ["events": ["cue"]])
        let bad = try c.request("start", ["session": "daemon-test", "at": "no-such-exercise"])
        #expect((bad["error"] as? [String: Any])?["code"] as? String == "out_of_range")
        #expect(try c.data("status")["state"] as? String == "idle", "a bad --at starts nothing")
        let r = try E2E.run(E2E.somacue, ["start", "daemon-test", "--at", "2", "--socket", d.socket], env: d.env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try voiceCues(events, from: 0, count: 2) == ["test-curl.title", "test-curl.position"])
        #expect((try c.data("status")["exercise"] as? [String: Any])?["index"] as? Int == 2)
        let g = try E2E.run(E2E.somacue, ["goto", "test-lift", "--socket", d.socket], env: d.env)
        #expect(g.status == 0 && g.stdout.contains("Test Lift"), "\(g.stdout) \(g.stderr)")
        let s = try E2E.run(E2E.somacue, ["stop", "--after-exercise", "--socket", d.socket], env: d.env)
        #expect(s.status == 0 && s.stdout.contains("after this exercise"), "\(s.stdout) \(s.stderr)")
        _ = try c.data("stop")
    }

    /// All cue events (voice and tone) from `frame` on until one at or past `until` is seen.
    func cueEvents(_ events: ControlConnection, from frame: Int, until: Int, timeout: Double = 60) throws -> [(cue: String, frame: Int, voice: Bool)] {
        var seen: [(cue: String, frame: Int, voice: Bool)] = []
        let end = Date().addingTimeInterval(timeout)
        while Date() < end, let e = try events.readObject() {
            guard e["event"] as? String == "cue", let f = e["frame"] as? Int, f >= frame else { continue }
            seen.append((e["cue"] as? String ?? "?", f, e["kind"] as? String == "voice"))
            if f >= until { break }
        }
        return seen
    }

    @Test func whereSpeaksInTheNextQuietSpotWithoutMovingTheTimeline() throws {
        _ = try #require(Pulse.shared, "headless PulseAudio could not be started")
        let d = try TestDaemon()
        defer { d.stop() }
        // The plan, with every cue's frame and length.
        let tl = try E2E.run(E2E.somacue, ["timeline", "daemon-test", "--json"], env: d.env)
        let plan = try #require(try E2E.json(tl.stdout) as? [String: Any])
        let planned = try #require(plan["events"] as? [[String: Any]])
        let voices = planned.filter { $0["kind"] as? String == "voice" }
        let c = try d.connect()
        let events = try ControlConnection(path: d.socket, timeout: 30)
        _ = try events.data("subscribe", ["events": ["cue"]])
        _ = try c.data("start", ["session": "daemon-test"])
        var s = try c.data("status")
        for _ in 0..<200 where s["state"] as? String != "playing" { usleep(50_000); s = try c.data("status") }
        let duration = (s["session"] as? [String: Any])?["duration"] as? Double

        let reply = try c.data("where")
        let at = try #require(reply["frame"] as? Int)
        let end = try #require(reply["endFrame"] as? Int)
        let cues = try #require(reply["cues"] as? [String])
        // The first quiet spot is the rest after the first exercise: its title, then the time left.
        #expect(cues.first == "test-lift.title", "\(cues)")
        #expect((reply["exercise"] as? [String: Any])?["id"] as? String == "test-lift")
        #expect(cues.last?.hasPrefix("where-left-") == true, "\(cues)")
        #expect(end > at)
        // Never over a voice: every planned voice ends half a second before and starts half a
        // second after the report.
        let clear = 24_000
        for v in voices {
            let f = v["frame"] as! Int, n = v["frames"] as! Int
            #expect(f + n + clear <= at || f >= end + clear, "\(v["cue"] ?? "?") at \(f) overlaps the report \(at)..<\(end)")
        }
        // The daemon plays the report's cues there, and every planned cue keeps its frame.
        let heard = try cueEvents(events, from: 0, until: end + 48_000)
        let report = heard.filter { $0.voice && $0.frame >= at && $0.frame < end }
        #expect(report.map(\.cue) == cues, "\(heard)")
        #expect(report.first?.frame == at)
        let others = heard.filter { h in !report.contains { $0.cue == h.cue && $0.frame == h.frame } }
        for h in others {
            #expect(planned.contains { $0["cue"] as? String == h.cue && $0["frame"] as? Int == h.frame },
                    "\(h.cue) at \(h.frame) is not where the plan has it")
        }
        let after = try c.data("status")
        #expect((after["session"] as? [String: Any])?["duration"] as? Double == duration, "the session's length must not change")

        // A where while paused is planned from the pause frame and heard after resume.
        _ = try c.data("pause")
        let paused = try c.request("where")
        if let data = paused["data"] as? [String: Any] {
            #expect((data["frame"] as? Int ?? 0) >= end, "a second report comes after the first")
        } else {
            // No room left before the end is said, never squeezed over a voice.
            #expect((paused["error"] as? [String: Any])?["code"] as? String == "wrong_state", "\(paused)")
        }
        #expect(try c.data("status")["state"] as? String == "paused", "where does not resume")
        _ = try c.data("stop")
        // Idle: nothing to report.
        let idle = try c.request("where")
        #expect((idle["error"] as? [String: Any])?["code"] as? String == "wrong_state")
    }
}
