import Foundation
import Glibc
import Testing

/// The daemon trusts its socket's directory only when nobody else can replace the socket, and
/// the client talks only to a server of its own user (issue 6, defect 4). The tests run as
/// root, so "another user" is `nobody`, made with chown and setpriv.
@Suite("Socket trust", .serialized)
struct SocketTrustTests {
    static let nobody: uid_t = 65_534

    func serve(_ socket: String, env: [String: String]? = nil) throws -> SpecialFileTests.Bounded {
        try SpecialFileTests.run(E2E.somacued, ["serve", "--socket", socket], env: env ?? E2E.cleanEnvironment(), deadline: 20)
    }

    func directory(_ name: String, mode: mode_t, owner: uid_t? = nil) throws -> URL {
        let dir = E2E.tempDir("trust").appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        #expect(chmod(dir.path, mode) == 0)
        if let owner { #expect(chown(dir.path, owner, gid_t(Self.nobody)) == 0) }
        return dir
    }

    @Test func symlinkedDirectoryIsRefused() throws {
        let real = try directory("real", mode: 0o700)
        let link = real.deletingLastPathComponent().appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: real.path)
        let r = try serve(link.appendingPathComponent("socket").path)
        #expect(r.status == 73, "\(String(describing: r.status)): \(r.stderr)")
        #expect(r.stderr.contains("refusing the socket directory \(link.path): it is a symbolic link"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: real.appendingPathComponent("socket").path))
    }

    @Test func directoryOfAnotherUserIsRefused() throws {
        let dir = try directory("theirs", mode: 0o700, owner: Self.nobody)
        let r = try serve(dir.appendingPathComponent("socket").path)
        #expect(r.status == 73, "\(String(describing: r.status)): \(r.stderr)")
        #expect(r.stderr.contains("refusing the socket directory \(dir.path): it belongs to nobody (uid 65534), not to root (uid 0)"), "\(r.stderr)")
    }

    @Test(arguments: [(0o777 as mode_t, "every user may write to it (mode 777)"), (0o770 as mode_t, "its group may write to it (mode 770)")])
    func directoryWritableByOthersIsRefused(_ mode: mode_t, _ words: String) throws {
        let dir = try directory("open", mode: mode)
        let r = try serve(dir.appendingPathComponent("socket").path)
        #expect(r.status == 73, "\(String(describing: r.status)): \(r.stderr)")
        #expect(r.stderr.contains(words), "\(r.stderr)")
        #expect(r.stderr.contains("not sticky"), "\(r.stderr)")
    }

    /// A sticky directory writable by everyone (like /tmp) is fine, and so is the default
    /// directory, which the daemon creates 0700.
    @Test func stickyAndDefaultDirectoriesAreAccepted() throws {
        let sticky = try directory("sticky", mode: 0o1777)
        let runtime = try directory("runtime", mode: 0o700)
        for socket in [sticky.appendingPathComponent("socket").path, nil] {
            var env = E2E.cleanEnvironment()
            env["XDG_RUNTIME_DIR"] = runtime.path
            let p = Process()
            p.executableURL = URL(fileURLWithPath: E2E.somacued)
            p.arguments = ["serve"] + (socket.map { ["--socket", $0] } ?? [])
            p.environment = env
            p.standardError = FileHandle.nullDevice
            try p.run()
            let path = socket ?? runtime.appendingPathComponent("somacue/socket").path
            // The socket file appears at bind(), a moment before listen(): ask until it answers.
            var status = try E2E.run(E2E.somacue, ["ping", "--socket", path], env: env)
            for _ in 0..<200 where status.status != 0 && p.isRunning {
                usleep(50_000)
                status = try E2E.run(E2E.somacue, ["ping", "--socket", path], env: env)
            }
            #expect(FileManager.default.fileExists(atPath: path), "no socket at \(path)")
            #expect(status.status == 0, "\(status.stderr)")
            kill(p.processIdentifier, SIGTERM)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
        var st = stat()
        #expect(lstat(runtime.appendingPathComponent("somacue").path, &st) == 0)
        #expect(st.st_mode & 0o7777 == 0o700)
    }

    @Test func unitDoesNotRestartOnExit73() throws {
        let unit = try String(contentsOf: E2E.repo.appendingPathComponent("systemd/somacued.service"), encoding: .utf8)
        let line = try #require(unit.split(separator: "\n").first { $0.hasPrefix("RestartPreventExitStatus=") })
        #expect(line.dropFirst("RestartPreventExitStatus=".count).split(separator: " ").contains("73"), "\(line)")
    }

    /// A real somacued running as `nobody`, its socket in a directory of its own that root can
    /// reach: `somacue status` as root connects, sees the server's uid and refuses.
    @Test(.enabled(if: E2E.nobodyCanRunTheBuild, "user nobody cannot reach this checkout (a private directory)"))
    func clientRefusesAServerOfAnotherUser() throws {
        let top = try directory("planted", mode: 0o755)
        let dir = top.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        #expect(chown(dir.path, Self.nobody, gid_t(Self.nobody)) == 0)
        #expect(chmod(dir.path, 0o700) == 0)
        let home = top.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        #expect(chown(home.path, Self.nobody, gid_t(Self.nobody)) == 0)
        let socket = dir.appendingPathComponent("socket").path
        var env = E2E.cleanEnvironment()
        env["HOME"] = home.path
        env["XDG_CONFIG_HOME"] = home.appendingPathComponent(".config").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=\(Self.nobody)", "--regid=\(Self.nobody)", "--clear-groups", E2E.somacued, "serve", "--socket", socket]
        p.environment = env
        let err = Pipe()
        p.standardError = err
        try p.run()
        defer {
            kill(p.processIdentifier, SIGTERM)
            p.waitUntilExit()
        }
        for _ in 0..<200 where !FileManager.default.fileExists(atPath: socket) && p.isRunning { usleep(50_000) }
        try #require(FileManager.default.fileExists(atPath: socket), "the daemon as nobody did not start")

        let r = try E2E.run(E2E.somacue, ["status", "--socket", socket])
        #expect(r.status == 69, "status \(r.status): \(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("the server on \(socket) runs as nobody (uid 65534), not as you (root (uid 0)); refusing to talk to it"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let start = try E2E.run(E2E.somacue, ["start", "activate-the-abdominals", "--socket", socket])
        #expect(start.status == 69, "status \(start.status): \(start.stderr)")
        #expect(start.stderr.contains("runs as nobody (uid 65534)"), "\(start.stderr)")
    }
}
