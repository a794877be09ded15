import Foundation
import Glibc
import Synchronization
import Testing
import SomacueCore
import SomacueProtocol
@testable import SomacueDaemon

// In-process harness: a real ControlServer on a real Unix socket in a temp directory, run on a
// background thread, driven by small blocking socket clients, with a fake player.

/// A player that records what the server asks of it. Commands:
/// - `toggle` emits `eventsPerToggle` events (alternately `state` and `phase`);
/// - `stop` fails with `wrong_state`;
/// - `status` answers `{"clients": N}`;
/// - anything else answers `{}` (null data).
final class FakePlayer: PlayerControl, Sendable {
    struct State {
        var handled: [Command] = []
        var handledCount = 0
        var events: [(EventName, [(String, JSON)])] = []
        var eventsPerToggle = 10
        var tickInterval: Int?
        var ticks = 0
        var reloads = 0
        var reloadResult: Result<JSON, ProtocolError> = .success(.null)
        var shutdowns = 0
        var clientCount = 0
        var emitted = 0
    }

    let state = Mutex(State())
    private let reloadHook = Mutex<(@Sendable () -> Void)?>(nil)
    /// Runs on the server's thread inside `reload()`.
    var onReload: (@Sendable () -> Void)? {
        get { reloadHook.withLock { $0 } }
        set { reloadHook.withLock { $0 = newValue } }
    }

    init(eventsPerToggle: Int = 10, tickInterval: Int? = nil) {
        state.withLock {
            $0.eventsPerToggle = eventsPerToggle
            $0.tickInterval = tickInterval
        }
    }

    func handle(_ command: Command) -> Result<JSON, ProtocolError> {
        state.withLock { s in
            s.handledCount += 1
            if s.handled.count < 1000 { s.handled.append(command) }
            switch command {
            case .toggle:
                for _ in 0..<s.eventsPerToggle {
                    let name: EventName = s.emitted % 2 == 0 ? .state : .phase
                    s.events.append((name, [("n", .int(Int64(s.emitted))), ("pad", .string(String(repeating: "x", count: 40)))]))
                    s.emitted += 1
                }
                return .success(.null)
            case .stop:
                return .failure(ProtocolError(.wrongState, "nothing is playing"))
            case .status:
                return .success(.object([("clients", .int(Int64(s.clientCount)))]))
            default:
                return .success(.null)
            }
        }
    }

    func takeEvents() -> [(EventName, [(String, JSON)])] {
        state.withLock { s in
            defer { s.events = [] }
            return s.events
        }
    }

    var tickInterval: Int? { state.withLock { $0.tickInterval } }
    func tick() { state.withLock { $0.ticks += 1 } }
    func reload() -> Result<JSON, ProtocolError> {
        onReload?()
        return state.withLock { s in
            s.reloads += 1
            return s.reloadResult
        }
    }
    func shutdown() { state.withLock { $0.shutdowns += 1 } }
    var clientCount: Int {
        get { state.withLock { $0.clientCount } }
        set { state.withLock { $0.clientCount = newValue } }
    }

    var handledCount: Int { state.withLock { $0.handledCount } }
    var handled: [Command] { state.withLock { $0.handled } }
    var reloads: Int { state.withLock { $0.reloads } }
    var shutdowns: Int { state.withLock { $0.shutdowns } }
    var ticks: Int { state.withLock { $0.ticks } }
}

/// Log lines the server wrote.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ text: String) { lines.withLock { $0.append(text) } }
    var all: [String] { lines.withLock { $0 } }
    func contains(_ fragment: String) -> Bool { all.contains { $0.contains(fragment) } }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A fresh directory under /tmp, short enough for sun_path, removed by `cleanup`.
func makeTempDirectory() -> String {
    var template = Array("/tmp/scd-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp failed")
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Runs a server on its own thread. The socket is bound before `start` returns, so clients can
/// connect at once.
final class Harness: @unchecked Sendable {
    let directory: String
    let path: String
    let player: FakePlayer
    let log = LogCapture()
    let server: ControlServer
    private let outcome = Outcome()

    /// What `run()` returned, shared with the server's thread.
    private final class Outcome: Sendable {
        let finished = DispatchSemaphore(value: 0)
        let result = Mutex<Result<Void, ServerError>?>(nil)
    }

    init(config: Config = Config(), player: FakePlayer = FakePlayer(), allowedUID: uid_t = getuid(),
         handleSignals: Bool = false, socketName: String = "run/somacue/socket", directory: String? = nil) {
        self.directory = directory ?? makeTempDirectory()
        path = self.directory + "/" + socketName
        self.player = player
        let capture = log
        let logger = DaemonLogger(minimumLevel: .debug, journal: false, sink: { capture.append($0) })
        server = ControlServer(socketPath: path, config: config, player: player, appVersion: "9.9-test",
                               logger: logger, allowedUID: allowedUID, handleSignals: handleSignals)
        server.notifySocket = nil
    }

    /// Binds, then runs the loop on a background thread.
    func start() throws {
        try server.bind()
        // Captures the parts, not self: a Harness owning a thread owning the Harness would leak.
        let (server, outcome) = (UncheckedBox(server), outcome)
        Thread {
            let r = Result { () throws(ServerError) in try server.value.run() }
            outcome.result.withLock { $0 = r }
            outcome.finished.signal()
        }.start()
    }

    /// Waits for `run()` to return; nil on timeout.
    func waitForExit(timeout: Double = 10) -> Result<Void, ServerError>? {
        guard outcome.finished.wait(timeout: .now() + timeout) == .success else { return nil }
        outcome.finished.signal()  // later waits return at once
        return outcome.result.withLock { $0 }
    }

    func stop() {
        server.requestStop()
        _ = waitForExit()
    }

    func cleanup() {
        stop()
        removeTree(directory)
    }

    func connect() throws -> TestClient { try TestClient(path: path) }

    /// Connects and reads the greeting.
    func connectGreeted() throws -> TestClient {
        let c = try connect()
        guard let line = c.readLine() else { throw HarnessError("no greeting") }
        guard line.hasPrefix("{\"somacue\":") else { throw HarnessError("unexpected greeting \(line)") }
        return c
    }
}

/// Polls `condition` every 5 ms until it holds or `timeout` passes.
@discardableResult
func waitUntil(timeout: Double = 5, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}

/// A blocking Unix-socket client with timeouts, tolerant of EINTR (the signal tests deliver
/// signals to this process while other tests run).
final class TestClient: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private(set) var sawEOF = false

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
        let rc = UnixSocket.withAddress(Array(path.utf8)) { Glibc.connect(fd, $0, $1) } ?? -1
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw HarnessError("connect \(path): \(String(cString: strerror(e)))")
        }
    }

    deinit { Glibc.close(fd) }

    /// Waits up to `timeout` for readable data and appends it; false on timeout or EOF.
    @discardableResult
    func fill(timeout: Double) -> Bool {
        guard !sawEOF else { return false }
        let end = Date().addingTimeInterval(timeout)
        while true {
            let left = end.timeIntervalSinceNow
            if left <= 0 { return false }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, Int32(left * 1000) + 1)
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { return false }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 {
                if start > 0 && start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
                buffer.append(contentsOf: chunk[0..<n])
                return true
            }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            sawEOF = true  // 0, or ECONNRESET when the server closed with our bytes unread
            return false
        }
    }

    /// The next line without its "\n"; nil on EOF or timeout.
    func readLine(timeout: Double = 5) -> String? {
        let end = Date().addingTimeInterval(timeout)
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[start..<nl], as: UTF8.self)
                start = nl + 1
                return line
            }
            let left = end.timeIntervalSinceNow
            if left <= 0 || !fill(timeout: left) { return nil }
        }
    }

    func readLines(_ count: Int, timeout: Double = 10) -> [String] {
        var lines: [String] = []
        let end = Date().addingTimeInterval(timeout)
        while lines.count < count, let line = readLine(timeout: max(0.001, end.timeIntervalSinceNow)) { lines.append(line) }
        return lines
    }

    /// True when the server closes the connection within `timeout`; unread lines are kept.
    func waitForEOF(timeout: Double = 5) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while !sawEOF && end.timeIntervalSinceNow > 0 { fill(timeout: end.timeIntervalSinceNow) }
        return sawEOF
    }

    /// Lines still buffered (after EOF, say).
    func remainingLines() -> [String] {
        var lines: [String] = []
        while let nl = buffer[start...].firstIndex(of: 0x0A) {
            lines.append(String(decoding: buffer[start..<nl], as: UTF8.self))
            start = nl + 1
        }
        return lines
    }

    var unreadByteCount: Int { buffer.count - start }

    /// Writes everything, reading into the buffer meanwhile so that a server applying
    /// back-pressure never deadlocks with us.
    func send(_ bytes: [UInt8], timeout: Double = 30) {
        var offset = 0
        let end = Date().addingTimeInterval(timeout)
        while offset < bytes.count && end.timeIntervalSinceNow > 0 {
            var p = pollfd(fd: fd, events: Int16(POLLOUT | POLLIN), revents: 0)
            let r = poll(&p, 1, 100)
            if r < 0 && errno == EINTR { continue }
            if p.revents & Int16(POLLIN) != 0 && !sawEOF { fill(timeout: 0.001) }
            if p.revents & Int16(POLLOUT) != 0 {
                let n = bytes.withUnsafeBytes {
                    Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                }
                if n > 0 { offset += n } else if n < 0 && errno != EAGAIN && errno != EINTR { return }
            }
            if p.revents & Int16(POLLHUP | POLLERR) != 0 && p.revents & Int16(POLLOUT) == 0 { return }
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Writes what fits without blocking and without reading; returns the bytes written.
    func sendWithoutReading(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.withUnsafeBytes { raw in
            let n = Glibc.send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            return max(n, 0)
        }
    }

    /// Sends one line and returns the parsed reply.
    func request(_ line: String, timeout: Double = 5) -> JSON? {
        send(line + "\n")
        return readLine(timeout: timeout).flatMap { try? parseJSON(Array($0.utf8)) }
    }

    func shutdownWrite() { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }
}

func json(_ line: String?) -> JSON? { line.flatMap { try? parseJSON(Array($0.utf8)) } }

/// The error code of a reply line, or nil when it is a success or not a reply.
func errorCode(_ reply: JSON?) -> String? {
    guard case .object(let error)? = reply?["error"], case .string(let code)? = JSON.object(error)["code"] else { return nil }
    return code
}

func replyID(_ reply: JSON?) -> JSON? { reply?["id"] }

func isOK(_ reply: JSON?) -> Bool { reply?["ok"] == .bool(true) }

func config(_ change: (inout Config) -> Void) -> Config {
    var c = Config()
    change(&c)
    return c
}
