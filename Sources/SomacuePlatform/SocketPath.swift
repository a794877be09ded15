/// Why no control-socket path could be chosen. A struct rather than a bare `String` because
/// `Result` needs an `Error` and a retroactive `String: Error` would leak into every client.
public struct SocketPathError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Platform {
    /// Where the daemon listens and the CLI connects, the same rule for both: `--socket PATH`,
    /// else `$SOMACUE_SOCKET`, else `$XDG_RUNTIME_DIR/somacue/socket`. Relative paths are made
    /// absolute so that a daemon started by the CLI from the same directory binds the same file.
    public static func controlSocketPath(explicit: String?) -> Result<String, SocketPathError> {
        if let explicit, !explicit.isEmpty { return .success(absolute(explicit)) }
        if let path = env("SOMACUE_SOCKET") { return .success(absolute(path)) }
        guard let runtime = env("XDG_RUNTIME_DIR") else {
            return .failure(SocketPathError("XDG_RUNTIME_DIR is not set; pass --socket PATH or set SOMACUE_SOCKET"))
        }
        // The XDG spec says to ignore a relative value; a socket under the current directory
        // would differ between the daemon and each client.
        guard runtime.hasPrefix("/") else {
            return .failure(SocketPathError("XDG_RUNTIME_DIR (\(runtime)) is not an absolute path; pass --socket PATH or set SOMACUE_SOCKET"))
        }
        return .success((runtime.hasSuffix("/") ? String(runtime.dropLast()) : runtime) + "/somacue/socket")
    }
}
