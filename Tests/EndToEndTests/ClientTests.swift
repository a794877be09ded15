import Foundation
import Glibc
import Testing

/// The controller verbs of the built `somacue`, against no daemon, against a canned daemon
/// (a socket in the test that answers with fixed lines), and against a fake `somacued` that
/// `start` spawns; plus the systemd unit, checked with systemd-analyze.
@Suite("Client")
struct ClientTests {
    // MARK: Helpers

    /// An environment with a private, empty runtime directory (so no real daemon is reached),
    /// a private state directory, and none of the caller's somacue variables.
    static func isolated(_ extra: [String: String] = [:]) -> (env: [String: String], dir: URL) {
        let dir = E2E.tempDir("client")
        let runtime = dir.appendingPathComponent("run")
        try? FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var env = E2E.cleanEnvironment()
        env.removeValue(forKey: "SOMACUE_SOCKET")
        env.removeValue(forKey: "SOMACUE_NO_SPAWN")
        env["XDG_RUNTIME_DIR"] = runtime.path
        env["XDG_STATE_HOME"] = dir.appendingPathComponent("state").path
        for (k, v) in extra { env[k] = v }
        return (env, dir)
    }

    static func somacue(_ args: [String], env: [String: String]) throws -> E2E.Result {
        try E2E.run(E2E.somacue, args, env: env)
    }

    static let controllerVerbs = ["start", "pause", "resume", "toggle", "stop", "next", "prev", "tempo", "volume",
                                  "status", "follow", "ping", "reload"]

    static let status = #"{"state":"playing","session":{"id":"release-the-lower-back","title":"Release the Lower Back","elapsed":602.5,"remaining":1395.0,"duration":1997.50},"exercise":{"id":"back-lift","title":"Back Lift","index":2,"count":10},"phase":{"name":"release","elapsed":3.25,"remaining":9},"rep":2,"reps":3,"side":"left","tempo":1,"volume":{"master":1,"voice":1,"tone":0.6},"voice":"default","device":"default","underruns":0,"clients":1}"#

    static func ok(_ id: Int, _ data: String) -> String { #"{"id":\#(id),"ok":true,"data":\#(data)}"# }

    // MARK: No daemon

    @Test func everyControllerVerbWithoutADaemonExits69AndSaysHowToStartOne() throws {
        let (env, dir) = Self.isolated()
        // (`resume` starts a daemon like `start` does: see startNeverSpawnsWhenToldNotTo.)
        let cases: [[String]] = [["pause"], ["toggle"], ["stop"], ["next"], ["prev"], ["tempo", "0.9"],
                                 ["volume", "voice", "0.8"], ["status"], ["status", "--json"], ["follow"], ["follow", "--json"],
                                 ["ping"], ["reload"], ["start", "release-the-lower-back", "--no-spawn"]]
        for args in cases {
            let r = try Self.somacue(args, env: env)
            #expect(r.status == 69, "\(args): \(r.status) \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(args): \(r.stdout)")
            #expect(r.stderr.hasPrefix("somacue: somacued is not running"), "\(args): \(r.stderr)")
            #expect(r.stderr.contains("systemctl --user start somacued"), "\(args): \(r.stderr)")
            #expect(r.stderr.components(separatedBy: "\n").filter { !$0.isEmpty }.count == 1, "\(args): one line: \(r.stderr)")
            if args[0] != "start" { #expect(r.stderr.contains("somacue start SESSION"), "\(args): \(r.stderr)") }
        }
        // The message names the socket it tried, from --socket, SOMACUE_SOCKET or XDG_RUNTIME_DIR.
        let runtime = try #require(env["XDG_RUNTIME_DIR"])
        #expect(try Self.somacue(["status"], env: env).stderr.contains(runtime + "/somacue/socket"))
        let explicit = dir.appendingPathComponent("elsewhere.sock").path
        #expect(try Self.somacue(["status", "--socket", explicit], env: env).stderr.contains(explicit))
        #expect(try Self.somacue(["pause", "--socket=\(explicit)"], env: env).stderr.contains(explicit))
        var withVar = env
        withVar["SOMACUE_SOCKET"] = explicit
        #expect(try Self.somacue(["status"], env: withVar).stderr.contains(explicit))
        // Nothing was spawned: no log was opened.
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("state/somacue").path))
    }

    @Test func startNeverSpawnsWhenToldNotTo() throws {
        let (env, dir) = Self.isolated(["SOMACUE_NO_SPAWN": "1"])
        let resumed = try Self.somacue(["resume"], env: env)
        #expect(resumed.status == 69 && resumed.stderr.hasPrefix("somacue: somacued is not running"), "\(resumed.stderr)")
        let r = try Self.somacue(["start", "release-the-lower-back"], env: env)
        #expect(r.status == 69)
        #expect(r.stderr.contains("SOMACUE_NO_SPAWN") && r.stderr.contains("systemctl --user start somacued"), "\(r.stderr)")
        let (env2, _) = Self.isolated()
        let r2 = try Self.somacue(["start", "--no-spawn", "gluteal-release", "--tempo", "0.8"], env: env2)
        #expect(r2.status == 69)
        #expect(r2.stderr.contains("--no-spawn"), "\(r2.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("state/somacue").path))
    }

    @Test func noSocketPathIsAUsageError() throws {
        var (env, _) = Self.isolated()
        env.removeValue(forKey: "XDG_RUNTIME_DIR")
        let r = try Self.somacue(["status"], env: env)
        #expect(r.status == 64)
        #expect(r.stderr.contains("--socket") && r.stderr.contains("SOMACUE_SOCKET"), "\(r.stderr)")
    }

    // MARK: Arguments

    @Test func badArgumentsExit64BeforeAnyDaemonIsAsked() throws {
        let (env, dir) = Self.isolated()
        let cases: [[String]] = [
            ["tempo"], ["tempo", "abc"], ["tempo", "3"], ["tempo", "0.1"], ["tempo", "+2"], ["tempo", "-1.8"],
            ["tempo", "nan"], ["tempo", "inf"], ["tempo", "1e0"], ["tempo", "0x1"], ["tempo", "1", "2"], ["tempo", "--fast"],
            ["volume", "loud", "1"], ["volume", "2.0"], ["volume", "voice"], ["volume", "voice", "1.6"],
            ["volume", "-0.5"], ["volume", "tone", "x"], ["volume", "master", "1", "2"],
            ["start"], ["start", "./my-session.toml"], ["start", "Release"], ["start", "release-the-lower-back", "--tempo", "9"],
            ["start", "release-the-lower-back", "--lead-in", "700"], ["start", "release-the-lower-back", "--voice", "../x"],
            ["start", "release-the-lower-back", "--bogus"],
            ["status", "--bogus"], ["status", "extra"], ["pause", "now"], ["follow", "--json", "x"], ["frobnicate"],
        ]
        for args in cases {
            let r = try Self.somacue(args, env: env)
            #expect(r.status == 64, "\(args): \(r.status) \(r.stderr)")
            #expect(!r.stderr.isEmpty, "\(args)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("state/somacue").path), "a bad start spawned somacued")
        // The messages say what is allowed.
        #expect(try Self.somacue(["volume", "loud", "1"], env: env).stderr.contains("master, voice or tone"))
        #expect(try Self.somacue(["volume", "2.0"], env: env).stderr.contains("0 and 1.5"))
        #expect(try Self.somacue(["tempo", "abc"], env: env).stderr.contains("+0.1"))
        #expect(try Self.somacue(["start", "./my-session.toml"], env: env).stderr.contains("somacue play"))
    }

    @Test func signedTempoStepsAreValuesNotOptions() throws {
        let (env, _) = Self.isolated()
        for args in [["tempo", "-0.1"], ["tempo", "+0.1"], ["tempo", "-.25"], ["tempo", "1.25"], ["tempo", "-0.1", "--socket", "/nonexistent/s"]] {
            let r = try Self.somacue(args, env: env)
            #expect(r.status == 69, "\(args) should reach the daemon: \(r.status) \(r.stderr)")
        }
    }

    @Test func helpListsEngineAndControllerVerbs() throws {
        let r = try E2E.somacue("--help")
        #expect(r.status == 0)
        for verb in ["play", "render", "timeline", "sessions", "exercises", "devices", "validate", "cues"] + Self.controllerVerbs {
            #expect(r.stdout.contains("  \(verb) "), "--help does not list \(verb)")
        }
        let tempo = try E2E.somacue("tempo", "--help")
        #expect(tempo.status == 0 && tempo.stdout.contains("+<step>") && tempo.stdout.contains("--socket"))
        let start = try E2E.somacue("start", "--help")
        for option in ["--tempo", "--voice", "--lead-in", "--replace", "--no-spawn", "--socket"] {
            #expect(start.stdout.contains(option), "start --help lacks \(option)")
        }
    }

    // MARK: Against a canned daemon

    @Test func statusJSONIsExactlyTheDaemonsDataObject() throws {
        let daemon = try CannedDaemon { request in
            // An event before the reply must be skipped.
            [#"{"event":"cue","cue":"release-slowly","kind":"voice","frame":96000}"#, Self.ok(request.id, Self.status)]
        }
        defer { daemon.stop() }
        let (env, _) = Self.isolated(["SOMACUE_SOCKET": daemon.path])
        let r = try Self.somacue(["status", "--json"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == Self.status + "\n")
        #expect(daemon.requests.map(\.cmd) == ["status"])
        #expect(daemon.requests.first?.line == #"{"id":1,"cmd":"status"}"#)
    }

    @Test func humanStatusShowsTheProgressBar() throws {
        let daemon = try CannedDaemon { request in [Self.ok(request.id, Self.status)] }
        defer { daemon.stop() }
        let r = try Self.somacue(["status", "--socket", daemon.path], env: Self.isolated().env)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 5 && lines[4].isEmpty, "\(r.stdout)")
        #expect(lines[0] == "playing  Release the Lower Back")
        #expect(lines[1].hasPrefix("[") && lines[1].contains("]  10:02 / 33:17  (23:15 left)"), "\(lines[1])")
        let bar = lines[1].prefix { $0 != " " }
        #expect(bar.count == 30 && bar.filter { $0 == "#" }.count == 8, "\(bar)")
        #expect(lines[2] == "Back Lift (2/10) · release · rep 2/3 · left · tempo 1")
        #expect(lines[3] == "voice default · volume master 1, voice 1, tone 0.6")
    }

    @Test func humanStatusFitsANarrowTerminal() throws {
        let daemon = try CannedDaemon { request in [Self.ok(request.id, Self.status)] }
        defer { daemon.stop() }
        // Without a terminal on stdout the width comes from COLUMNS (the pty test in
        // TerminalTests checks TIOCGWINSZ). No line may reach the last column: the terminal
        // would wrap it.
        for width in [44, 30, 80] {
            let r = try Self.somacue(["status", "--socket", daemon.path], env: Self.isolated(["COLUMNS": "\(width)"]).env)
            #expect(r.status == 0, "\(r.stderr)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            for line in lines { #expect(line.count < width, "\(width) columns: \"\(line)\" has \(line.count)") }
            guard width >= 44 else { continue }  // narrower: parts are cut, but nothing wraps
            let text = r.stdout.replacingOccurrences(of: "\n", with: " · ")
            for part in ["Release the Lower Back", "10:02 / 33:17", "Back Lift (2/10)", "release", "rep 2/3", "left", "tempo 1",
                         "voice default", "master 1, voice 1, tone 0.6"] {
                #expect(text.contains(part), "\(width) columns lost \"\(part)\": \(r.stdout)")
            }
            #expect(lines.contains { $0.hasPrefix("[") && $0.contains("#") }, "\(width) columns: no bar: \(r.stdout)")
        }
    }

    @Test func idleStatusSaysIdleThenTheSound() throws {
        let daemon = try CannedDaemon { request in
            [Self.ok(request.id, #"{"state":"idle","tempo":1,"voice":"default","volume":{"master":1,"voice":1,"tone":0.6},"clients":1}"#)]
        }
        defer { daemon.stop() }
        let r = try Self.somacue(["status", "--socket", daemon.path], env: Self.isolated().env)
        #expect(r.status == 0 && r.stdout == "idle\nvoice default · volume master 1, voice 1, tone 0.6 · tempo 1\n", "\(r.stdout) \(r.stderr)")
    }

    @Test func aRefusalExits1WithCodeAndMessage() throws {
        let daemon = try CannedDaemon { request in
            switch request.cmd {
            case "reload":
                return [#"{"id":\#(request.id),"ok":false,"error":{"code":"reload_failed","message":"the configuration has errors; nothing was changed","diagnostics":["config.toml:3:9: error: unknown key \"tempoo\""]}}"#]
            default:
                return [#"{"event":"state","state":"idle"}"#,
                        #"{"id":\#(request.id),"ok":false,"error":{"code":"wrong_state","message":"no session is playing"}}"#]
            }
        }
        defer { daemon.stop() }
        let env = Self.isolated(["SOMACUE_SOCKET": daemon.path]).env
        for verb in ["pause", "resume", "next", "status"] {
            let r = try Self.somacue([verb], env: env)
            #expect(r.status == 1, "\(verb): \(r.status)")
            #expect(r.stderr == "somacue: wrong_state: no session is playing\n", "\(verb): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        // Like `mpc stop`, stopping nothing is not a failure (the daemon still answers wrong_state).
        let stop = try Self.somacue(["stop"], env: env)
        #expect(stop.status == 0 && stop.stdout == "Nothing is playing.\n" && stop.stderr.isEmpty, "\(stop.status) \(stop.stdout) \(stop.stderr)")
        #expect(daemon.requests.last?.cmd == "stop")
        let r = try Self.somacue(["reload"], env: env)
        #expect(r.status == 1)
        #expect(r.stderr == "somacue: reload_failed: the configuration has errors; nothing was changed\nconfig.toml:3:9: error: unknown key \"tempoo\"\n", "\(r.stderr)")
    }

    @Test func controlVerbsSendTheRightRequestsAndAnswerCalmly() throws {
        let daemon = try CannedDaemon { request in
            let data: String
            switch request.cmd {
            case "start": data = #"{"state":"playing","session":{"id":"release-the-lower-back","title":"Release the Lower Back","elapsed":0,"remaining":1997.5,"duration":1997.5}}"#
            case "sessions": data = #"{"sessions":[{"id":"bend-to-pick-up","posture":"standing"},{"id":"release-the-lower-back","posture":"lying"}]}"#
            case "pause": data = #"{"state":"paused","frame":34752000,"elapsed":724.0}"#
            case "resume", "toggle": data = #"{"state":"playing","frame":34700000,"elapsed":722.9}"#
            case "stop": data = #"{"state":"idle","elapsed":725.2}"#
            case "next": data = #"{"state":"playing","frame":1,"elapsed":800,"exercise":{"id":"back-lift","title":"Back Lift","index":2,"count":10}}"#
            case "prev": data = #"{"state":"playing","frame":1,"elapsed":1900}"#
            case "tempo": data = #"{"tempo":0.9,"fromFrame":480000,"duration":2100}"#
            case "volume": data = #"{"volume":{"master":1,"voice":0.8,"tone":0.6}}"#
            case "reload": data = #"{"sessions":7,"exercises":19}"#
            case "status": data = #"{"state":"idle","volume":{"master":1,"voice":0.8,"tone":0.6}}"#
            default: data = "{}"
            }
            return [Self.ok(request.id, data)]
        }
        defer { daemon.stop() }
        let env = Self.isolated(["SOMACUE_SOCKET": daemon.path]).env
        let expected: [([String], String, String)] = [
            (["start", "release-the-lower-back", "--tempo", "0.8", "--lead-in", "90", "--voice", "mine", "--replace"],
             "Playing Release the Lower Back (33:17). Lie down and close your eyes.\n",
             #"{"id":1,"cmd":"start","args":{"session":"release-the-lower-back","tempo":0.8,"voice":"mine","lead_in":90,"replace":true}}"#),
            (["pause"], "Paused at 12:04.\n", #"{"id":1,"cmd":"pause"}"#),
            (["resume"], "Playing from 12:02.\n", #"{"id":1,"cmd":"resume"}"#),
            (["toggle"], "Playing from 12:02.\n", #"{"id":1,"cmd":"toggle"}"#),
            (["stop"], "Stopped at 12:05.\n", #"{"id":1,"cmd":"stop"}"#),
            (["next"], "Now: Back Lift (2/10).\n", #"{"id":1,"cmd":"next"}"#),
            (["prev"], "Now at 31:40.\n", #"{"id":1,"cmd":"prev"}"#),
            (["tempo", "-0.1"], "Tempo 0.9, from the next phase.\n", #"{"id":1,"cmd":"tempo","args":{"step":-0.1}}"#),
            (["tempo", "+0.25"], "Tempo 0.9, from the next phase.\n", #"{"id":1,"cmd":"tempo","args":{"step":0.25}}"#),
            (["tempo", "0.9"], "Tempo 0.9, from the next phase.\n", #"{"id":1,"cmd":"tempo","args":{"value":0.9}}"#),
            (["volume", "voice", "0.8"], "Voice volume 0.8.\n", #"{"id":1,"cmd":"volume","args":{"class":"voice","value":0.8}}"#),
            (["volume", "0.8"], "Master volume 1.\n", #"{"id":1,"cmd":"volume","args":{"class":"master","value":0.8}}"#),
            (["volume"], "Volume: master 1, voice 0.8, tone 0.6.\n", #"{"id":1,"cmd":"status"}"#),
            (["ping"], "pong (somacued 9.9.9)\n", #"{"id":1,"cmd":"ping"}"#),
            (["reload"], "Reloaded: 7 sessions, 19 exercises.\n", #"{"id":1,"cmd":"reload"}"#),
        ]
        for (args, out, request) in expected {
            daemon.clearRequests()
            let r = try Self.somacue(args, env: env)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            #expect(r.stdout == out, "\(args)")
            #expect(r.stderr.isEmpty, "\(args): \(r.stderr)")
            #expect(daemon.requests.first?.line == request, "\(args)")
        }
        // A standing session is never told to close its eyes; the posture comes from `sessions`.
        daemon.clearRequests()
        let standing = try Self.somacue(["start", "bend-to-pick-up"], env: env)
        #expect(standing.stdout.contains("keep your eyes open"), "\(standing.stdout)")
        #expect(daemon.requests.map(\.cmd) == ["start", "sessions"])
    }

    @Test func followPrintsOneLinePerEvent() throws {
        let events = [
            #"{"event":"state","state":"playing"}"#,
            #"{"event":"exercise","exercise":{"id":"back-lift","title":"Back Lift","index":2,"count":10}}"#,
            #"{"event":"phase","frame":28800000,"elapsed":600,"exercise":{"id":"back-lift","title":"Back Lift","index":2,"count":10},"phase":"contract","rep":2,"side":"left"}"#,
            #"{"event":"cue","cue":"lift-slowly","kind":"voice","frame":28800480}"#,
            #"{"event":"tempo","tempo":0.9}"#,
            #"{"event":"volume","master":1,"voice":0.8,"tone":0.6}"#,
            #"{"event":"error","code":"device_error","message":"the audio device stopped; the session ended"}"#,
            #"{"event":"finished","session":"release-the-lower-back","reason":"completed"}"#,
            #"{"event":"future","x":[1,2]}"#,
        ]
        // Answers subscribe, sends the events, then closes: follow ends when the daemon goes away.
        let daemon = try CannedDaemon(closeAfterReply: true) { request in
            request.cmd == "subscribe" ? [Self.ok(request.id, #"{"events":["state"]}"#)] + events : []
        }
        defer { daemon.stop() }
        let env = Self.isolated(["SOMACUE_SOCKET": daemon.path]).env
        let json = try Self.somacue(["follow", "--json"], env: env)
        #expect(json.stdout == events.joined(separator: "\n") + "\n")
        #expect(json.status == 69 && json.stderr.contains("closed the connection"), "\(json.status) \(json.stderr)")
        #expect(daemon.requests.first?.line == #"{"id":1,"cmd":"subscribe"}"#)
        let human = try Self.somacue(["follow"], env: env)
        #expect(human.stdout == """
            state    playing
            exercise Back Lift (2/10)
            phase    Back Lift (2/10) · contract · rep 2 · left  (at 10:00)
            cue      lift-slowly (voice)
            tempo    0.9
            volume   master 1 · voice 0.8 · tone 0.6
            error    device_error: the audio device stopped; the session ended
            finished release-the-lower-back (completed)
            future   {"x":[1,2]}

            """, "\(human.stdout)")
    }

    @Test func followEndsQuietlyOnInterrupt() throws {
        let daemon = try CannedDaemon { request in
            request.cmd == "status" ? [Self.ok(request.id, #"{"state":"paused","session":{"id":"gluteal-release","title":"Gluteal Release","elapsed":31}}"#)]
                                    : [Self.ok(request.id, "{}")]
        }
        defer { daemon.stop() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: E2E.somacue)
        p.arguments = ["follow", "--socket", daemon.path]
        p.environment = Self.isolated().env
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        let line = out.fileHandleForReading.availableData
        // The current state comes first, from a status asked right after subscribing.
        #expect(String(decoding: line, as: UTF8.self) == "state    paused · Gluteal Release  (at 0:31)\n")
        #expect(daemon.requests.map(\.cmd) == ["subscribe", "status"])
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 0)
    }

    @Test func unusablePeersExit69() throws {
        // Speaks another protocol version.
        let newer = try CannedDaemon(greeting: #"{"somacue":2,"version":"2.0.0"}"#) { request in [Self.ok(request.id, "{}")] }
        defer { newer.stop() }
        let env = Self.isolated().env
        let r = try Self.somacue(["ping", "--socket", newer.path], env: env)
        #expect(r.status == 69 && r.stderr.contains("protocol 2"), "\(r.stderr)")
        // Not a somacue daemon at all.
        let other = try CannedDaemon(greeting: "OK MPD 0.23.5") { _ in [] }
        defer { other.stop() }
        let r2 = try Self.somacue(["ping", "--socket", other.path], env: env)
        #expect(r2.status == 69, "\(r2.stderr)")
        // Accepts and closes without a word (what somacued does to another user's connection).
        let closer = try CannedDaemon(greeting: nil, closeAfterReply: true) { _ in [] }
        defer { closer.stop() }
        let r3 = try Self.somacue(["status", "--socket", closer.path], env: env)
        #expect(r3.status == 69 && r3.stderr.contains("closed the connection"), "\(r3.stderr)")
        // A full daemon answers too_many_clients instead of the greeting: a refusal.
        let full = try CannedDaemon(greeting: #"{"id":null,"ok":false,"error":{"code":"too_many_clients","message":"too many clients (limit 64); closing the connection"}}"#,
                                    closeAfterReply: true) { _ in [] }
        defer { full.stop() }
        let r4 = try Self.somacue(["status", "--socket", full.path], env: env)
        #expect(r4.status == 1 && r4.stderr == "somacue: too_many_clients: too many clients (limit 64); closing the connection\n", "\(r4.stderr)")
    }

    @Test func aSilentDaemonTimesOut() throws {
        let silent = try CannedDaemon(greeting: nil) { _ in [] }
        defer { silent.stop() }
        let started = Date()
        let r = try Self.somacue(["status", "--socket", silent.path], env: Self.isolated().env)
        let took = Date().timeIntervalSince(started)
        #expect(r.status == 69 && r.stderr.contains("did not answer"), "\(r.stderr)")
        #expect(took > 4 && took < 9, "took \(took) s")
    }

    // MARK: Spawning

    /// A copy of somacue in a folder of its own, next to a fake `somacued` (a Python script) that
    /// records how it was started and then serves `start`.
    static func spawnKit(fake: String) throws -> (somacue: String, dir: URL) {
        let dir = E2E.tempDir("spawn")
        let bin = dir.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let copy = bin.appendingPathComponent("somacue")
        try FileManager.default.copyItem(atPath: E2E.somacue, toPath: copy.path)
        let script = bin.appendingPathComponent("somacued")
        try ("#!/usr/bin/env python3\n" + fake).write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return (copy.path, dir)
    }

    static let fakeServe = #"""
        import json, os, signal, socket, sys, threading
        assert sys.argv[1:3] == ["serve", "--socket"], sys.argv
        path = sys.argv[3]
        info = {"argv": sys.argv[1:], "pid": os.getpid(), "sid": os.getsid(0), "blocked": sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])),
                "stdin": os.readlink("/proc/self/fd/0"), "fds": sorted(int(f) for f in os.listdir("/proc/self/fd"))}
        print("fake somacued starting", flush=True)
        threading.Timer(120, os._exit, (0,)).start()  # never outlives a failed test for long
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(4)
        def serve(c):
            try:
                c.sendall(b'{"somacue":1,"version":"0.1.0"}\n')
                for line in c.makefile("rb"):
                    r = json.loads(line)
                    session = r.get("args", {}).get("session", "?")
                    data = {"state": "playing", "session": {"id": session, "title": "Gluteal Release", "duration": 754.2, "posture": "lying"}, "spawn": info}
                    c.sendall((json.dumps({"id": r["id"], "ok": True, "data": data}) + "\n").encode())
            except OSError:
                pass
            c.close()
        while True:
            c, _ = s.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()
        """#

    @Test func startSpawnsADetachedDaemonWhenNoneAnswers() throws {
        let kit = try Self.spawnKit(fake: Self.fakeServe)
        let (env, dir) = Self.isolated()
        let socket = try #require(env["XDG_RUNTIME_DIR"]) + "/somacue/socket"
        let r = try E2E.run(kit.somacue, ["start", "gluteal-release"], env: env)
        defer {
            // The fake daemon outlives somacue by design; end it here.
            if let s = try? SocketClient(socket), let line = try? s.ask(#"{"id":9,"cmd":"status"}"#),
               let o = try? E2E.json(line) as? [String: Any], let d = o["data"] as? [String: Any],
               let spawn = d["spawn"] as? [String: Any], let pid = spawn["pid"] as? Int32 {
                kill(pid, SIGTERM)
            }
        }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "Playing Gluteal Release (12:34). Lie down and close your eyes.\n")
        // Started as `somacued serve --socket PATH`, in a session of its own, stdin from /dev/null,
        // only the standard descriptors open, output appended to the log.
        let o = try #require(try E2E.json(try SocketClient(socket).ask(#"{"id":1,"cmd":"status"}"#)) as? [String: Any])
        let spawn = try #require((o["data"] as? [String: Any])?["spawn"] as? [String: Any])
        #expect(spawn["argv"] as? [String] == ["serve", "--socket", socket])
        #expect(spawn["sid"] as? Int == spawn["pid"] as? Int)
        #expect(spawn["stdin"] as? String == "/dev/null")
        #expect(spawn["blocked"] as? [Int] == [], "signals blocked in the daemon: \(spawn["blocked"] ?? "")")
        #expect((spawn["fds"] as? [Int])?.filter { $0 > 2 }.count ?? 99 <= 1, "leaked descriptors: \(spawn["fds"] ?? "")")
        let log = dir.appendingPathComponent("state/somacue/somacued.log")
        #expect(try String(contentsOf: log, encoding: .utf8).contains("fake somacued starting"))
        // A second start finds it answering and spawns nothing.
        let again = try E2E.run(kit.somacue, ["start", "gluteal-release"], env: env)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try String(contentsOf: log, encoding: .utf8).components(separatedBy: "fake somacued starting").count == 2)
    }

    @Test func aDaemonThatDiesAtStartIsReported() throws {
        let kit = try Self.spawnKit(fake: "import sys\nprint('somacued: config.toml:2:1: error: unknown key', file=sys.stderr)\nsys.exit(78)\n")
        let (env, dir) = Self.isolated()
        let r = try E2E.run(kit.somacue, ["start", "gluteal-release"], env: env)
        #expect(r.status == 69)
        #expect(r.stderr.contains("somacued exited with status 78"), "\(r.stderr)")
        #expect(r.stderr.contains("config.toml:2:1: error: unknown key"), "the log's last lines: \(r.stderr)")
        #expect(r.stderr.contains(dir.appendingPathComponent("state/somacue/somacued.log").path))
    }

    // MARK: systemd

    static let systemdAnalyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: systemdAnalyze != nil, "systemd-analyze is not installed (package systemd)"))
    func theUserUnitVerifies() throws {
        let tool = try #require(Self.systemdAnalyze)
        let unit = E2E.repo.appendingPathComponent("systemd/somacued.service")
        let text = try String(contentsOf: unit, encoding: .utf8)
        #expect(text.contains("Type=notify"))
        #expect(text.contains("ExecStart=%h/.local/bin/somacued serve"))
        #expect(text.contains("ExecReload=/bin/kill -HUP $MAINPID"))
        #expect(!text.contains("PrivateDevices=yes") && !text.contains("RestrictRealtime=yes"))
        // ExecStart must name an existing binary to verify: a copy pointing at the built one.
        let dir = E2E.tempDir("unit")
        let runtime = dir.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let copy = dir.appendingPathComponent("somacued.service")
        let rewritten = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("ExecStart=") ? "ExecStart=\(E2E.somacued) serve" : String(line)
        }.joined(separator: "\n")
        try rewritten.write(to: copy, atomically: true, encoding: .utf8)
        var env = E2E.cleanEnvironment()
        env["XDG_RUNTIME_DIR"] = runtime.path
        // The service requires the socket unit: both are verified together.
        let socketUnit = dir.appendingPathComponent("somacued.socket")
        try FileManager.default.copyItem(at: E2E.repo.appendingPathComponent("systemd/somacued.socket"), to: socketUnit)
        let r = try E2E.run(tool, ["--user", "verify", "--man=no", socketUnit.path, copy.path], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        // Unknown keys and bad values are only warnings: any output is a failure.
        #expect(r.stderr.isEmpty && r.stdout.isEmpty, "\(r.stdout)\(r.stderr)")
    }
}

/// A daemon stand-in on a socket in a temporary folder: greets (or not), records each request
/// line, and answers with the lines `respond` returns.
final class CannedDaemon: @unchecked Sendable {
    struct Request: Sendable {
        var line: String
        var id: Int
        var cmd: String
    }

    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [Request] = []

    var requests: [Request] { lock.withLock { received } }
    func clearRequests() { lock.withLock { received.removeAll() } }

    init(greeting: String? = #"{"somacue":1,"version":"9.9.9"}"#, closeAfterReply: Bool = false,
         respond: @escaping @Sendable (Request) -> [String]) throws {
        path = E2E.tempDir("canned").appendingPathComponent("socket").path
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes + [0]) }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        let listener = fd
        Thread.detachNewThread { [self] in
            while true {
                let c = accept(listener, nil, nil)
                if c < 0 { if errno == EINTR { continue }; return }
                _ = fcntl(c, F_SETFD, FD_CLOEXEC)
                Thread.detachNewThread { [self] in serve(c, greeting: greeting, closeAfterReply: closeAfterReply, respond: respond) }
            }
        }
    }

    /// With `closeAfterReply`, a connection ends after the first answer; a greeting that is
    /// not a somacue greeting (or none) counts as that answer.
    private func serve(_ c: Int32, greeting: String?, closeAfterReply: Bool, respond: (Request) -> [String]) {
        defer { close(c) }
        if let greeting, !send(c, greeting) { return }
        if closeAfterReply && !(greeting?.hasPrefix(#"{"somacue""#) ?? false) { return }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            buffer += chunk[0..<n]
            while let nl = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
                let request = Request(line: line, id: object["id"] as? Int ?? 0, cmd: object["cmd"] as? String ?? "")
                lock.withLock { received.append(request) }
                for out in respond(request) where !send(c, out) { return }
                if closeAfterReply { return }
            }
        }
    }

    private func send(_ c: Int32, _ line: String) -> Bool {
        let bytes = Array((line + "\n").utf8)
        return bytes.withUnsafeBytes { Glibc.send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Wakes the accept loop (which then ends) and removes the socket. The descriptor is left
    /// open on purpose: closing it could hand its number to another test while the loop runs.
    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        unlink(path)
    }
}

/// One request and its reply over a plain socket, for tests that talk to a daemon directly.
final class SocketClient {
    let fd: Int32

    init(_ path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes + [0]) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends `request` and returns the first line that has an id (not the greeting or an event).
    func ask(_ request: String) throws -> String {
        let out = Array((request + "\n").utf8)
        guard out.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == out.count else {
            throw POSIXError(.EPIPE)
        }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw POSIXError(.ECONNRESET) }
            pending += chunk[0..<n]
            while let nl = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                if line.contains(#""id""#) { return line }
            }
        }
    }
}
