import Glibc
import SomacueCore
import SomacuePlatform
import SomacueProtocol

// A small blocking client for the control socket: connect, read the greeting, send one
// request, skip events until the reply with our id arrives. Plain Glibc calls with
// SO_RCVTIMEO/SO_SNDTIMEO, so a round trip costs two syscalls each way and nothing else.

/// Why talking to the daemon failed, and the exit status that goes with it.
enum ClientError: Error {
    /// Nothing listens on the path (ENOENT, ECONNREFUSED): the daemon is not running.
    case notRunning(path: String)
    /// The path exists but cannot be used (permissions, too long, not a socket, ...).
    case cannotConnect(path: String, reason: String)
    /// The daemon said nothing within the time limit.
    case timeout(path: String, seconds: Double)
    /// The connection closed before the reply.
    case closed(path: String)
    /// The other side does not speak this protocol.
    case badPeer(path: String, reason: String)
    /// The process listening on the path runs as another user (SO_PEERCRED): it is not this
    /// user's daemon, and nothing is sent to it.
    case otherUser(path: String, uid: uid_t)
    /// The daemon refused the request (or the connection): `{"ok": false, "error": {...}}`.
    case refused(code: String, message: String, error: JSON)

    var status: Int32 {
        switch self {
        case .refused: ExitStatus.refused
        default: ExitStatus.unavailable
        }
    }
}

/// One message from the daemon: the parsed object and the line's bytes as they arrived.
struct Message {
    var json: JSON
    var raw: [UInt8]
}

struct ControlClient {
    let path: String
    private let fd: Int32
    private var framer = LineFramer(maxLineBytes: 1 << 22)
    private var nextID: Int64 = 1
    private var timeout: Double
    private var closedByPeer = false
    /// The daemon's greeting, once read.
    private(set) var greeting: JSON?

    /// Connects without reading anything. `timeout` bounds every later read and write.
    static func connect(_ path: String, timeout: Double = 5) -> Result<ControlClient, ClientError> {
        var addr = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else {
            return .failure(.cannotConnect(path: path, reason: "a socket path must be 1 to \(capacity - 1) bytes"))
        }
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(.cannotConnect(path: path, reason: Platform.errorText(errno))) }
        setTimeout(fd, SO_SNDTIMEO, timeout)
        setTimeout(fd, SO_RCVTIMEO, timeout)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 {
            let e = errno
            Glibc.close(fd)
            switch e {
            case ENOENT, ECONNREFUSED: return .failure(.notRunning(path: path))
            case EAGAIN, EINPROGRESS: return .failure(.timeout(path: path, seconds: timeout))
            default: return .failure(.cannotConnect(path: path, reason: Platform.errorText(e)))
            }
        }
        // Anyone who can write to the socket's directory could have put a listener there; talk
        // only to one that runs as this user.
        guard let owner = Platform.peerUID(fd) else {
            let e = errno
            Glibc.close(fd)
            return .failure(.cannotConnect(path: path, reason: "cannot tell who runs the server: \(Platform.errorText(e))"))
        }
        guard owner == getuid() else {
            Glibc.close(fd)
            return .failure(.otherUser(path: path, uid: owner))
        }
        return .success(ControlClient(path: path, fd: fd, timeout: timeout))
    }

    private init(path: String, fd: Int32, timeout: Double) {
        self.path = path
        self.fd = fd
        self.timeout = timeout
    }

    func close() { _ = Glibc.close(fd) }

    /// Changes the read limit; nil blocks for as long as it takes (`follow`).
    mutating func setReadTimeout(_ seconds: Double?) {
        timeout = seconds ?? 0
        ControlClient.setTimeout(fd, SO_RCVTIMEO, seconds ?? 0)
    }

    private static func setTimeout(_ fd: Int32, _ option: Int32, _ seconds: Double) {
        let whole = Int(saturating: seconds, rounding: .towardZero)
        var tv = timeval(tv_sec: whole, tv_usec: Int(saturating: (seconds - Double(whole)) * 1e6, rounding: .towardZero))
        _ = setsockopt(fd, SOL_SOCKET, option, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends a request and returns its id. The request may go out before the greeting is read.
    mutating func send(_ command: Command) throws(ClientError) -> Int64 {
        let id = nextID
        nextID += 1
        let line = encodeRequest(id: id, command: command) + "\n"
        var failure: Int32 = 0
        line.utf8CString.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            var sent = 0
            let total = p.count - 1  // without the NUL
            while sent < total {
                let n = Glibc.send(fd, base + sent, total - sent, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                sent += n
            }
        }
        switch failure {
        case 0: return id
        case EAGAIN: throw .timeout(path: path, seconds: timeout)
        case EPIPE, ECONNRESET: throw .closed(path: path)
        default: throw .cannotConnect(path: path, reason: Platform.errorText(failure))
        }
    }

    /// The next line from the daemon, parsed. Throws on timeout, on close, or on a line that
    /// is not a JSON object.
    mutating func nextMessage() throws(ClientError) -> Message {
        while true {
            switch framer.nextLine() {
            case .line(let bytes)?:
                guard let json = try? parseJSON(bytes), case .object = json else {
                    throw .badPeer(path: path, reason: "it sent a line that is not a JSON object")
                }
                return Message(json: json, raw: bytes)
            case .tooLong?:
                throw .badPeer(path: path, reason: "it sent a line longer than \(framer.maxLineBytes) bytes")
            case nil:
                break
            }
            if closedByPeer { throw .closed(path: path) }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                if e == EAGAIN || e == EWOULDBLOCK { throw .timeout(path: path, seconds: timeout) }
                if e == ECONNRESET { throw .closed(path: path) }
                throw .cannotConnect(path: path, reason: Platform.errorText(e))
            }
            if n == 0 {
                closedByPeer = true
                if case .line(let bytes)? = framer.finish(), let json = try? parseJSON(bytes), case .object = json {
                    return Message(json: json, raw: bytes)
                }
                throw .closed(path: path)
            }
            framer.feed(buffer[0..<n])
        }
    }

    /// Reads the greeting if it has not been read yet. A connection-level error line in its
    /// place (e.g. too_many_clients) becomes `.refused`.
    mutating func readGreeting() throws(ClientError) {
        guard greeting == nil else { return }
        let m = try nextMessage()
        if let refusal = ControlClient.refusal(m.json) { throw refusal }
        guard case .int(let version)? = m.json["somacue"] else {
            throw .badPeer(path: path, reason: "its first line is not a somacue greeting")
        }
        guard version == Int64(protocolVersion) else {
            let other = m.json["version"].flatMap { if case .string(let s) = $0 { " " + s } else { nil } } ?? ""
            throw .badPeer(path: path, reason: "somacued\(other) speaks protocol \(version), this somacue speaks \(protocolVersion); install matching versions")
        }
        greeting = m.json
    }

    /// Reads until the reply to `id`, skipping events (or handing them to `events`) and anything
    /// else without our id. Returns the whole reply; a refusal throws.
    mutating func reply(to id: Int64, events: ((Message) -> Void)? = nil) throws(ClientError) -> Message {
        try readGreeting()
        while true {
            let m = try nextMessage()
            if m.json["event"] != nil && m.json["id"] == nil {
                events?(m)
                continue
            }
            switch m.json["id"] {
            case .int(let got)? where got == id:
                if let refusal = ControlClient.refusal(m.json) { throw refusal }
                guard case .bool(true)? = m.json["ok"] else {
                    throw .badPeer(path: path, reason: "its reply has no \"ok\"")
                }
                return m
            case .null?:
                // A connection-level error (line_too_long, too_many_clients) carries no id.
                if let refusal = ControlClient.refusal(m.json) { throw refusal }
            default:
                continue
            }
        }
    }

    /// One round trip.
    mutating func request(_ command: Command) throws(ClientError) -> Message {
        let id: Int64
        do { id = try send(command) } catch {
            // The request went out before the greeting was read; a daemon that refuses the
            // connection (too_many_clients) closes it, so its refusal line may be waiting.
            if case .closed = error { try readGreeting() }
            throw error
        }
        return try reply(to: id)
    }

    private static func refusal(_ json: JSON) -> ClientError? {
        guard case .bool(false)? = json["ok"] else { return nil }
        let error = json["error"] ?? .object([])
        let code = error["code"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? "error"
        let message = error["message"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? "the daemon refused the request"
        return .refused(code: code, message: message, error: error)
    }
}

/// The bytes of the value of top-level member `key` in a JSON object line, exactly as sent.
/// The line must already have parsed as a JSON object.
func rawMember(_ key: String, of line: [UInt8]) -> ArraySlice<UInt8>? {
    let wanted = Array(("\"" + key + "\"").utf8)
    var i = 0
    let n = line.count
    func skipSpace() { while i < n, line[i] == 0x20 || line[i] == 0x09 || line[i] == 0x0A || line[i] == 0x0D { i += 1 } }
    /// Moves past the string that starts at i (a quote).
    func skipString() {
        i += 1
        while i < n {
            if line[i] == 0x5C { i += 2; continue }
            if line[i] == 0x22 { i += 1; return }
            i += 1
        }
    }
    /// Moves past the value that starts at i.
    func skipValue() {
        var depth = 0
        while i < n {
            switch line[i] {
            case 0x22: skipString(); if depth == 0 { return }; continue
            case 0x7B, 0x5B: depth += 1
            case 0x7D, 0x5D:
                if depth == 0 { return }
                depth -= 1
                if depth == 0 { i += 1; return }
            case 0x2C, 0x20, 0x09, 0x0A, 0x0D: if depth == 0 { return }
            default: break
            }
            i += 1
        }
    }
    skipSpace()
    guard i < n, line[i] == 0x7B else { return nil }
    i += 1
    while true {
        skipSpace()
        guard i < n, line[i] == 0x22 else { return nil }
        let keyStart = i
        skipString()
        let isWanted = line[keyStart..<i].elementsEqual(wanted)
        skipSpace()
        guard i < n, line[i] == 0x3A else { return nil }
        i += 1
        skipSpace()
        let valueStart = i
        skipValue()
        if isWanted { return line[valueStart..<i] }
        skipSpace()
        guard i < n, line[i] == 0x2C else { return nil }
        i += 1
    }
}
