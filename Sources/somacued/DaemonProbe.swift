import Glibc
import SomacueCore
import SomacueLibrary
import SomacueEngine
import SomacuePlatform
import SomacueProtocol

// Foreground `play` asks the running daemon (if any) what it has loaded, so that two sessions
// never speak over each other on one device unnoticed. One status request on the usual socket
// (--socket's rule: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket), a short timeout, and
// any failure means "no daemon": the check must never keep `play` from playing.

/// What the daemon of this user has loaded, or nil (none answers, idle, or anything unexpected).
func loadedDaemonSession(timeout seconds: Int = 1) -> DaemonSession? {
    guard case .success(let path) = Platform.controlSocketPath(explicit: nil) else { return nil }
    var addr = sockaddr_un()
    let bytes = Array(path.utf8)
    guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return nil }
    addr.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &addr.sun_path) { buffer in
        buffer.copyBytes(from: bytes)
        buffer[bytes.count] = 0
    }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var tv = timeval(tv_sec: seconds, tv_usec: 0)
    _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    // Only this user's own daemon is asked.
    guard connected == 0, Platform.peerUID(fd) == getuid() else { return nil }
    let request = Array(#"{"id":1,"cmd":"status"}"#.utf8) + [0x0A]
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
    var framer = LineFramer(maxLineBytes: 1 << 20)
    var buffer = [UInt8](repeating: 0, count: 16_384)
    while true {
        while case .line(let line)? = framer.nextLine() {
            guard let message = try? parseJSON(line), message["id"] == .int(1) else { continue }
            guard let data = message["data"], case .string(let state)? = data["state"], state != "idle",
                  case .string(let device)? = data["device"] else { return nil }
            var title: String?
            if case .string(let t)? = data["session"]?["title"] { title = t }
            return DaemonSession(state: state, title: title, device: device)
        }
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return nil }
        framer.feed(buffer[0..<n])
    }
}
