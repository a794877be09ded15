import Foundation
import Glibc
import Testing

/// A private real-time sound server for daemon tests: the repository's headless PulseAudio
/// (`scripts/headless-pulse.sh`, started here unless `scripts/test.sh` already did), with its
/// pipe sink captured from the FIFO.
final class Pulse: @unchecked Sendable {
    static let shared: Pulse? = Pulse()
    let env: [String: String]
    let fifo: String
    private let startedHere: Bool
    private let dir: String?

    private init?() {
        let script = E2E.pulseScript
        let pe = ProcessInfo.processInfo.environment
        if let server = pe["PULSE_SERVER"], let fifo = pe["SOMACUE_PULSE_FIFO"] {
            env = ["PULSE_SERVER": server, "PULSE_COOKIE": pe["PULSE_COOKIE"] ?? "",
                   "ALSA_CONFIG_PATH": E2E.alsaConf("to-pulse.conf")]
            self.fifo = fifo
            startedHere = false
            dir = nil
            return
        }
        guard let r = try? E2E.run("/bin/bash", [script, "start"], env: ProcessInfo.processInfo.environment), r.status == 0 else { return nil }
        var vars: [String: String] = [:]
        for line in r.stdout.split(separator: "\n") where line.hasPrefix("export ") {
            let kv = line.dropFirst(7).split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { vars[kv[0]] = kv[1] }
        }
        guard let fifo = vars["SOMACUE_PULSE_FIFO"] else { return nil }
        env = ["PULSE_SERVER": vars["PULSE_SERVER"] ?? "", "PULSE_COOKIE": vars["PULSE_COOKIE"] ?? "",
               "ALSA_CONFIG_PATH": vars["ALSA_CONFIG_PATH"] ?? ""]
        self.fifo = fifo
        startedHere = true
        dir = vars["SOMACUE_PULSE_DIR"]
        atexit {
            if let p = Pulse.shared, p.startedHere, let d = p.dir {
                _ = try? E2E.run("/bin/bash", [E2E.pulseScript, "stop"],
                                 env: ["SOMACUE_PULSE_DIR": d, "PATH": "/usr/bin:/bin"])
            }
        }
    }

    /// Reads the sink's FIFO into a file until `stop()`: everything the sink plays, in real time.
    final class Capture {
        let url: URL
        let process: Process
        init(fifo: String) throws {
            url = E2E.tempDir("cap").appendingPathComponent("capture.raw")
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            // The sink's FIFO holds 64 KiB (0.34 s): a reader kept off the cores longer than that
            // by a busy machine breaks the capture. Where allowed (root, as in CI), the reader
            // runs at the lowest real-time priority, like the daemon's audio threads.
            process.arguments = ["-c", "chrt -f 1 true 2>/dev/null && exec chrt -f 1 cat \"$0\" > \"$1\"; exec cat \"$0\" > \"$1\"",
                                 fifo, url.path]
            try process.run()
            usleep(100_000)
        }
        /// Stops reading and returns the left channel (the mix is mono on both channels).
        func stop() throws -> [Int16] {
            // SIGKILL: processes spawned from test threads may inherit a mask blocking SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let d = try Data(contentsOf: url)
            var left: [Int16] = []
            left.reserveCapacity(d.count / 4)
            d.withUnsafeBytes { raw in
                let p = raw.bindMemory(to: Int16.self)
                var i = 0
                while i + 1 < p.count { left.append(Int16(littleEndian: p[i])); i += 2 }
            }
            return left
        }
    }
}

/// A blocking NDJSON client on the daemon's socket.
final class ControlConnection {
    let fd: Int32
    var buffer: [UInt8] = []
    var nextID: Int64 = 1
    /// Events received while waiting for replies.
    var events: [[String: Any]] = []
    var greeting: [String: Any] = [:]

    init(path: String, timeout: Double = 5) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let bytes = Array(path.utf8)
            for (i, b) in bytes.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        greeting = try readObject() ?? [:]
    }

    deinit { close(fd) }

    func send(raw: String) {
        let bytes = Array(raw.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    /// The next JSON line, or nil at EOF / timeout.
    func readObject() throws -> [String: Any]? {
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = Array(buffer[..<nl])
                buffer.removeSubrange(...nl)
                return try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            buffer += chunk[..<n]
        }
    }

    /// Sends a request and returns its reply, keeping interleaved events.
    @discardableResult
    func request(_ cmd: String, _ args: [String: Any]? = nil) throws -> [String: Any] {
        let id = nextID
        nextID += 1
        var req: [String: Any] = ["id": id, "cmd": cmd]
        if let args { req["args"] = args }
        let data = try JSONSerialization.data(withJSONObject: req)
        send(raw: String(decoding: data, as: UTF8.self) + "\n")
        while let obj = try readObject() {
            if obj["event"] != nil { events.append(obj); continue }
            return obj
        }
        throw POSIXError(.ETIMEDOUT)
    }

    func data(_ cmd: String, _ args: [String: Any]? = nil) throws -> [String: Any] {
        let r = try request(cmd, args)
        guard r["ok"] as? Bool == true else {
            throw NSError(domain: "somacue", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(cmd) failed: \(r)"])
        }
        return r["data"] as? [String: Any] ?? [:]
    }
}

/// A daemon in a private XDG world: its own runtime dir (socket), config dir (library, voices)
/// and log, on the headless PulseAudio.
final class TestDaemon {
    let home: URL
    let runtime: URL
    let socket: String
    let process: Process
    let log: URL
    var env: [String: String]

    /// A tiny exercise and session with very short phases and texts, and a voice pack for their
    /// cues (generated with the repository's own generator), installed as user files.
    static func installLibrary(into config: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: config.appendingPathComponent("somacue/exercises"), withIntermediateDirectories: true)
        try fm.createDirectory(at: config.appendingPathComponent("somacue/sessions"), withIntermediateDirectories: true)
        try """
            [exercise]
            id = "test-lift"
            title = "Test Lift"
            sides = true
            reps = 1
            position = "Lie down."
            [exercise.contract]
            say = "Lift."
            seconds = 0.6
            [exercise.release]
            say = "Lower slowly."
            seconds = 1.8
            [exercise.rest]
            say = "Rest."
            seconds = 0.5
            """.write(to: config.appendingPathComponent("somacue/exercises/test-lift.toml"), atomically: true, encoding: .utf8)
        try """
            [exercise]
            id = "test-curl"
            title = "Test Curl"
            reps = 2
            position = "Stay there."
            [exercise.contract]
            say = "Curl."
            seconds = 0.6
            [exercise.release]
            say = "Uncurl."
            [exercise.rest]
            say = "Rest."
            seconds = 0.5
            """.write(to: config.appendingPathComponent("somacue/exercises/test-curl.toml"), atomically: true, encoding: .utf8)
        try """
            [session]
            id = "daemon-test"
            title = "Daemon Test"
            description = "A short session for the daemon tests."
            opening = "Hello."
            closing = "Bye."
            [[step]]
            exercise = "test-lift"
            [[step]]
            exercise = "test-curl"
            release = 1.5
            """.write(to: config.appendingPathComponent("somacue/sessions/daemon-test.toml"), atomically: true, encoding: .utf8)
        try "[session]\nsafety_note = false\n[audio]\npreroll_ms = 300\n".write(
            to: config.appendingPathComponent("somacue/config.toml"), atomically: true, encoding: .utf8)
        var env = E2E.cleanEnvironment()
        env["XDG_CONFIG_HOME"] = config.path
        let voice = config.appendingPathComponent("somacue/voices/test")
        let r = try E2E.run("/usr/bin/env", ["python3", E2E.repo.appendingPathComponent("cues/generate.py").path, "--somacued", E2E.somacued,
                                             "--engine", "espeak", "--only-missing", "--out", voice.path, "daemon-test"], env: env)
        precondition(r.status == 0, "generate.py: \(r.stderr)")
        // The test voice is the config default, so `start` needs no voice argument.
        try "[session]\nsafety_note = false\nvoice = \"test\"\n[audio]\npreroll_ms = 300\n".write(
            to: config.appendingPathComponent("somacue/config.toml"), atomically: true, encoding: .utf8)
    }

    init(extraConfig: String = "", socketPath: String? = nil, extraEnv: [String: String] = [:]) throws {
        home = E2E.tempDir("daemon")
        runtime = home.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true)
        chmod(runtime.path, 0o700)
        let config = home.appendingPathComponent("config")
        try Self.installLibrary(into: config)
        if !extraConfig.isEmpty {
            let f = config.appendingPathComponent("somacue/config.toml")
            try (try String(contentsOf: f, encoding: .utf8) + extraConfig).write(to: f, atomically: true, encoding: .utf8)
        }
        socket = socketPath ?? runtime.appendingPathComponent("somacue/socket").path
        env = E2E.cleanEnvironment(Pulse.shared?.env ?? [:])
        env["HOME"] = home.path
        env["XDG_CONFIG_HOME"] = config.path
        env["XDG_RUNTIME_DIR"] = runtime.path
        env["XDG_STATE_HOME"] = home.appendingPathComponent("state").path
        for (k, v) in extraEnv { env[k] = v }
        log = home.appendingPathComponent("somacued.log")
        process = Process()
        process.executableURL = URL(fileURLWithPath: E2E.somacued)
        process.arguments = ["serve"] + (socketPath.map { ["--socket", $0] } ?? [])
        process.environment = env
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let h = try FileHandle(forWritingTo: log)
        process.standardError = h
        process.standardOutput = h
        try process.run()
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(50_000) }
    }

    func connect() throws -> ControlConnection { try ControlConnection(path: socket) }

    func stop() { Self.end(process) }

    /// SIGTERM, SIGKILL if it is still running 3 s later; returns once it has exited.
    static func end(_ p: Process) {
        if p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(3)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    /// Another somacued on this daemon's environment (its socket, config and state) and `extra`,
    /// writing its stderr and stdout to `name` in the home folder; returns once its socket
    /// answers. With `journal`, `JOURNAL_STREAM` names that file, so the daemon writes as it
    /// would to journald (a `<N>` priority before every line).
    func launch(log name: String, extra: [String: String] = [:], journal: Bool = false) throws -> (Process, URL) {
        var environment = env
        for (k, v) in extra { environment[k] = v }
        let log = home.appendingPathComponent(name)
        FileManager.default.createFile(atPath: log.path, contents: nil)
        if journal {
            var st = stat()
            guard stat(log.path, &st) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            environment["JOURNAL_STREAM"] = "\(st.st_dev):\(st.st_ino)"
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: E2E.somacued)
        p.arguments = ["serve"]
        p.environment = environment
        let h = try FileHandle(forWritingTo: log)
        p.standardError = h
        p.standardOutput = h
        try p.run()
        for _ in 0..<200 {
            if (try? ControlConnection(path: socket)) != nil { break }
            usleep(50_000)
        }
        return (p, log)
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    deinit { stop() }
}

extension DaemonTests {
    /// The render of the daemon-test session (what a daemon must play), and the segment and
    /// frame where its first release phase starts (where the restore and device-loss tests
    /// interrupt it).
    func renderAndFirstRelease(_ d: TestDaemon) throws -> (expected: [Int16], segment: Int, phaseStart: Int) {
        let expected = try render(d)
        let segments = try #require(try timeline(d)["segments"] as? [[String: Any]])
        let k = try #require(segments.firstIndex { $0["phase"] as? String == "release" })
        return (expected, k, try #require(segments[k]["frame"] as? Int))
    }
}

/// Finds `needle` in `hay` starting the search at `from`; returns the index or nil.
func find(_ needle: ArraySlice<Int16>, in hay: [Int16], from: Int = 0) -> Int? {
    guard !needle.isEmpty, hay.count >= needle.count else { return nil }
    let first = needle.first!
    var i = max(0, from)
    while i + needle.count <= hay.count {
        if hay[i] == first && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
        i += 1
    }
    return nil
}
