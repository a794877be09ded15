#if canImport(Glibc)
import Glibc
#endif
import SomacuePlatform

/// Why the control server could not start (or, rarely, had to stop). Each case reads as one
/// line after "somacued: ".
public enum ServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No socket path could be chosen (no `--socket`, `SOMACUE_SOCKET` or `XDG_RUNTIME_DIR`).
    case noSocketPath(String)
    /// Another daemon answers on this socket; the caller exits 75.
    case alreadyRunning(String)
    /// The path does not fit `sun_path`.
    case pathTooLong(String, limit: Int)
    /// Something other than a socket is at the path; it is left alone.
    case notASocket(String)
    /// The socket's directory could let someone else replace the socket; the caller exits 73.
    case untrustedDirectory(String, reason: String)
    /// A system call failed: what was being done, and errno.
    case system(String, errno: Int32)

    public var description: String {
        switch self {
        case .noSocketPath(let message):
            message
        case .alreadyRunning(let path):
            "already running (socket \(path))"
        case .pathTooLong(let path, let limit):
            "socket path is \(path.utf8.count) bytes, longer than the \(limit) a Unix socket allows: \(path); pass a shorter --socket PATH"
        case .notASocket(let path):
            "\(path) exists and is not a socket; remove it or pass another --socket PATH"
        case .untrustedDirectory(let dir, let reason):
            "refusing the socket directory \(dir): \(reason)"
        case .system(let what, let code):
            "\(what): \(String(cString: strerror(code)))"
        }
    }

    /// The exit status the daemon should use (sysexits.h, as in docs/ARCHITECTURE.md).
    public var exitStatus: Int32 {
        switch self {
        case .alreadyRunning: ExitStatus.tempFail
        case .noSocketPath, .pathTooLong: ExitStatus.usage
        case .notASocket, .untrustedDirectory, .system: ExitStatus.cannotCreate
        }
    }
}
