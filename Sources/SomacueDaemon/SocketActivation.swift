#if canImport(Glibc)
import Glibc
#endif
import SomacuePlatform

// What systemd hands a service through its environment, read directly (the sd_listen_fds(3) and
// sd_watchdog_enabled(3) protocols, which systemd documents as stable): no libsystemd here, it
// belongs to the MPRIS module alone.

public enum SocketActivation {
    /// The first passed descriptor (SD_LISTEN_FDS_START).
    static let firstFD: Int32 = 3

    /// A listening socket passed by systemd (socket activation), with the path it is bound to.
    public struct Inherited: Sendable, Equatable {
        public var fd: Int32
        public var path: String
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case notAListeningUnixSocket(Int32)
        case tooMany(Int)

        public var description: String {
            switch self {
            case .notAListeningUnixSocket(let fd):
                "descriptor \(fd) from systemd (LISTEN_FDS) is not a listening Unix stream socket; check ListenStream= in somacued.socket"
            case .tooMany(let n):
                "systemd passed \(n) sockets (LISTEN_FDS); somacued.socket must have exactly one ListenStream="
            }
        }
    }

    /// The listening socket systemd passed to this process, or nil when none was passed
    /// (LISTEN_PID is not this process, or LISTEN_FDS is unset). The variables are removed so
    /// that nothing this process starts believes they are meant for it.
    public static func take() -> Result<Inherited?, Failure> {
        defer {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        guard let pidText = Platform.env("LISTEN_PID"), let pid = Int32(pidText), pid == getpid(),
              let countText = Platform.env("LISTEN_FDS"), let count = Int(countText), count > 0 else {
            return .success(nil)
        }
        guard count == 1 else { return .failure(.tooMany(count)) }
        let fd = firstFD
        var type: Int32 = 0
        var listening: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0, type == Int32(SOCK_STREAM.rawValue) else {
            return .failure(.notAListeningUnixSocket(fd))
        }
        length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0, listening != 0,
              let path = boundPath(fd) else {
            return .failure(.notAListeningUnixSocket(fd))
        }
        UnixSocket.setCloexecNonblocking(fd)
        return .success(Inherited(fd: fd, path: path))
    }

    /// The filesystem path a Unix socket is bound to (nil for other families or abstract names).
    static func boundPath(_ fd: Int32) -> String? {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok, address.sun_family == sa_family_t(AF_UNIX) else { return nil }
        let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        let used = Int(length) - offset
        guard used > 1 else { return nil }
        let bytes = withUnsafeBytes(of: &address.sun_path) { Array($0.prefix(used)) }
        guard bytes.first != 0 else { return nil }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Half of `WATCHDOG_USEC` in seconds when systemd expects keep-alive pings from this process
    /// (WATCHDOG_PID unset or this process), else nil.
    public static func watchdogInterval() -> Double? {
        if let pidText = Platform.env("WATCHDOG_PID") {
            guard let pid = Int32(pidText), pid == getpid() else { return nil }
        }
        guard let text = Platform.env("WATCHDOG_USEC"), let usec = UInt64(text), usec > 0 else { return nil }
        return Double(usec) / 2_000_000
    }
}
