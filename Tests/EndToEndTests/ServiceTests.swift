import Foundation
import Glibc
import Testing

/// somacue as a systemd user service: `service install` / `uninstall` into a private HOME and
/// PREFIX, the installed units checked with systemd-analyze, socket activation through
/// systemd-socket-activate, and the sd_notify messages on a datagram socket the test owns.
@Suite("Service", .serialized)
struct ServiceTests {
    /// A private HOME with nothing of the caller's somacue or XDG settings, and no SOMACUE_DATA_DIR:
    /// installed binaries must find their data alone.
    static func installEnvironment() -> (env: [String: String], home: URL, prefix: URL) {
        let dir = E2E.tempDir("install")
        let home = dir.appendingPathComponent("home")
        let runtime = dir.appendingPathComponent("run")
        try? FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var env = E2E.cleanEnvironment()
        for key in ["SOMACUE_DATA_DIR", "SOMACUE_SOCKET", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_DATA_DIRS"] {
            env.removeValue(forKey: key)
        }
        env["HOME"] = home.path
        env["XDG_RUNTIME_DIR"] = runtime.path
        // Keep the machine's /usr/share out of the search: only the install may provide data.
        env["XDG_DATA_DIRS"] = dir.appendingPathComponent("nowhere").path
        return (env, home, dir.appendingPathComponent("prefix"))
    }

    /// Every file and folder under `root`, relative.
    static func tree(_ root: URL) -> Set<String> {
        var out: Set<String> = []
        guard let e = FileManager.default.enumerator(atPath: root.path) else { return out }
        while let p = e.nextObject() as? String { out.insert(p) }
        return out
    }

    @Test func installRunsFromTheInstalledFilesAloneAndUninstallLeavesNothing() throws {
        let (env, home, prefix) = Self.installEnvironment()
        // The user's own files, which neither install nor uninstall may touch.
        let userConfig = home.appendingPathComponent(".config/somacue/config.toml")
        let userHistory = home.appendingPathComponent(".local/state/somacue/history.jsonl")
        try FileManager.default.createDirectory(at: userConfig.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: userHistory.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "[session]\nsafety_note = false\n".write(to: userConfig, atomically: true, encoding: .utf8)
        try "{}\n".write(to: userHistory, atomically: true, encoding: .utf8)
        let before = Self.tree(home)

        let first = try E2E.run(E2E.somacue, ["service", "install", "--prefix", prefix.path], env: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("systemctl --user enable --now somacued.socket"), "\(first.stdout)")
        let installed = Self.tree(prefix)
        for f in ["bin/somacue", "bin/somacued", "share/somacue/sessions/gluteal-release.toml", "share/somacue/exercises/back-lift.toml",
                  "share/somacue/cues/manifest.toml", "share/somacue/cues/generate.py", "share/somacue/config.toml"] {
            #expect(installed.contains(f), "missing \(f)")
        }
        let units = home.appendingPathComponent(".config/systemd/user")
        let service = try String(contentsOf: units.appendingPathComponent("somacued.service"), encoding: .utf8)
        #expect(service.contains("\nExecStart=\(prefix.path)/bin/somacued serve\n"), "\(service)")
        #expect(FileManager.default.fileExists(atPath: units.appendingPathComponent("somacued.socket").path))
        // The MPRIS name's D-Bus activation file, when the repository ships one, starts the installed daemon.
        let dbusName = "org.mpris.MediaPlayer2.somacue.service"
        if FileManager.default.fileExists(atPath: E2E.repo.appendingPathComponent("systemd/" + dbusName).path) {
            let activation = try String(contentsOf: home.appendingPathComponent(".local/share/dbus-1/services/" + dbusName), encoding: .utf8)
            #expect(activation.contains("\nExec=\(prefix.path)/bin/somacued serve\n") && activation.contains("SystemdService=somacued.service"), "\(activation)")
        }
        // Idempotent: a second install changes nothing.
        let second = try E2E.run(E2E.somacue, ["service", "install", "--prefix", prefix.path], env: env)
        #expect(second.status == 0 && second.stdout.contains(" 0 changed"), "\(second.stdout)\(second.stderr)")
        #expect(Self.tree(prefix) == installed)

        // The installed units verify cleanly (ExecStart names the installed binary).
        if let tool = ClientTests.systemdAnalyze {
            let r = try E2E.run(tool, ["--user", "verify", "--man=no", units.appendingPathComponent("somacued.socket").path,
                                       units.appendingPathComponent("somacued.service").path], env: env)
            #expect(r.status == 0 && r.stdout.isEmpty && r.stderr.isEmpty, "\(r.status) \(r.stdout)\(r.stderr)")
        }

        // The installed binaries, run from elsewhere without SOMACUE_DATA_DIR, lay a session out
        // exactly as the build does from the checkout (same sessions, exercises and cue files)...
        let bin = prefix.appendingPathComponent("bin")
        let a = try E2E.run(bin.appendingPathComponent("somacue").path, ["timeline", "gluteal-release", "--json"], env: env,
                            cwd: URL(fileURLWithPath: "/"))
        #expect(a.status == 0, "\(a.stderr)")
        let b = try E2E.run(E2E.somacue, ["timeline", "gluteal-release", "--json", "--config", userConfig.path], env: E2E.cleanEnvironment())
        #expect(b.status == 0 && a.stdout.contains("\"events\""), "\(b.stderr)")
        // Every cue comes from the installed copy, none from the checkout.
        let share = prefix.path + "/share/somacue"
        #expect(a.stdout.contains("\"source\": \"\(share)/cues/") && !a.stdout.contains(E2E.repo.path), "\(a.stdout.prefix(600))")
        #expect(a.stdout.replacingOccurrences(of: share, with: E2E.repo.path) == b.stdout)
        // ...and play it: `start` launches the installed somacued beside the installed somacue.
        if let pulse = Pulse.shared {
            var playEnv = env
            for (k, v) in pulse.env { playEnv[k] = v }
            let started = try E2E.run(bin.appendingPathComponent("somacue").path, ["start", "gluteal-release"], env: playEnv)
            #expect(started.status == 0 && started.stdout.hasPrefix("Playing Gluteal Release"), "\(started.stdout)\(started.stderr)")
            let socket = try #require(env["XDG_RUNTIME_DIR"]) + "/somacue/socket"
            if let c = try? ControlConnection(path: socket) {
                var cred: (Int32, Int32, Int32) = (0, 0, 0)
                var length = socklen_t(12)
                getsockopt(c.fd, SOL_SOCKET, SO_PEERCRED, &cred, &length)
                let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(cred.0)/exe")
                #expect(exe == bin.appendingPathComponent("somacued").path, "the daemon runs \(exe ?? "?")")
                let status = try c.data("status")
                #expect(["loading", "playing"].contains(status["state"] as? String ?? ""), "\(status)")
                _ = try? c.data("stop")
                kill(cred.0, SIGTERM)
                for _ in 0..<100 where kill(cred.0, 0) == 0 { usleep(50_000) }
            }
        }
        // Without the installed data they do not reach back into the checkout: one clear error
        // naming every place looked at.
        let sessions = prefix.appendingPathComponent("share/somacue/sessions")
        let aside = prefix.appendingPathComponent("sessions-aside")
        try FileManager.default.moveItem(at: sessions, to: aside)
        let missing = try E2E.run(bin.appendingPathComponent("somacue").path, ["sessions"], env: env)
        try FileManager.default.moveItem(at: aside, to: sessions)
        #expect(missing.status == 66, "\(missing.status) \(missing.stdout)")
        #expect(missing.stderr.contains(prefix.path + "/share/somacue") && missing.stderr.contains("XDG_DATA_DIRS")
                && missing.stderr.contains("SOMACUE_DATA_DIR"), "\(missing.stderr)")
        #expect(!missing.stderr.contains(E2E.repo.path), "\(missing.stderr)")
        #expect(missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")

        // Uninstall removes exactly what install put there; twice is fine.
        let gone = try E2E.run(bin.appendingPathComponent("somacue").path, ["service", "uninstall", "--prefix", prefix.path], env: env)
        #expect(gone.status == 0, "\(gone.stderr)")
        #expect(!FileManager.default.fileExists(atPath: prefix.path), "left behind: \(Self.tree(prefix))")
        // (What running somacue made, the log of the daemon `start` launched and the cue-header
        // cache, is the user's, like the history.)
        let after = Self.tree(home).filter { !$0.hasSuffix("somacued.log") && !$0.hasPrefix(".cache") }
        #expect(after == before, "home changed: \(after.symmetricDifference(before))")
        #expect(try String(contentsOf: userConfig, encoding: .utf8) == "[session]\nsafety_note = false\n")
        let again = try E2E.run(E2E.somacue, ["service", "uninstall", "--prefix", prefix.path], env: env)
        #expect(again.status == 0 && again.stdout.contains("Nothing to uninstall"), "\(again.stdout)\(again.stderr)")
    }

    @Test func installNeverReplacesAFileItDidNotPutThere() throws {
        let (env, _, prefix) = Self.installEnvironment()
        let mine = prefix.appendingPathComponent("bin/somacued")
        try FileManager.default.createDirectory(at: mine.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "#!/bin/sh\necho mine\n".write(to: mine, atomically: true, encoding: .utf8)
        let r = try E2E.run(E2E.somacue, ["service", "install", "--prefix", prefix.path], env: env)
        #expect(r.status == 73, "\(r.status) \(r.stderr)")
        #expect(r.stderr.contains(mine.path) && r.stderr.contains("--force"), "\(r.stderr)")
        #expect(try String(contentsOf: mine, encoding: .utf8) == "#!/bin/sh\necho mine\n")
        #expect(!FileManager.default.fileExists(atPath: prefix.appendingPathComponent("share").path), "installed in part")
        // --force replaces it; uninstall then removes it with the rest.
        let forced = try E2E.run(E2E.somacue, ["service", "install", "--force", "--prefix", prefix.path], env: env)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try Data(contentsOf: mine) == Data(contentsOf: URL(fileURLWithPath: E2E.somacued)))
        // A file the user changed after the install is kept by uninstall.
        let config = prefix.appendingPathComponent("share/somacue/config.toml")
        try "# edited\n".write(to: config, atomically: true, encoding: .utf8)
        let u = try E2E.run(E2E.somacue, ["service", "uninstall", "--prefix", prefix.path], env: env)
        #expect(u.status == 0 && u.stdout.contains(config.path), "\(u.stdout)\(u.stderr)")
        #expect(Self.tree(prefix) == ["bin", "share", "share/somacue", "share/somacue/config.toml"], "\(Self.tree(prefix))")
    }

    // MARK: Socket activation and sd_notify

    static let socketActivate = ["/usr/bin/systemd-socket-activate", "/bin/systemd-socket-activate"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// A datagram socket in the test, standing in for systemd's notify socket.
    final class NotifyListener {
        let path: String
        let fd: Int32
        init(_ path: String) {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
            }
            _ = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        deinit { close(fd) }

        /// Datagrams until `until` says stop or `timeout` seconds pass, with their arrival times.
        func collect(timeout: Double, until: ([(Double, String)]) -> Bool) -> [(Double, String)] {
            var got: [(Double, String)] = []
            let start = Date()
            while Date().timeIntervalSince(start) < timeout && !until(got) {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 100) > 0 else { continue }
                var buf = [UInt8](repeating: 0, count: 4096)
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 { got.append((Date().timeIntervalSince(start), String(decoding: buf[..<n], as: UTF8.self))) }
            }
            return got
        }
    }

    @Test(.enabled(if: socketActivate != nil, "systemd-socket-activate is not installed (package systemd)"))
    func socketActivatedDaemonServesThePassedSocketAndTalksToSystemd() throws {
        let tool = try #require(Self.socketActivate)
        let dir = E2E.tempDir("activate")
        let runtime = dir.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: runtime.appendingPathComponent("passed"), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let passed = runtime.appendingPathComponent("passed/socket").path
        let notify = NotifyListener(dir.appendingPathComponent("notify").path)
        var env = E2E.cleanEnvironment(Pulse.shared?.env ?? [:])
        env.removeValue(forKey: "SOMACUE_SOCKET")
        env["XDG_RUNTIME_DIR"] = runtime.path
        env["NOTIFY_SOCKET"] = notify.path
        env["WATCHDOG_USEC"] = "1000000"
        let config = dir.appendingPathComponent("config")
        try TestDaemon.installLibrary(into: config)
        env["XDG_CONFIG_HOME"] = config.path
        env["XDG_STATE_HOME"] = dir.appendingPathComponent("state").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        // systemd-socket-activate passes on only the variables named with -E.
        let passOn = ["HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "SOMACUE_DATA_DIR", "NOTIFY_SOCKET", "WATCHDOG_USEC",
                      "PULSE_SERVER", "PULSE_COOKIE", "ALSA_CONFIG_PATH"].filter { env[$0] != nil }
        p.arguments = ["-l", passed] + passOn.flatMap { ["-E", $0] } + [E2E.somacued, "serve"]
        p.environment = env
        let log = dir.appendingPathComponent("daemon.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        p.standardError = try FileHandle(forWritingTo: log)
        p.standardOutput = p.standardError
        try p.run()
        defer {
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
        }
        // systemd-socket-activate waits for the first connection before it starts the daemon.
        usleep(200_000)
        let c = try ControlConnection(path: passed)
        #expect(c.greeting["somacue"] as? Int == 1)
        #expect((try? c.data("ping")) != nil)
        let ready = notify.collect(timeout: 10) { $0.contains { $0.1.contains("READY=1") } }
        let first = try #require(ready.first { $0.1.contains("READY=1") }, "no READY=1: \(ready)")
        #expect(first.1.contains("STATUS=Idle"), "\(first.1)")
        // It bound nothing of its own: the default path stays empty.
        #expect(!FileManager.default.fileExists(atPath: runtime.appendingPathComponent("somacue/socket").path))

        // WATCHDOG=1 from the control loop at half of WATCHDOG_USEC (0.5 s), never sooner.
        let pings = notify.collect(timeout: 10) { $0.filter { $0.1 == "WATCHDOG=1" }.count >= 4 }.filter { $0.1 == "WATCHDOG=1" }
        #expect(pings.count >= 4, "\(pings)")
        for (a, b) in zip(pings, pings.dropFirst()) { #expect(b.0 - a.0 > 0.4, "pings \(b.0 - a.0) s apart") }

        if Pulse.shared != nil {
            _ = try c.data("start", ["session": "daemon-test"])
            let playing = notify.collect(timeout: 10) { $0.contains { $0.1.hasPrefix("STATUS=Playing Daemon Test, 0:0") } }
            #expect(playing.contains { $0.1.hasPrefix("STATUS=Playing Daemon Test, 0:0") && $0.1.contains(" of ") }, "\(playing)")
            _ = try c.data("stop")
            let idle = notify.collect(timeout: 10) { $0.contains { $0.1 == "STATUS=Idle" } }
            #expect(idle.contains { $0.1 == "STATUS=Idle" }, "\(idle)")
        }

        // SIGTERM: STOPPING=1, exit 0, and the passed socket file is left for systemd to remove.
        kill(p.processIdentifier, SIGTERM)
        let stopping = notify.collect(timeout: 10) { $0.contains { $0.1.contains("STOPPING=1") } }
        #expect(stopping.contains { $0.1.contains("STOPPING=1") }, "\(stopping)")
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self))")
        #expect(FileManager.default.fileExists(atPath: passed), "the daemon removed the socket systemd owns")
        let text = String(decoding: try Data(contentsOf: log), as: UTF8.self)
        #expect(text.contains("socket from systemd"), "\(text)")
        #expect(!text.contains("already running"), "\(text)")
    }

    @Test func resumeStartsADaemonWhenNoneAnswers() throws {
        let kit = try ClientTests.spawnKit(fake: ClientTests.fakeServe)
        let (env, dir) = ClientTests.isolated()
        let socket = try #require(env["XDG_RUNTIME_DIR"]) + "/somacue/socket"
        let r = try E2E.run(kit.somacue, ["resume"], env: env)
        defer {
            if let s = try? SocketClient(socket), let line = try? s.ask(#"{"id":9,"cmd":"status"}"#),
               let o = try? E2E.json(line) as? [String: Any], let d = o["data"] as? [String: Any],
               let spawn = d["spawn"] as? [String: Any], let pid = spawn["pid"] as? Int32 {
                kill(pid, SIGTERM)
            }
        }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "Playing.\n", "\(r.stdout)")
        let log = dir.appendingPathComponent("state/somacue/somacued.log")
        #expect(try String(contentsOf: log, encoding: .utf8).contains("fake somacued starting"))
    }
}
