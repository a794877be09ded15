import Foundation
import Glibc
import Testing

/// A FIFO, a device or an endless file where somacue expects a TOML or cue file is refused at
/// once with an error naming the file (issue 6, defect 2). Before the fix, opening a FIFO
/// blocked forever (a daemon stopped answering and ignored SIGTERM) and a symlink to /dev/zero
/// was read until memory ran out. Every run here has a deadline, so a hang fails the test.
@Suite("Special files", .serialized)
struct SpecialFileTests {
    /// Runs a program with a deadline; `status` is nil when it had to be killed.
    struct Bounded {
        var status: Int32?
        var stderr: String
        var stdout: String
    }

    static func run(_ executable: String, _ args: [String], env: [String: String], deadline: Double = 20) throws -> Bounded {
        let dir = E2E.tempDir("bounded")
        let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        let end = Date().addingTimeInterval(deadline)
        while p.isRunning && Date() < end { usleep(20_000) }
        var status: Int32?
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
        }
        p.waitUntilExit()
        if p.terminationReason == .exit { status = p.terminationStatus }
        return Bounded(status: status,
                       stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
                       stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "")
    }

    /// A FIFO, a symlink to /dev/zero, a directory and a file of 1 MiB + 1 byte, each named
    /// `<kind>.toml` in `dir`.
    static func makeSpecialTOMLFiles(in dir: URL) throws -> [(name: String, reason: String)] {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        #expect(mkfifo(dir.appendingPathComponent("fifo.toml").path, 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("zero.toml").path, withDestinationPath: "/dev/zero")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("folder.toml"), withIntermediateDirectories: true)
        let big = "# padding\n" + String(repeating: "#", count: (1 << 20) - 10) + "\n"
        try big.write(to: dir.appendingPathComponent("big.toml"), atomically: true, encoding: .utf8)
        return [("fifo.toml", "it is a FIFO (named pipe), not a regular file"),
                ("zero.toml", "it is a character device, not a regular file"),
                ("folder.toml", "it is a directory, not a regular file"),
                ("big.toml", "it is 1.0 MiB, more than the 1 MiB allowed")]
    }

    @Test func validateRefusesSpecialTOMLFilesAtOnce() throws {
        let dir = E2E.tempDir("special")
        let files = try Self.makeSpecialTOMLFiles(in: dir)
        let r = try Self.run(E2E.somacued, ["validate"] + files.map { dir.appendingPathComponent($0.name).path },
                             env: E2E.cleanEnvironment())
        #expect(r.status == 1, "validate hung or crashed: \(String(describing: r.status))\n\(r.stderr)")
        for f in files {
            #expect(r.stderr.contains("\(dir.appendingPathComponent(f.name).path): error: cannot read: \(f.reason)"), "\(f.name): \(r.stderr)")
        }
    }

    @Test func sessionAndConfigArgumentsThatAreNotFilesAreRefused() throws {
        let dir = E2E.tempDir("special-args")
        _ = try Self.makeSpecialTOMLFiles(in: dir)
        let env = E2E.cleanEnvironment()
        let session = try Self.run(E2E.somacued, ["timeline", dir.appendingPathComponent("zero.toml").path], env: env)
        #expect(session.status == 65, "\(String(describing: session.status)): \(session.stderr)")
        #expect(session.stderr.contains("zero.toml: error: cannot read: it is a character device"), "\(session.stderr)")
        let config = try Self.run(E2E.somacued, ["timeline", "activate-the-abdominals", "--config", dir.appendingPathComponent("fifo.toml").path], env: env)
        #expect(config.status == 78, "\(String(describing: config.status)): \(config.stderr)")
        #expect(config.stderr.contains("fifo.toml: it is a FIFO (named pipe), not a regular file"), "\(config.stderr)")
        // /dev/null stays a way to say "no config, the defaults".
        let null = try Self.run(E2E.somacued, ["timeline", "activate-the-abdominals", "--config", "/dev/null"], env: env)
        #expect(null.status == 0, "\(null.stderr)")
        let daemon = try Self.run(E2E.somacued, ["serve", "--socket", dir.appendingPathComponent("s").path,
                                                 "--config", dir.appendingPathComponent("big.toml").path], env: env)
        #expect(daemon.status == 78, "\(String(describing: daemon.status)): \(daemon.stderr)")
        #expect(daemon.stderr.contains("big.toml: it is 1.0 MiB, more than the 1 MiB allowed"), "\(daemon.stderr)")
    }

    /// A voice pack whose cue files are a FIFO, a symlink to /dev/zero and a sparse file of
    /// 64 MiB + 1 byte; `validate` names each.
    @Test func validateRefusesSpecialCueFiles() throws {
        let dir = E2E.tempDir("special-cues")
        #expect(mkfifo(dir.appendingPathComponent("fifo.wav").path, 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("zero.wav").path, withDestinationPath: "/dev/zero")
        FileManager.default.createFile(atPath: dir.appendingPathComponent("big.wav").path, contents: Data("RIFF".utf8))
        #expect(truncate(dir.appendingPathComponent("big.wav").path, off_t(64 << 20) + 1) == 0)
        try """
            [[cue]]
            id = "a"
            file = "fifo.wav"
            kind = "tone"
            [[cue]]
            id = "b"
            file = "zero.wav"
            kind = "tone"
            [[cue]]
            id = "c"
            file = "big.wav"
            kind = "tone"
            """.write(to: dir.appendingPathComponent("manifest.toml"), atomically: true, encoding: .utf8)
        let r = try Self.run(E2E.somacued, ["validate", dir.appendingPathComponent("manifest.toml").path], env: E2E.cleanEnvironment())
        #expect(r.status == 1, "\(String(describing: r.status)): \(r.stderr)")
        #expect(r.stderr.contains("fifo.wav\": it is a FIFO (named pipe), not a regular file"), "\(r.stderr)")
        #expect(r.stderr.contains("zero.wav\": it is a character device, not a regular file"), "\(r.stderr)")
        #expect(r.stderr.contains("big.wav\" is too large for a cue: it is 64.0 MiB, more than the 64 MiB allowed"), "\(r.stderr)")
    }

    /// The daemon with special files in its library and a voice made of FIFOs: `reload` and
    /// `start` answer with errors, every other command keeps working, SIGTERM stops it.
    @Test func daemonKeepsAnsweringAndStops() throws {
        let d = try TestDaemon()
        defer { d.stop() }
        let c = try ControlConnection(path: d.socket, timeout: 20)
        let config = d.home.appendingPathComponent("config/somacue")
        let fm = FileManager.default
        #expect(mkfifo(config.appendingPathComponent("sessions/fifo.toml").path, 0o644) == 0)
        try fm.createSymbolicLink(atPath: config.appendingPathComponent("exercises/zero.toml").path, withDestinationPath: "/dev/zero")
        let reload = try c.request("reload")
        #expect(reload["ok"] as? Bool == false, "\(reload)")
        #expect("\(reload)".contains("fifo.toml: error: cannot read: it is a FIFO"), "\(reload)")
        #expect("\(reload)".contains("zero.toml: error: cannot read: it is a character device"), "\(reload)")
        try fm.removeItem(at: config.appendingPathComponent("sessions/fifo.toml"))
        try fm.removeItem(at: config.appendingPathComponent("exercises/zero.toml"))

        // Every audio file of a copy of the test voice replaced by a FIFO.
        let fifoVoice = config.appendingPathComponent("voices/fifo")
        try fm.copyItem(at: config.appendingPathComponent("voices/test"), to: fifoVoice)
        let audio = fm.enumerator(atPath: fifoVoice.path)!.compactMap { $0 as? String }.filter { !$0.hasSuffix(".toml") }
        var replaced = 0
        for file in audio where !((try? fifoVoice.appendingPathComponent(file).resourceValues(forKeys: [.isDirectoryKey]))?.isDirectory ?? false) {
            try fm.removeItem(at: fifoVoice.appendingPathComponent(file))
            #expect(mkfifo(fifoVoice.appendingPathComponent(file).path, 0o644) == 0)
            replaced += 1
        }
        #expect(replaced > 0)
        let start = try c.request("start", ["session": "daemon-test", "voice": "fifo"])
        #expect(start["ok"] as? Bool == false, "\(start)")
        #expect("\(start)".contains("it is a FIFO (named pipe), not a regular file"), "\(start)")
        #expect(try c.data("status")["state"] as? String == "idle")
        #expect(try c.data("ping").isEmpty)

        kill(d.process.processIdentifier, SIGTERM)
        let end = Date().addingTimeInterval(5)
        while d.process.isRunning && Date() < end { usleep(20_000) }
        #expect(!d.process.isRunning, "the daemon ignored SIGTERM")
    }
}
