#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a cache keys a file by: its size and modification time. A file whose stamp is
/// unchanged is taken to be unchanged (the way make and most build tools decide).
public struct FileStamp: Hashable, Sendable {
    public var size: Int64
    /// Modification time in nanoseconds since the epoch.
    public var modified: Int64

    public init(size: Int64, modified: Int64) {
        self.size = size
        self.modified = modified
    }
}

extension Platform {
    /// The stamp of a regular file (following symlinks), or nil when it is missing or not a
    /// regular file.
    public static func stamp(_ path: String) -> FileStamp? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        let (ns, overflow) = Int64(st.st_mtim.tv_sec).multipliedReportingOverflow(by: 1_000_000_000)
        return FileStamp(size: Int64(st.st_size), modified: overflow ? Int64(st.st_mtim.tv_sec) : ns + Int64(st.st_mtim.tv_nsec))
    }

    /// `$XDG_CACHE_HOME/somacue`, else `$HOME/.cache/somacue`; nil when neither variable is set
    /// (or XDG_CACHE_HOME is relative, which the XDG rules say to ignore and HOME is missing).
    public static func cacheDirectory() -> String? { baseDirectory(.cache).map { $0 + "/somacue" } }

    /// Writes `bytes` to a temporary file beside `path`, then renames it over `path`, so a
    /// reader sees the old file or the new one, never half of one. Creates the parent
    /// directories (mode 0700) as needed.
    public static func replaceFile(_ path: String, bytes: UnsafeRawBufferPointer, mode: mode_t = 0o600) throws(IOError) {
        let dir = dirname(path)
        try makeDirectories(dir, mode: 0o700)
        let temp = "\(path).\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw IOError(path: temp, errno: errno) }
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                unlink(temp)
                throw IOError(path: temp, errno: e)
            }
            offset += n
        }
        if close(fd) != 0 {
            let e = errno
            unlink(temp)
            throw IOError(path: temp, errno: e)
        }
        if rename(temp, path) != 0 {
            let e = errno
            unlink(temp)
            throw IOError(path: path, errno: e)
        }
    }
}
