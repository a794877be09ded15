import Foundation
import Glibc
import Testing

/// Foreground `play` on a real terminal (a pseudo-terminal of the test's own, 44 columns), in
/// real time through the headless PulseAudio, and its check of a daemon playing on the same
/// device. Plays through the shared sound server: one at a time (scripts/test.sh).
@Suite("Foreground play", .serialized)
struct ForegroundPlayTests {
    /// A child on a pseudo-terminal: its stdin, stdout and stderr are the terminal.
    final class Terminal {
        let master: Int32
        let process = Process()
        private(set) var output = ""

        init(_ executable: String, _ args: [String], env: [String: String], columns: UInt16) throws {
            // posix_openpt and friends are not visible to Swift here: /dev/ptmx and the two ioctls
            // they wrap (Linux: TIOCSPTLCK to unlock, TIOCGPTN for the number of the /dev/pts file).
            master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
            var unlock: Int32 = 0
            var number: UInt32 = 0
            guard master >= 0, ioctl(master, UInt(0x4004_5431), &unlock) == 0, ioctl(master, UInt(0x8004_5430), &number) == 0 else {
                throw POSIXError(.ENOTTY)
            }
            let name = "/dev/pts/\(number)"
            var size = winsize(ws_row: 24, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
            _ = ioctl(master, UInt(TIOCSWINSZ), &size)
            let slave = open(name, O_RDWR | O_NOCTTY)
            guard slave >= 0 else { throw POSIXError(.ENOTTY) }
            let handle = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = args
            process.environment = env
            process.standardInput = handle
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            try handle.close()
        }

        /// Reads until `text` has appeared (true) or `seconds` passed (false).
        func wait(for text: String, seconds: Double = 20) -> Bool {
            let end = Date().addingTimeInterval(seconds)
            while Date() < end {
                if output.contains(text) { return true }
                var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, 100) >= 0 else { return false }
                if pfd.revents & Int16(POLLIN) != 0 {
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    let n = read(master, &buffer, buffer.count)
                    if n <= 0 { return output.contains(text) }
                    output += String(decoding: buffer[0..<n], as: UTF8.self)
                } else if pfd.revents & Int16(POLLHUP) != 0 {
                    return output.contains(text)
                }
            }
            return output.contains(text)
        }

        func type(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        }

        func finish() -> Int32 {
            _ = wait(for: "\u{0}", seconds: 5)  // drain until the child closes the terminal
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            close(master)
            return process.terminationStatus
        }

        /// What the screen's lines held: the output split at line ends and carriage returns,
        /// without the erase-line sequences.
        var screenLines: [String] {
            output.replacingOccurrences(of: "\u{1B}[K", with: "")
                .split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).map(String.init)
        }
    }

    @Test func playShowsKeysAndABarThatFitsTheTerminal() throws {
        let pulse = try #require(Pulse.shared, "the headless PulseAudio did not start")
        // The sink plays in real time only while its FIFO is read.
        let cap = try Pulse.Capture(fifo: pulse.fifo)
        defer { _ = try? cap.stop() }
        let env = E2E.cleanEnvironment(pulse.env.merging(["XDG_RUNTIME_DIR": E2E.tempDir("norun").path]) { $1 })
        let t = try Terminal(E2E.somacue, ["play", CommandTests.shortSession, "--voice", CommandTests.testVoice.path], env: env, columns: 44)
        #expect(t.wait(for: "left"), "no progress line: \(t.output)")
        #expect(t.output.contains("space pause") && t.output.contains("q quit") && t.output.contains("? help")
                && t.output.contains("←/→ tempo") && t.output.contains("n/p"), "keys not shown: \(t.output)")
        t.type("?")
        #expect(t.wait(for: "this help"), "? shows no help: \(t.output)")
        t.type("\u{1B}[C")
        #expect(t.wait(for: "Tempo 1.1, from the next phase."), "→ did not speed up: \(t.output)")
        t.type("\u{1B}[D\u{1B}[D")
        #expect(t.wait(for: "Tempo 0.9, from the next phase."), "← did not slow down: \(t.output)")
        t.type(" ")
        #expect(t.wait(for: "paused "), "space did not pause: \(t.output)")
        t.type(" ")
        t.type("q")
        #expect(t.wait(for: "Stopped at"), "q did not stop: \(t.output)")
        #expect(t.finish() == 0, "\(t.output)")
        let lines = t.screenLines
        for line in lines {
            #expect(line.count < 44, "a line of \(line.count) columns on a 44-column terminal: \"\(line)\"")
        }
        let bars = lines.filter { $0.hasPrefix("[") && $0.contains(" left") }
        #expect(!bars.isEmpty, "no bar: \(lines)")
        #expect(bars.allSatisfy { $0.contains(" / ") }, "elapsed / total missing: \(bars)")
        #expect(!t.output.contains("ALSA lib"), "audio library messages reached the terminal: \(t.output)")
    }

    @Test func playRefusesWhileTheDaemonPlaysOnTheSameDevice() throws {
        let pulse = try #require(Pulse.shared, "the headless PulseAudio did not start")
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        let cap = try Pulse.Capture(fifo: pulse.fifo)
        defer { _ = try? cap.stop() }
        do { try refusalAndForce(daemon) } catch {
            Issue.record("\(error); daemon running: \(daemon.process.isRunning), socket \(daemon.socket) exists: \(FileManager.default.fileExists(atPath: daemon.socket)); its log:\n\(daemon.logText.suffix(3000))")
        }
    }

    func refusalAndForce(_ daemon: TestDaemon) throws {
        // The test voice first: making it takes a while, and the daemon closes a connection
        // left idle for 60 s.
        let short = [CommandTests.shortSession, "--voice", CommandTests.testVoice.path]
        // Loading a session takes a while on a loaded machine: a generous reply timeout. The
        // daemon plays a long shipped session, so it is still playing when play asks.
        // A connection per request: a foreground play may take longer than the daemon's idle
        // limit for a connection (60 s).
        func ask(_ cmd: String, _ args: [String: Any]? = nil) throws -> [String: Any] {
            try ControlConnection(path: daemon.socket, timeout: 60).data(cmd, args)
        }
        _ = try ask("start", ["session": "gluteal-release", "voice": "espeak"])
        var env = daemon.env
        env.removeValue(forKey: "SOMACUE_SOCKET")
        let refused = try E2E.run(E2E.somacue, ["play"] + short, env: env)
        #expect(refused.status == 75, "\(refused.status) \(refused.stderr)")
        #expect(refused.stderr.contains("somacued is playing Gluteal Release") && refused.stderr.contains("--force"), "\(refused.stderr)")
        // Paused: a warning, and play goes on (no terminal: it plays to the end). `pause` works
        // once the session plays (`start` replied `loading`).
        let end = Date().addingTimeInterval(60)
        while Date() < end, try ask("status")["state"] as? String == "loading" { usleep(50_000) }
        #expect(try ask("pause")["state"] as? String == "paused", "pause")
        let warned = try E2E.run(E2E.somacue, ["play"] + short, env: env)
        #expect(warned.status == 0, "\(warned.stderr)")
        #expect(warned.stderr.contains("warning: somacued has Gluteal Release"), "\(warned.stderr)")
        #expect(try ask("resume")["state"] as? String == "playing", "resume")
        let forced = try E2E.run(E2E.somacue, ["play"] + short + ["--force"], env: env)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(!forced.stderr.contains("somacued is playing"), "\(forced.stderr)")
        _ = try ask("stop")
    }
}
