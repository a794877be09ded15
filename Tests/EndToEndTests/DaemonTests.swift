import Foundation
import Glibc
import Testing

/// somacued as a daemon on a real socket, playing through a real-time sound server (headless
/// PulseAudio). Timing is checked in frames on the aligned capture of the sink, not in
/// wall-clock time.
@Suite("Daemon", .serialized)
struct DaemonTests {
    func requirePulse() throws -> Pulse {
        try #require(Pulse.shared, "headless PulseAudio could not be started (scripts/headless-pulse.sh; are pulseaudio and pactl installed? run scripts/deps.sh)")
    }

    /// The offline render of the test session (left channel) with the daemon's own environment.
    func render(_ d: TestDaemon, tempo: String = "1") throws -> [Int16] {
        let out = d.home.appendingPathComponent("render-\(tempo).wav")
        let r = try E2E.run(E2E.somacue, ["render", "daemon-test", "-o", out.path, "--tempo", tempo], env: d.env)
        try #require(r.status == 0, "render failed: \(r.stderr)")
        let s = try E2E.wavSamples(out).samples
        return stride(from: 0, to: s.count, by: 2).map { s[$0] }
    }

    func timeline(_ d: TestDaemon, tempo: String = "1") throws -> [String: Any] {
        let r = try E2E.run(E2E.somacue, ["timeline", "daemon-test", "--json", "--tempo", tempo], env: d.env)
        return try #require(try E2E.json(r.stdout) as? [String: Any])
    }

    func waitUntil(_ c: ControlConnection, timeout: Double = 60, _ done: ([String: Any]) -> Bool) throws -> [String: Any] {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            let s = try c.data("status")
            if done(s) { return s }
            usleep(50_000)
        }
        throw POSIXError(.ETIMEDOUT)
    }

    /// Starts the test session and waits until its cues are decoded (`loading` → `playing`).
    @discardableResult
    func startPlaying(_ c: ControlConnection, _ args: [String: Any] = ["session": "daemon-test"]) throws -> [String: Any] {
        let started = try c.data("start", args)
        #expect(["loading", "playing"].contains(started["state"] as? String ?? ""))
        _ = try waitUntil(c) { $0["state"] as? String == "playing" }
        return started
    }

    func elapsed(_ s: [String: Any]) -> Double { (s["session"] as? [String: Any])?["elapsed"] as? Double ?? -1 }
    /// Whether a status's `elapsed` (seconds, through JSON) names this 48 kHz frame: equal to within
    /// half a frame, since the decimal text of a Double need not round-trip the same division.
    func isAt(_ s: [String: Any], frame: Int) -> Bool { abs(elapsed(s) * 48_000 - Double(frame)) < 0.5 }

    /// Index in the capture of the render's first sample: the render's first 2,000 sounding
    /// samples are searched for in the capture (which may begin with the tail of an earlier test).
    func align(_ capture: [Int16], _ render: [Int16]) throws -> Int {
        let fr = try #require(render.firstIndex { $0 != 0 })
        let at = try #require(find(render[fr..<(fr + 2_000)], in: capture), "the session's start is not in the capture")
        return at - fr
    }

    /// What a difference at render frame `i` looks like, for the failure message. Silence there
    /// and then the render from `i` on: the sound server ran dry (an underrun: the daemon's
    /// threads or the server's sink thread did not run in time). The render from a later frame
    /// on: frames are missing from the capture (the pipe sink drops what its FIFO cannot take
    /// when the capture's reader falls behind).
    func gapNote(_ captured: [Int16], _ expected: [Int16], off: Int, at i: Int) -> String {
        guard i >= 0 else { return "" }
        var g = off + i
        while g < captured.count && captured[g] == 0 && g - (off + i) < 48_000 { g += 1 }
        let gap = g - (off + i)
        let n = min(2_000, expected.count - i, captured.count - g)
        guard n > 0 else { return "" }
        if gap > 0, captured[g..<(g + n)].elementsEqual(expected[i..<(i + n)]) {
            return " (\(gap) frames of silence there, then the render goes on from that frame: the sound server ran dry)"
        }
        let probe = captured[(off + i)..<(off + i + min(n, 480))]
        if let later = find(probe, in: expected, from: i + 1), later - i <= 48_000 {
            return " (the capture goes on with the render's frame \(later): \(later - i) frames are missing, dropped by the pipe sink when the capture's reader fell behind)"
        }
        return ""
    }

    @Test func playsExactlyTheRenderWhile64ClientsPollStatus() throws {
        let pulse = try requirePulse()
        // latency_ms 200 (the config's advice for busy machines): the shared 2-core virtual
        // machine this runs on has its CPUs taken away by the host for 20 to 30 ms out of 50
        // for seconds at a time, and then even real-time audio threads stall for over 100 ms;
        // at 50 ms the server's queue ran dry there (a gap, see gapNote). The check is the same:
        // every frame equal to the render.
        let d = try TestDaemon(extraConfig: "latency_ms = 200\n")  // into the [audio] table
        defer { d.stop() }
        let expected = try render(d)
        let cap = try Pulse.Capture(fifo: pulse.fifo)
        var clients = try (0..<64).map { _ in try d.connect() }
        let c = clients[0]
        #expect(c.greeting["somacue"] as? Int == 1)
        let started = try c.data("start", ["session": "daemon-test"])
        #expect(started["state"] as? String == "loading")
        var sawPlaying = false
        var lastElapsed = -1.0
        var advancing = 0
        let deadline = Date().addingTimeInterval(120)
        var finished = false
        while !finished && Date() < deadline {
            for client in clients {
                let s = try client.data("status")
                if s["state"] as? String == "playing" {
                    sawPlaying = true
                    let e = elapsed(s)
                    if e > lastElapsed { advancing += 1 }
                    lastElapsed = e
                    #expect(s["clients"] as? Int == 64)
                } else if s["state"] as? String == "idle" && sawPlaying {
                    finished = true
                    break
                }
            }
            usleep(100_000)
        }
        #expect(finished, "the session never finished")
        #expect(sawPlaying && advancing > 10)
        usleep(1_500_000)  // the queued audio (up to 0.6 s at latency_ms 200) plays out
        let captured = try cap.stop()
        clients.removeAll()
        let off = try align(captured, expected)
        try #require(off >= 0 && captured.count >= off + expected.count, "capture too short: \(captured.count) < \(off + expected.count)")
        let got = captured[off..<(off + expected.count)]
        if !got.elementsEqual(expected) {
            let i = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1
            Issue.record("capture differs from the render at frame \(i) of \(expected.count)\(gapNote(captured, expected, off: off, at: i))")
        }
        // Idle again: no stream left on the sound server.
        let inputs = try E2E.run("/usr/bin/pactl", ["list", "short", "sink-inputs"], env: E2E.cleanEnvironment(pulse.env))
        #expect(inputs.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "a stream is still open: \(inputs.stdout)")
    }

    @Test func pauseIsSilentWithin960FramesAndResumeReplaysTheCutCue() throws {
        let pulse = try requirePulse()
        let d = try TestDaemon()
        defer { d.stop() }
        let expected = try render(d)
        let t = try timeline(d)
        let events = try #require(t["events"] as? [[String: Any]])
        // Pause in the middle of the first release instruction.
        let cue = try #require(events.first { ($0["cue"] as? String) == "test-lift.release" })
        let onset = cue["frame"] as! Int
        let length = cue["frames"] as! Int
        let cap = try Pulse.Capture(fifo: pulse.fifo)
        let c = try d.connect()
        try startPlaying(c)
        let target = Double(onset + length / 2) / 48_000
        _ = try waitUntil(c) { elapsed($0) >= target }
        let p = try c.data("pause")
        let frame = try #require(p["frame"] as? Int)
        let out0 = try #require(p["outputFrame"] as? Int)
        let silent = try #require(p["silentAtOutputFrame"] as? Int)
        #expect(silent - out0 <= 960, "silence \(silent - out0) frames after the first callback")
        #expect(frame > onset && frame < onset + length, "paused at \(frame), outside the cue \(onset)..<\(onset + length)")
        let a = elapsed(try c.data("status"))
        usleep(400_000)
        let s2 = try c.data("status")
        #expect(s2["state"] as? String == "paused")
        #expect(elapsed(s2) == a, "elapsed must freeze while paused")
        #expect(try c.request("pause")["ok"] as? Bool == false)
        let r = try c.data("resume")
        #expect(r["frame"] as? Int == onset, "resume must replay the cut cue from its onset")
        usleep(2_500_000)
        _ = try c.data("stop")
        usleep(1_500_000)
        let captured = try cap.stop()
        let off = try align(captured, expected)
        // Until the pause, the device played the render exactly.
        #expect(captured[off..<(off + out0)].elementsEqual(expected[0..<out0]))
        // Between the first callback after the command and the fade's end, a fade: never louder
        // than the session, and down to (almost) nothing at its end.
        for i in out0..<silent {
            #expect(abs(Int(captured[off + i])) <= abs(Int(expected[i])) + 1, "louder than the session during the fade at \(i)")
        }
        #expect(abs(Int(captured[off + silent - 1])) <= abs(Int(expected[silent - 1])) / 100 + 2, "the fade does not reach silence")
        // After the resume sound, the render continues from the cue's onset (past the fade-in).
        let probe = expected[(onset + 480)..<(onset + 480 + 4_800)]
        #expect(find(probe, in: captured, from: off + silent) != nil, "the replayed cue is not in the capture")
    }

    @Test func tempoChangeAppliesAtTheNextPhase() throws {
        let pulse = try requirePulse()
        let d = try TestDaemon()
        defer { d.stop() }
        let normal = try timeline(d)
        let slow = try timeline(d, tempo: "0.5")
        let slowRender = try render(d, tempo: "0.5")
        let expected = try render(d)
        let segs = try #require(normal["segments"] as? [[String: Any]])
        let slowSegs = try #require(slow["segments"] as? [[String: Any]])
        let firstContract = try #require(segs.first { $0["phase"] as? String == "contract" })
        let cap = try Pulse.Capture(fifo: pulse.fifo)
        let c = try d.connect()
        try startPlaying(c)
        _ = try waitUntil(c) { elapsed($0) >= Double(firstContract["frame"] as! Int) / 48_000 + 0.1 }
        let r = try c.data("tempo", ["value": 0.5])
        let boundary = try #require(r["fromFrame"] as? Int)
        let k = try #require(segs.firstIndex { $0["frame"] as? Int == boundary }, "the change must start at a phase boundary")
        let s = try c.data("status")
        #expect(s["tempo"] as? Double == 0.5)
        let newDuration = (s["session"] as? [String: Any])?["duration"] as? Double ?? 0
        #expect(newDuration > Double(normal["frames"] as! Int) / 48_000, "duration is recomputed after a tempo change")
        _ = try waitUntil(c) { elapsed($0) >= Double(boundary) / 48_000 + 1.5 }
        _ = try c.data("stop")
        usleep(1_000_000)
        let captured = try cap.stop()
        let off = try align(captured, expected)
        #expect(captured[off..<(off + boundary)].elementsEqual(expected[0..<boundary]), "before the boundary: the old tempo")
        let slowStart = slowSegs[k]["frame"] as! Int
        let n = 48_000
        #expect(captured[(off + boundary)..<(off + boundary + n)].elementsEqual(slowRender[slowStart..<(slowStart + n)]),
                "after the boundary: the session at the new tempo")
        #expect(try c.request("tempo", ["value": 3])["ok"] as? Bool == false)
    }

    @Test func nextPrevAndStop() throws {
        let pulse = try requirePulse()
        // The guide off: a jump plans the exercise's announcement in, and the guide ducks under
        // it where the plain render has none; the probes compare the landing frames only.
        let d = try TestDaemon(extraConfig: "\n[guide]\nenabled = false\n")
        defer { d.stop() }
        let expected = try render(d)
        let t = try timeline(d)
        let segs = try #require(t["segments"] as? [[String: Any]])
        let starts = segs.filter { $0["phase"] as? String == "position" }.map { $0["frame"] as! Int }
        try #require(starts.count == 2)
        let closing = segs.first { $0["phase"] as? String == "closing" }!["frame"] as! Int
        let cap = try Pulse.Capture(fifo: pulse.fifo)
        let c = try d.connect()
        try startPlaying(c)
        usleep(500_000)
        #expect(try c.data("next")["frame"] as? Int == starts[0])
        usleep(1_000_000)
        let n2 = try c.data("next")
        #expect(n2["frame"] as? Int == starts[1])
        #expect((n2["exercise"] as? [String: Any])?["index"] as? Int == 2)
        usleep(1_000_000)
        // Within 5 s of the exercise's start, prev goes back one exercise.
        #expect(try c.data("prev")["frame"] as? Int == starts[0])
        usleep(6_000_000)
        // Later than 5 s into it, prev restarts the exercise.
        #expect(try c.data("prev")["frame"] as? Int == starts[0])
        usleep(300_000)
        _ = try c.data("next")
        // Exercise 2 was announced again on arrival (its title and position now open its
        // position phase), so the rest of the session, the closing too, moved later.
        let toClosing = try #require(try c.data("next")["frame"] as? Int)
        #expect(toClosing > closing && toClosing - closing < 48_000 * 10, "closing at \(toClosing), \(closing) before the announcement")
        usleep(200_000)
        let wrong = try c.request("next")
        #expect((wrong["error"] as? [String: Any])?["code"] as? String == "wrong_state")
        let stopped = try c.data("stop")
        #expect(stopped["state"] as? String == "idle")
        #expect(try c.data("status")["state"] as? String == "idle")
        #expect((try c.request("stop")["error"] as? [String: Any])?["code"] as? String == "wrong_state")
        usleep(1_500_000)
        let captured = try cap.stop()
        let off = try align(captured, expected)
        for frame in [starts[0], starts[1], closing] {
            let probe = expected[(frame + 960)..<(frame + 960 + 2_400)]
            #expect(find(probe, in: captured, from: off) != nil, "no audio from frame \(frame) after a skip")
        }
    }

    /// A copy of the test voice named `name`, with `files` (name → file in the copy) put in place
    /// of the cues the closure picks (by cue id, in manifest order).
    func voiceCopy(_ d: TestDaemon, _ name: String, _ pick: (String) -> String?) throws -> URL {
        let voices = URL(fileURLWithPath: d.env["XDG_CONFIG_HOME"]!).appendingPathComponent("somacue/voices")
        let copy = voices.appendingPathComponent(name)
        try FileManager.default.copyItem(at: voices.appendingPathComponent("test"), to: copy)
        let manifest = copy.appendingPathComponent("manifest.toml")
        var lines = try String(contentsOf: manifest, encoding: .utf8).components(separatedBy: "\n")
        var file: String?
        for (k, line) in lines.enumerated() {
            if line.hasPrefix("id = \""), let id = line.split(separator: "\"").dropFirst().first { file = pick(String(id)) }
            if line.hasPrefix("file = "), let f = file {
                lines[k] = "file = \"\(f)\""
                file = nil
            }
        }
        try lines.joined(separator: "\n").write(to: manifest, atomically: true, encoding: .utf8)
        return copy
    }

    /// Issue 6, defect 7: a valid one-hour cue file kept the daemon from answering for 28 s while
    /// it decoded. A cue is at most 10 minutes now (issue 6, defect 2), so a one-hour file is
    /// refused at once by its header; an hour of cue audio in six files loads after `start` has
    /// replied `loading`, the daemon answers throughout, and `stop` cancels the loading.
    @Test func anHourOfCueAudioLoadsWhileTheDaemonAnswersAndStopCancelsIt() throws {
        _ = try requirePulse()
        let d = try TestDaemon()
        let voices = URL(fileURLWithPath: d.env["XDG_CONFIG_HOME"]!).appendingPathComponent("somacue/voices")
        defer {
            d.stop()
            // Hundreds of megabytes of audio and decoded cues: gone with the test.
            for big in [voices.appendingPathComponent("hour"), voices.appendingPathComponent("long"),
                        d.home.appendingPathComponent(".cache/somacue/decoded")] {
                try? FileManager.default.removeItem(at: big)
            }
        }
        let c = try d.connect()

        // One file of an hour: refused by `start` itself, naming the file and the limit.
        let hour = try voiceCopy(d, "hour") { $0 == "daemon-test.opening" ? "hour.flac" : nil }
        let madeHour = try E2E.run("/usr/bin/sox", ["-D", "-n", "-r", "8000", "-c", "1", hour.appendingPathComponent("hour.flac").path,
                                                    "synth", "3600", "sine", "440", "vol", "0.1"])
        try #require(madeHour.status == 0, "\(madeHour.stderr)")
        let refused = try c.request("start", ["session": "daemon-test", "voice": "hour"])
        let refusal = refused["error"] as? [String: Any]
        let why = refusal?["message"] as? String ?? ""
        #expect(refusal?["code"] as? String == "invalid_session", "\(refused)")
        #expect(why.contains("hour.flac") && why.contains("the limit is 600 s"), "\(refused)")
        #expect(try c.data("status")["state"] as? String == "idle")

        // Six files of 590 s at 44.1 kHz (decoded and resampled: many seconds of work).
        var n = 0
        let long = try voiceCopy(d, "long") { id in
            guard n < 6, id.hasPrefix("daemon-test.") || id.hasPrefix("test-lift.") else { return nil }
            n += 1
            return "long\(n).flac"
        }
        try #require(n == 6)
        let first = long.appendingPathComponent("long1.flac")
        let made = try E2E.run("/usr/bin/sox", ["-D", "-n", "-r", "44100", "-c", "1", first.path, "synth", "590", "sine", "440", "vol", "0.1"])
        try #require(made.status == 0, "\(made.stderr)")
        for k in [2, 3, 4, 5, 6] { try FileManager.default.copyItem(at: first, to: long.appendingPathComponent("long\(k).flac")) }

        // A short read timeout: the loop below ends when no event has come for 3 s.
        let events = try ControlConnection(path: d.socket, timeout: 3)
        _ = try events.data("subscribe", ["events": ["state", "finished"]])
        let started = try c.data("start", ["session": "daemon-test", "voice": "long"])
        // The reply comes before the cues are decoded: the session is still loading after it.
        #expect(started["state"] as? String == "loading")
        #expect(((started["session"] as? [String: Any])?["duration"] as? Double ?? 0) > 3540)
        for _ in 0..<3 {
            let s = try c.data("status")
            #expect(s["state"] as? String == "loading", "\(s)")
            #expect((s["session"] as? [String: Any])?["id"] as? String == "daemon-test")
            #expect(try d.connect().data("ping").isEmpty)
            usleep(100_000)
        }
        // The phase it is in is saved as soon as it starts.
        let stateFile = d.home.appendingPathComponent("state/somacue/state.json")
        for _ in 0..<40 where !FileManager.default.fileExists(atPath: stateFile.path) { usleep(50_000) }
        #expect(FileManager.default.fileExists(atPath: stateFile.path))
        let stopped = try c.data("stop")
        #expect(stopped["state"] as? String == "idle")
        #expect(try c.data("status")["state"] as? String == "idle")
        // Cancelled: it never plays, the saved state is gone, and the history says stopped.
        var states: [String] = []
        var finished: [String: Any]?
        let end = Date().addingTimeInterval(10)
        while Date() < end, let e = try? events.readObject() {
            if e["event"] as? String == "state" { states.append(e["state"] as? String ?? "") }
            if e["event"] as? String == "finished" { finished = e }
        }
        #expect(states == ["loading", "idle"], "\(states)")
        #expect(finished?["reason"] as? String == "stopped", "\(finished ?? [:])")
        #expect(!FileManager.default.fileExists(atPath: stateFile.path))
        let history = try String(contentsOf: d.home.appendingPathComponent("state/somacue/history.jsonl"), encoding: .utf8)
        #expect(history.contains("\"session\":\"daemon-test\"") && history.contains("\"outcome\":\"stopped\""), "\(history)")
        #expect(try String(contentsOf: d.log, encoding: .utf8).contains("stopped daemon-test while loading"))
        // The next start loads and plays as usual.
        try startPlaying(c)
        _ = try c.data("stop")
    }

    /// Issue 10: `start X --replace` plans X and checks its cues before it touches the session
    /// that plays, and decodes X while that one goes on; an X that cannot start (unknown, bad
    /// voice, out of range, or a cue that fails to decode after the reply) leaves that session
    /// playing, and the error says so. The capture shows the session never stopped: it is the
    /// render, frame for frame.
    @Test func aBadReplaceLeavesThePlayingSessionUntouched() throws {
        let pulse = try requirePulse()
        let d = try TestDaemon()
        defer { d.stop() }
        let expected = try render(d)
        let cap = try Pulse.Capture(fifo: pulse.fifo)
        let c = try d.connect()
        try startPlaying(c)
        _ = try waitUntil(c) { elapsed($0) >= 1 }
        let unknown = try c.request("start", ["session": "no-such-session", "replace": true])
        let refusal = unknown["error"] as? [String: Any]
        #expect(refusal?["code"] as? String == "no_such_session", "\(unknown)")
        #expect((refusal?["message"] as? String ?? "").hasSuffix("Nothing was replaced: Daemon Test is still playing."), "\(unknown)")
        let badVoice = try c.request("start", ["session": "daemon-test", "voice": "no-such-voice", "replace": true])
        #expect((badVoice["error"] as? [String: Any])?["code"] as? String == "no_such_voice", "\(badVoice)")
        let badTempo = try c.request("start", ["session": "daemon-test", "fit": "10h", "replace": true])
        #expect((badTempo["error"] as? [String: Any])?["code"] as? String == "out_of_range", "\(badTempo)")
        // Its first cue fails only when decoded: the reply comes first, then an error event,
        // and the session that plays is never touched (no state change at all).
        let broken = try voiceCopy(d, "broken") { $0 == "daemon-test.opening" ? "cut.flac" : nil }
        let whole = broken.appendingPathComponent("whole.flac")
        let made = try E2E.run("/usr/bin/sox", ["-D", "-n", "-r", "48000", "-c", "1", whole.path, "synth", "10", "whitenoise", "vol", "0.3"])
        try #require(made.status == 0, "\(made.stderr)")
        let bytes = try Data(contentsOf: whole)
        try bytes.prefix(bytes.count / 3).write(to: broken.appendingPathComponent("cut.flac"))
        let events = try ControlConnection(path: d.socket, timeout: 30)
        _ = try events.data("subscribe", ["events": ["error", "state"]])
        let late = try c.data("start", ["session": "daemon-test", "voice": "broken", "replace": true])
        #expect(late["state"] as? String == "playing" && late["replacing"] as? String == "Daemon Test", "\(late)")
        var error: [String: Any]?
        var states: [String] = []
        while error == nil, let e = try events.readObject() {
            if e["event"] as? String == "error" { error = e }
            if e["event"] as? String == "state" { states.append(e["state"] as? String ?? "") }
        }
        let said = error?["message"] as? String ?? ""
        #expect(error?["code"] as? String == "invalid_session" && said.contains("cut.flac"), "\(error ?? [:])")
        #expect(said.hasSuffix("Nothing was replaced: Daemon Test is still playing."), "\(said)")
        #expect(states.isEmpty, "\(states)")
        let s = try c.data("status")
        #expect(s["state"] as? String == "playing" && (s["session"] as? [String: Any])?["id"] as? String == "daemon-test", "\(s)")
        #expect(s["voice"] as? String == "test" && s["pending"] == nil, "\(s)")
        let at = elapsed(s)
        let last = try waitUntil(c) { elapsed($0) >= at + 1.5 }
        _ = try c.data("stop")
        usleep(1_500_000)
        let captured = try cap.stop()
        let off = try align(captured, expected)
        // Before, during and after the refused requests: the render, without a gap.
        let n = Int(elapsed(last) * 48_000) - 4_800
        try #require(n > 48_000 && captured.count >= off + n)
        #expect(captured[off..<(off + n)].elementsEqual(expected[0..<n]), "the session did not play on untouched")
    }

    /// Issue 10: a good `start --replace` lets the session there play on, untouched, until the
    /// new one is ready to sound; then the old one fades out inside the new one's silent pre-roll,
    /// so the silence between them is no longer than that pre-roll, and the new one plays its
    /// render from its first sample. The old one is in the history as stopped.
    @Test func aGoodReplaceSwapsWithNoGapLongerThanThePreroll() throws {
        let pulse = try requirePulse()
        let d = try TestDaemon()
        defer { d.stop() }
        let expected = try render(d)
        // The same audio under another name, so the status tells the two apart.
        _ = try voiceCopy(d, "other") { _ in nil }
        let cap = try Pulse.Capture(fifo: pulse.fifo)
        // The capture is stopped whatever happens (its reader would outlive the test).
        var replacedAt: Result<Double, Error> = .success(0)
        do {
            let c = try d.connect()
            try startPlaying(c)
            let before = try waitUntil(c) { elapsed($0) >= 2 }
            let events = try ControlConnection(path: d.socket, timeout: 30)
            _ = try events.data("subscribe", ["events": ["state"]])
            let replaced = try c.data("start", ["session": "daemon-test", "voice": "other", "replace": true])
            #expect(replaced["state"] as? String == "playing" && replaced["replacing"] as? String == "Daemon Test", "\(replaced)")
            #expect((replaced["session"] as? [String: Any])?["id"] as? String == "daemon-test", "\(replaced)")
            var states: [String] = []
            while !states.contains("playing"), let e = try events.readObject() {
                if e["event"] as? String == "state" { states.append(e["state"] as? String ?? "") }
            }
            #expect(states == ["loading", "playing"], "\(states)")
            let now = try c.data("status")
            #expect(now["voice"] as? String == "other" && now["pending"] == nil && elapsed(now) < elapsed(before) + 1, "\(now)")
            _ = try waitUntil(c) { elapsed($0) >= 3 }
            _ = try c.data("stop")
            replacedAt = .success(elapsed(before))
        } catch { replacedAt = .failure(error) }
        usleep(1_500_000)
        let captured = try cap.stop()
        let off = try align(captured, expected)
        // The old session up to the replace: the render, untouched.
        let n = Int(try replacedAt.get() * 48_000)
        try #require(off >= 0 && captured.count >= off + n)
        #expect(captured[off..<(off + n)].elementsEqual(expected[0..<n]), "the session did not play on untouched until the replace")
        // The new one from its first sound: the render again, for two seconds.
        let fr = try #require(expected.firstIndex { $0 != 0 })
        let at = try #require(find(expected[fr..<(fr + 2_000)], in: captured, from: off + n), "the new session's start is not in the capture")
        try #require(captured.count >= at + 96_000)
        #expect(captured[at..<(at + 96_000)].elementsEqual(expected[fr..<(fr + 96_000)]), "the new session does not play its render")
        // The silence between the two is no longer than the new one's pre-roll (the render's
        // leading silence).
        var last = at - 1
        while last > off && captured[last] == 0 { last -= 1 }
        #expect(at - last - 1 <= fr, "a gap of \(at - last - 1) frames, longer than the pre-roll of \(fr)")
        let history = try String(contentsOf: d.home.appendingPathComponent("state/somacue/history.jsonl"), encoding: .utf8)
        let lines = history.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].contains("\"voice\":\"test\"") && lines[0].contains("\"outcome\":\"stopped\""), "\(history)")
        #expect(d.logText.contains("(replaced by daemon-test)"), "\(d.logText)")
    }

    /// `stop` while a replacement decodes means silence: the session there stops and the pending
    /// one is dropped (it never starts later); `status` showed it pending until then.
    @Test func stopDuringAPendingReplaceStopsBoth() throws {
        _ = try requirePulse()
        let d = try TestDaemon()
        let voices = URL(fileURLWithPath: d.env["XDG_CONFIG_HOME"]!).appendingPathComponent("somacue/voices")
        defer {
            d.stop()
            try? FileManager.default.removeItem(at: voices.appendingPathComponent("slow"))
            try? FileManager.default.removeItem(at: d.home.appendingPathComponent(".cache/somacue/decoded"))
        }
        // Its opening is 590 s at 44.1 kHz: seconds of decoding and resampling before it can sound.
        let slow = try voiceCopy(d, "slow") { $0 == "daemon-test.opening" ? "long.flac" : nil }
        let made = try E2E.run("/usr/bin/sox", ["-D", "-n", "-r", "44100", "-c", "1", slow.appendingPathComponent("long.flac").path,
                                                "synth", "590", "sine", "440", "vol", "0.1"])
        try #require(made.status == 0, "\(made.stderr)")
        let c = try d.connect()
        try startPlaying(c)
        let replaced = try c.data("start", ["session": "daemon-test", "voice": "slow", "replace": true])
        #expect(replaced["replacing"] as? String == "Daemon Test", "\(replaced)")
        let s = try c.data("status")
        let pending = s["pending"] as? [String: Any]
        #expect(s["state"] as? String == "playing" && s["voice"] as? String == "test", "\(s)")
        #expect(pending?["id"] as? String == "daemon-test" && pending?["voice"] as? String == "slow", "\(s)")
        let stopped = try c.data("stop")
        #expect(stopped["state"] as? String == "idle", "\(stopped)")
        // Long enough for the slow opening to have decoded: nothing starts.
        for _ in 0..<8 {
            let idle = try c.data("status")
            #expect(idle["state"] as? String == "idle" && idle["pending"] == nil, "\(idle)")
            usleep(500_000)
        }
        #expect(d.logText.contains("dropped the start of daemon-test (stop)"), "\(d.logText)")
    }

    /// Cues whose manifest stores no loudness (`lufs`) are measured by the decoder threads, not
    /// on the control thread: `start` replies `loading` at once and the kernel waits for a table
    /// with the measured gains, so the capture is still the render (which measures them too),
    /// frame for frame; a placeholder gain played anywhere would differ.
    @Test func cuesWithoutStoredLoudnessAreMeasuredOffTheControlThread() throws {
        let pulse = try requirePulse()
        let d = try TestDaemon()
        defer { d.stop() }
        let copy = try voiceCopy(d, "unmeasured") { _ in nil }
        let manifest = copy.appendingPathComponent("manifest.toml")
        let text = try String(contentsOf: manifest, encoding: .utf8)
        try #require(text.contains("lufs = "), "the test voice stores its loudness")
        try text.components(separatedBy: "\n").filter { !$0.hasPrefix("lufs = ") }.joined(separator: "\n")
            .write(to: manifest, atomically: true, encoding: .utf8)
        let out = d.home.appendingPathComponent("render-unmeasured.wav")
        let r = try E2E.run(E2E.somacue, ["render", "daemon-test", "--voice", "unmeasured", "-o", out.path], env: d.env)
        try #require(r.status == 0, "render failed: \(r.stderr)")
        let s = try E2E.wavSamples(out).samples
        let expected = stride(from: 0, to: s.count, by: 2).map { s[$0] }
        let cap = try Pulse.Capture(fifo: pulse.fifo)
        // The capture is stopped whatever happens (its reader would outlive the test).
        // The first 20 s hold several cues of the voice (the opening, the first exercise's title
        // and position); every cue is decoded and measured well before then, so no later table
        // swap is left to check.
        var played: Result<[String: Any], Error> = .success([:])
        do {
            let c = try d.connect()
            let started = try c.data("start", ["session": "daemon-test", "voice": "unmeasured"])
            #expect(started["state"] as? String == "loading", "\(started)")
            _ = try waitUntil(c) { $0["state"] as? String == "playing" }
            played = .success(try waitUntil(c) { elapsed($0) >= 20 })
            _ = try c.data("stop")
        } catch { played = .failure(error) }
        usleep(1_000_000)
        let captured = try cap.stop()
        let last = try played.get()
        let off = try align(captured, expected)
        let n = Int(elapsed(last) * 48_000) - 4_800
        try #require(off >= 0 && captured.count >= off + n, "capture too short: \(captured.count) < \(off + n)")
        let got = captured[off..<(off + n)]
        if !got.elementsEqual(expected[0..<n]) {
            let i = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1
            Issue.record("capture differs from the render at frame \(i) of \(n)")
        }
    }

    /// A decoding failure found after `start` replied ends the session with an `error` event.
    @Test func aCueThatFailsToDecodeEndsTheSessionWithAnError() throws {
        _ = try requirePulse()
        let d = try TestDaemon()
        defer { d.stop() }
        let voices = URL(fileURLWithPath: d.env["XDG_CONFIG_HOME"]!).appendingPathComponent("somacue/voices")
        let broken = voices.appendingPathComponent("broken")
        try FileManager.default.copyItem(at: voices.appendingPathComponent("test"), to: broken)
        // A FLAC whose header promises ten seconds but whose audio is cut after a few hundred
        // bytes: the header check passes, decoding fails.
        let whole = broken.appendingPathComponent("whole.flac")
        let made = try E2E.run("/usr/bin/sox", ["-D", "-n", "-r", "48000", "-c", "1", whole.path, "synth", "10", "whitenoise", "vol", "0.3"])
        try #require(made.status == 0, "\(made.stderr)")
        let bytes = try Data(contentsOf: whole)
        try bytes.prefix(bytes.count / 3).write(to: broken.appendingPathComponent("cut.flac"))
        let manifest = broken.appendingPathComponent("manifest.toml")
        var lines = try String(contentsOf: manifest, encoding: .utf8).components(separatedBy: "\n")
        let at = try #require(lines.firstIndex(of: "id = \"daemon-test.closing\""))
        let file = try #require(lines[at...].firstIndex { $0.hasPrefix("file = ") })
        lines[file] = "file = \"cut.flac\""
        try lines.joined(separator: "\n").write(to: manifest, atomically: true, encoding: .utf8)

        let events = try ControlConnection(path: d.socket, timeout: 30)
        _ = try events.data("subscribe", ["events": ["error", "finished", "state"]])
        let c = try d.connect()
        let started = try c.data("start", ["session": "daemon-test", "voice": "broken"])
        #expect(started["state"] as? String == "loading")
        var error: [String: Any]?
        var finished: [String: Any]?
        let end = Date().addingTimeInterval(30)
        while finished == nil && Date() < end, let e = try events.readObject() {
            if e["event"] as? String == "error" { error = e }
            if e["event"] as? String == "finished" { finished = e }
        }
        #expect(error?["code"] as? String == "invalid_session")
        let message = error?["message"] as? String ?? ""
        #expect(message.contains("cut.flac"), "\(message)")
        #expect(finished?["reason"] as? String == "error")
        #expect(try c.data("status")["state"] as? String == "idle")
        // The session is over: nothing is left to restore.
        usleep(300_000)
        #expect(!FileManager.default.fileExists(atPath: d.home.appendingPathComponent("state/somacue/state.json").path))
    }

    @Test func aSubscriberThatNeverReadsIsDroppedWhileOthersGoOn() throws {
        _ = try requirePulse()
        let d = try TestDaemon(extraConfig: "\n[daemon]\nmax_event_queue_bytes = 512\n")
        defer { d.stop() }
        let slow = try d.connect()
        _ = try slow.data("subscribe")
        // Integration rests are long: wait up to 30 s for the next event.
        let reader = try ControlConnection(path: d.socket, timeout: 30)
        _ = try reader.data("subscribe", ["events": ["phase", "state", "finished"]])
        let c = try d.connect()
        try startPlaying(c)
        // The reader keeps up: it sees phases until the end.
        var phases = 0
        var finished = false
        let end = Date().addingTimeInterval(90)
        while !finished && Date() < end, let e = try reader.readObject() {
            if e["event"] as? String == "phase" { phases += 1 }
            if e["event"] as? String == "finished" { finished = true }
            #expect(e["event"] as? String != "cue", "the filter must hold")
        }
        #expect(finished && phases > 5)
        // The one that never read was cut off: its stream ends early.
        var total = 0
        while let _ = try slow.readObject() { total += 1 }
        #expect(total < phases * 3, "the non-reading subscriber was not dropped")
        #expect(d.logText.contains("dropped"), "\(d.logText)")
        // The daemon is unharmed (the starting connection itself has been idle too long by now).
        #expect(try d.connect().data("ping").isEmpty)
    }

    @Test func socketPermissionsSecondDaemonAndUidCheck() throws {
        _ = try requirePulse()
        let d = try TestDaemon()
        defer { d.stop() }
        var st = stat()
        stat(d.runtime.appendingPathComponent("somacue").path, &st)
        #expect(st.st_mode & 0o777 == 0o700)
        stat(d.socket, &st)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(st.st_mode & S_IFMT == S_IFSOCK)
        // A second daemon on the same socket refuses to start and leaves the first one alone.
        let second = try E2E.run(E2E.somacued, ["serve"], env: d.env)
        #expect(second.status == 75, "\(second.stderr)")
        #expect(second.stderr.contains("already running"))
        #expect(try d.connect().data("ping").isEmpty)
        // A test-only socket with opened-up modes (directory 0711, socket 0666), in a folder
        // every user can traverse, so only the daemon's SO_PEERCRED check can refuse another user.
        let base = "/tmp/somacue-uid-\(UUID().uuidString)"
        mkdir(base, 0o711)
        chmod(base, 0o711)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let open = try TestDaemon(socketPath: base + "/sock/socket")
        defer { open.stop() }
        chmod(base + "/sock", 0o711)
        chmod(open.socket, 0o666)
        let script = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.settimeout(3)\ns.connect(sys.argv[1])\nd=s.recv(4096)\nprint('GOT' if d else 'CLOSED')"
        let other = try E2E.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script, open.socket])
        #expect(other.stdout.contains("CLOSED"), "another user was served: \(other.stdout) \(other.stderr)")
        #expect(try open.connect().data("ping").isEmpty, "the owner is still served on the opened-up socket")
        #expect(try d.connect().data("ping").isEmpty, "the owner is still served")
    }

    @Test func badReloadKeepsTheOldConfigAndSigtermExitsCleanly() throws {
        _ = try requirePulse()
        let d = try TestDaemon()
        let c = try d.connect()
        let before = try c.data("status")
        let cfg = URL(fileURLWithPath: d.env["XDG_CONFIG_HOME"]!).appendingPathComponent("somacue/config.toml")
        let good = try String(contentsOf: cfg, encoding: .utf8)
        try "[session]\ntempo = \"fast\"\n".write(to: cfg, atomically: true, encoding: .utf8)
        let r = try c.request("reload")
        let err = try #require(r["error"] as? [String: Any])
        #expect(err["code"] as? String == "reload_failed")
        let diags = try #require(err["diagnostics"] as? [String])
        #expect(diags.contains { $0.contains("config.toml:2:9") && $0.contains("session.tempo") })
        #expect(try c.data("status")["voice"] as? String == before["voice"] as? String)
        // SIGHUP takes the same path and logs the diagnostics.
        kill(d.process.processIdentifier, SIGHUP)
        usleep(300_000)
        #expect(d.logText.contains("session.tempo"))
        try good.replacingOccurrences(of: "preroll_ms = 300", with: "preroll_ms = 300\n[volume]\ntone = 0.4")
            .write(to: cfg, atomically: true, encoding: .utf8)
        #expect(try c.request("reload")["ok"] as? Bool == true)
        let v = try c.data("status")["volume"] as? [String: Any]
        #expect(v?["tone"] as? Double == 0.4)
        let t0 = Date()
        d.process.terminate()
        d.process.waitUntilExit()
        #expect(d.process.terminationStatus == 0)
        #expect(Date().timeIntervalSince(t0) < 2)
        #expect(!FileManager.default.fileExists(atPath: d.socket), "the socket is removed on exit")
    }
}
