#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who owns a file or the other end of a Unix socket: the daemon trusts only its own socket
/// directory, and the client talks only to a daemon of its own user.
extension Platform {
    /// "alice (uid 1000)", or "uid 1234" when the user database does not know the uid.
    public static func userDescription(_ uid: uid_t) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let rc = getpwuid_r(uid, &entry, &buffer, buffer.count, &result)
        guard rc == 0, result != nil, let name = entry.pw_name else { return "uid \(uid)" }
        return "\(String(cString: name)) (uid \(uid))"
    }

    /// The uid of the process at the other end of a connected Unix socket, from SO_PEERCRED
    /// (for a listening server: the user that created the listening socket). Swift cannot see
    /// `struct ucred` without _GNU_SOURCE, so it is read as its three Int32 fields: pid, uid, gid.
    public static func peerUID(_ fd: Int32) -> uid_t? {
        var cred: (Int32, Int32, Int32) = (0, -1, -1)
        var length = socklen_t(MemoryLayout<(Int32, Int32, Int32)>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0,
              length == socklen_t(MemoryLayout<(Int32, Int32, Int32)>.size) else { return nil }
        return uid_t(bitPattern: cred.1)
    }
}
