#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opening the files somacue reads (config, sessions, exercises, manifests, cues) so that no
/// file can wedge the process: only regular files, and only up to a size.
///
/// `open(2)` on a FIFO blocks until a writer appears, and `read(2)` on `/dev/zero` or
/// `/dev/urandom` never ends; one such file (or a symlink to one) in a user's folder would freeze
/// the daemon. So the file is opened with `O_NONBLOCK` (which makes opening a FIFO return at
/// once), checked with `fstat` on the descriptor that was opened (no race with a rename), refused
/// unless it is a regular file, and refused when larger than the caller's limit. For a regular
/// file `O_NONBLOCK` changes nothing.
extension Platform {
    /// The largest TOML file read: far beyond any hand-written session (a few KiB).
    public static let maxTOMLBytes = 1 << 20

    /// Opens `path` for reading if it is a regular file of at most `maxBytes` bytes. Returns the
    /// descriptor (close-on-exec; the caller closes it) and the size. With `allowNullDevice`,
    /// `/dev/null` is accepted as an empty file (`--config /dev/null` means "the defaults").
    public static func openRegularFile(_ path: String, maxBytes: Int, allowNullDevice: Bool = false) throws(IOError) -> (fd: Int32, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw IOError(path: path, errno: errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let code = errno
            close(fd)
            throw IOError(path: path, errno: code)
        }
        if allowNullDevice && isNullDevice(st) { return (fd, 0) }
        guard st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw IOError(path: path, kind: .notRegular(fileTypeName(st.st_mode)))
        }
        guard st.st_size <= maxBytes else {
            close(fd)
            throw IOError(path: path, kind: .tooLarge(size: Int(st.st_size), limit: maxBytes))
        }
        return (fd, Int(st.st_size))
    }

    /// Reads a whole regular file of at most `maxBytes` (1 MiB unless told) as UTF-8 (invalid
    /// bytes are replaced). A file that grows past the limit while being read is refused too.
    public static func readFile(_ path: String, maxBytes: Int = maxTOMLBytes) throws(IOError) -> String {
        let (fd, size) = try openRegularFile(path, maxBytes: maxBytes, allowNullDevice: true)
        defer { close(fd) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        var buf = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError(path: path, errno: errno)
            }
            if n == 0 { break }
            bytes.append(contentsOf: buf[0..<n])
            if bytes.count > maxBytes { throw IOError(path: path, kind: .tooLarge(size: bytes.count, limit: maxBytes)) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True for the character device `/dev/null` is (whatever name it was opened by).
    static func isNullDevice(_ st: stat) -> Bool {
        var null = stat()
        return st.st_mode & S_IFMT == S_IFCHR && stat("/dev/null", &null) == 0
            && null.st_mode & S_IFMT == S_IFCHR && null.st_rdev == st.st_rdev
    }

    /// "a FIFO", "a character device", ... for messages.
    static func fileTypeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }

    /// "1 MiB", "64 MiB", "1.5 KiB" or "300 bytes".
    public static func byteSize(_ n: Int) -> String {
        if n >= 1 << 20 && n % (1 << 20) == 0 { return "\(n >> 20) MiB" }
        if n >= 1 << 20 { return "\(n >> 20).\((n % (1 << 20)) * 10 >> 20) MiB" }
        if n >= 1 << 10 && n % (1 << 10) == 0 { return "\(n >> 10) KiB" }
        return "\(n) bytes"
    }
}
