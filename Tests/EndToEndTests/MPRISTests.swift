import Foundation
import Glibc
import Testing

/// A private D-Bus session bus (`dbus-daemon --session` on a socket of its own), stopped on
/// deinit. Not forked: a forked daemon would hold the test's output pipe open.
final class SessionBus {
    let address: String
    let process: Process

    init() throws {
        let dir = E2E.tempDir("bus")
        let path = dir.appendingPathComponent("bus").path
        address = "unix:path=" + path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-daemon")
        process.arguments = ["--session", "--nofork", "--nopidfile", "--address=" + address]
        process.environment = E2E.cleanEnvironment()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: path) { usleep(50_000) }
        guard FileManager.default.fileExists(atPath: path) else {
            throw NSError(domain: "somacue", code: 1, userInfo: [NSLocalizedDescriptionKey: "dbus-daemon did not start"])
        }
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// somacued as an MPRIS player on a private session bus, driven by playerctl and busctl, on
/// the headless PulseAudio: every MPRIS action must be what the CLI command does.
@Suite("MPRIS", .serialized)
struct MPRISTests {
    let name = "org.mpris.MediaPlayer2.somacue"

    func playerctl(_ env: [String: String], _ args: String...) throws -> String {
        let r = try E2E.run("/usr/bin/playerctl", ["--player=somacue"] + args, env: env)
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func busctl(_ env: [String: String], _ args: String...) throws -> E2E.Result {
        try E2E.run("/usr/bin/busctl", ["--user"] + args, env: env)
    }

    func status(_ c: ControlConnection) throws -> [String: Any] { try c.data("status") }

    func wait(_ what: String, timeout: Double = 10, _ done: () throws -> Bool) throws {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if try done() { return }
            usleep(50_000)
        }
        Issue.record("timed out waiting for \(what)")
    }

    @Test func playerctlAndBusctlSteerTheDaemonAudibly() throws {
        let pulse = try #require(Pulse.shared, "headless PulseAudio could not be started")
        let bus = try SessionBus()
        let d = try TestDaemon(extraEnv: ["DBUS_SESSION_BUS_ADDRESS": bus.address])
        defer { d.stop() }
        var env = E2E.cleanEnvironment()
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.address
        try wait("the MPRIS name") { d.logText.contains("MPRIS: \(name)") }

        // The timeline and the render, to check positions and the capture.
        let tl = try E2E.run(E2E.somacue, ["timeline", "daemon-test", "--json"], env: d.env)
        let t = try #require(try E2E.json(tl.stdout) as? [String: Any])
        let segs = try #require(t["segments"] as? [[String: Any]])
        let starts = segs.filter { $0["phase"] as? String == "position" }.map { $0["frame"] as! Int }
        let renderURL = d.home.appendingPathComponent("render.wav")
        #expect(try E2E.run(E2E.somacue, ["render", "daemon-test", "-o", renderURL.path], env: d.env).status == 0)
        let stereo = try E2E.wavSamples(renderURL).samples
        let expected = stride(from: 0, to: stereo.count, by: 2).map { stereo[$0] }

        // Signals, as a desktop widget sees them.
        let followLog = d.home.appendingPathComponent("follow.txt")
        _ = FileManager.default.createFile(atPath: followLog.path, contents: nil)
        let follow = Process()
        follow.executableURL = URL(fileURLWithPath: "/usr/bin/playerctl")
        follow.arguments = ["--player=somacue", "--follow", "status"]
        follow.environment = env
        follow.standardOutput = try FileHandle(forWritingTo: followLog)
        follow.standardError = FileHandle.nullDevice
        try follow.run()
        defer { if follow.isRunning { kill(follow.processIdentifier, SIGKILL); follow.waitUntilExit() } }

        // Root object and idle player.
        #expect(try playerctl(env, "status") == "Stopped")
        let identity = try busctl(env, "get-property", name, "/org/mpris/MediaPlayer2", "org.mpris.MediaPlayer2", "Identity")
        #expect(identity.stdout.contains("\"somacue\""), "\(identity.stdout) \(identity.stderr)")
        let canRaise = try busctl(env, "get-property", name, "/org/mpris/MediaPlayer2", "org.mpris.MediaPlayer2", "CanRaise")
        #expect(canRaise.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "b false")

        let cap = try Pulse.Capture(fifo: pulse.fifo)
        defer { if cap.process.isRunning { kill(cap.process.processIdentifier, SIGKILL) } }
        let c = try d.connect()
        _ = try c.data("start", ["session": "daemon-test"])
        try wait("Playing") { try playerctl(env, "status") == "Playing" }
        #expect(try playerctl(env, "metadata", "xesam:album") == "Daemon Test")
        // playerctl prints object paths quoted.
        #expect(try playerctl(env, "metadata", "mpris:trackid") == "'/org/somacue/track/0'")
        let rate = try busctl(env, "get-property", name, "/org/mpris/MediaPlayer2", "org.mpris.MediaPlayer2.Player", "Rate")
        #expect(rate.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "d 1")

        // Next: the first exercise, as `somacue next` does.
        _ = try playerctl(env, "next")
        try wait("exercise 1") { (try status(c)["exercise"] as? [String: Any])?["index"] as? Int == 1 }
        try wait("metadata of exercise 1") { try playerctl(env, "metadata", "xesam:title") == "Test Lift" }
        #expect(try playerctl(env, "metadata", "mpris:trackid") == "'/org/somacue/track/1'")
        #expect(try playerctl(env, "metadata", "xesam:trackNumber") == "1")
        let track = try #require(try status(c)["track"] as? [String: Any])
        let lengthUS = Int((track["duration"] as! Double) * 1_000_000 + 0.5)
        #expect(try playerctl(env, "metadata", "mpris:length") == String(lengthUS))

        // Play-pause pauses (the capture goes quiet), a later one resumes.
        usleep(1_500_000)
        _ = try playerctl(env, "play-pause")
        try wait("Paused") { try status(c)["state"] as? String == "paused" }
        #expect(try playerctl(env, "status") == "Paused")
        let frozen = (try status(c)["session"] as? [String: Any])?["elapsed"] as? Double
        usleep(1_500_000)
        #expect((try status(c)["session"] as? [String: Any])?["elapsed"] as? Double == frozen, "the timeline must hold while paused")
        _ = try playerctl(env, "play-pause")
        try wait("Playing again") { try status(c)["state"] as? String == "playing" }

        // Volume is the master volume; Position is within the exercise.
        #expect(try busctl(env, "set-property", name, "/org/mpris/MediaPlayer2", "org.mpris.MediaPlayer2.Player", "Volume", "d", "0.5").status == 0)
        #expect((try status(c)["volume"] as? [String: Any])?["master"] as? Double == 0.5)
        #expect(try playerctl(env, "volume") == "0.500000")
        // Back to 1, so that what follows plays exactly as rendered.
        #expect(try busctl(env, "set-property", name, "/org/mpris/MediaPlayer2", "org.mpris.MediaPlayer2.Player", "Volume", "d", "1").status == 0)
        #expect((try status(c)["volume"] as? [String: Any])?["master"] as? Double == 1)
        let position = Double(try playerctl(env, "position")) ?? -1
        #expect(position >= 0 && position < Double(lengthUS) / 1e6)

        // A seek lands on the start of a rep (here: the first contraction of the exercise).
        let firstContract = segs.first { $0["phase"] as? String == "contract" }!["frame"] as! Int
        let positionFrames = firstContract - starts[0]
        _ = try playerctl(env, "position", String(format: "%.3f", Double(positionFrames) / 48_000 + 0.3))
        try wait("the seek") {
            let e = (try status(c)["track"] as? [String: Any])?["elapsed"] as? Double ?? -1
            return e >= Double(positionFrames) / 48_000 && e < Double(positionFrames) / 48_000 + 1
        }
        let landed = try status(c)
        #expect((landed["phase"] as? [String: Any])?["name"] as? String == "contract" && landed["rep"] as? Int == 1, "\(landed)")
        usleep(1_000_000)

        // Stop, then Play while idle starts the last session again.
        _ = try playerctl(env, "stop")
        try wait("Stopped") { try status(c)["state"] as? String == "idle" }
        let idle = try busctl(env, "get-property", name, "/org/mpris/MediaPlayer2", "org.mpris.MediaPlayer2.Player", "Metadata")
        #expect(idle.stdout.contains("\"/org/mpris/MediaPlayer2/TrackList/NoTrack\""), "\(idle.stdout)")
        _ = try playerctl(env, "play")
        try wait("Playing the last session") { try status(c)["state"] as? String == "playing" }
        #expect((try status(c)["session"] as? [String: Any])?["id"] as? String == "daemon-test")
        _ = try c.data("stop")
        usleep(1_200_000)
        let captured = try cap.stop()

        // The capture has the first exercise from its start (after Next), as the render has it.
        for frame in [starts[0]] {
            let probe = expected[(frame + 960)..<(frame + 960 + 2_400)]
            #expect(find(probe, in: captured) != nil, "no audio from frame \(frame) after an MPRIS jump")
        }
        // playerctl --follow saw every state change as a signal.
        // SIGKILL: processes spawned from test threads may inherit a mask blocking SIGTERM.
        kill(follow.processIdentifier, SIGKILL)
        follow.waitUntilExit()
        let seen = (try String(contentsOf: followLog, encoding: .utf8)).split(separator: "\n").map(String.init)
        var order = ["Stopped", "Playing", "Paused", "Playing", "Stopped", "Playing", "Stopped"][...]
        for line in seen where line == order.first { order.removeFirst() }
        #expect(order.isEmpty, "playerctl --follow saw \(seen)")
    }

    @Test func withoutASessionBusOneLogLineAndEverythingElseWorks() throws {
        _ = try #require(Pulse.shared, "headless PulseAudio could not be started")
        let d = try TestDaemon(extraEnv: ["DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/somacue-no-bus"])
        defer { d.stop() }
        let c = try d.connect()
        #expect(try c.data("ping").isEmpty)
        _ = try c.data("start", ["session": "daemon-test"])
        #expect(try DaemonTests().waitUntil(c) { $0["state"] as? String != "loading" }["state"] as? String == "playing")
        _ = try c.data("stop")
        let lines = d.logText.split(separator: "\n").filter { $0.contains("D-Bus") }
        #expect(lines.count == 1, "\(d.logText)")
    }

    @Test func aSecondPlayPauseWithinASecondResumesAndSaysWhere() throws {
        _ = try #require(Pulse.shared, "headless PulseAudio could not be started")
        let bus = try SessionBus()
        let d = try TestDaemon(extraEnv: ["DBUS_SESSION_BUS_ADDRESS": bus.address])
        defer { d.stop() }
        var env = E2E.cleanEnvironment()
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.address
        try wait("the MPRIS name") { d.logText.contains("MPRIS: \(name)") }
        let c = try d.connect()
        let events = try ControlConnection(path: d.socket, timeout: 30)
        _ = try events.data("subscribe", ["events": ["cue", "state"]])
        _ = try c.data("start", ["session": "daemon-test"])
        try wait("Playing") { try status(c)["state"] as? String == "playing" }

        // One press pauses; a later one (after more than a second) only resumes.
        _ = try playerctl(env, "play-pause")
        #expect(try status(c)["state"] as? String == "paused", "the first press pauses at once")
        usleep(1_300_000)
        _ = try playerctl(env, "play-pause")
        #expect(try status(c)["state"] as? String == "playing")

        // Two presses in a row (one shell, no pause between them): pause, then resume and where.
        let r = try E2E.run("/bin/sh", ["-c", "playerctl --player=somacue play-pause && playerctl --player=somacue play-pause"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try status(c)["state"] as? String == "playing")
        // One report is heard (its time left is its last cue), and only one: the slow press asked none.
        var states: [String] = []
        var voices: [String] = []
        let end = Date().addingTimeInterval(90)
        while Date() < end, states.last != "idle", let e = try events.readObject() {
            if e["event"] as? String == "state", let s = e["state"] as? String { states.append(s) }
            if e["event"] as? String == "cue", e["kind"] as? String == "voice", let cue = e["cue"] as? String { voices.append(cue) }
        }
        #expect(states.filter { $0 == "paused" }.count == 2, "\(states)")
        let reports = voices.indices.filter { voices[$0].hasPrefix("where-left-") }
        #expect(reports.count == 1, "\(voices)")
        if let i = reports.first { #expect(i > 0 && (voices[i - 1].hasSuffix(".title") || voices[i - 1].hasPrefix("where-")), "\(voices)") }
    }
}
