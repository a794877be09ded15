#if canImport(Glibc)
import Glibc
#endif
import SomacuePlatform

// Socket plumbing for the control server and the systemd notifier, on Glibc alone.

enum UnixSocket {
    /// Bytes in `sun_path`, including the terminating NUL of a filesystem path (108 on Linux).
    static let sunPathCapacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
    /// The longest filesystem path a Unix socket can have.
    static let maxPathBytes = sunPathCapacity - 1

    static let streamFlags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
    static let datagramFlags = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)

    /// Calls `body` with a `sockaddr_un` for `name` and its exact length, or returns nil when the
    /// name does not fit. An abstract name (Linux) starts with a NUL and is not NUL-terminated.
    static func withAddress<R>(_ name: some Collection<UInt8>, abstract: Bool = false,
                               _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R? {
        let used = name.count + 1  // the leading NUL of an abstract name, or the trailing one
        guard used <= sunPathCapacity, !name.contains(0) else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: name)
            if abstract {
                // Shift right by one: byte 0 is the NUL that marks the abstract namespace.
                for i in stride(from: name.count, to: 0, by: -1) { raw[i] = raw[i - 1] }
                raw[0] = 0
            }
        }
        let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        // Abstract names are exactly `name.count + 1` bytes long: a trailing NUL would be part of
        // the name. Filesystem paths include their NUL.
        let length = socklen_t(offset + used)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    static func connect(_ fd: Int32, path: String) -> Int32 {
        let result = withAddress(Array(path.utf8)) { Glibc.connect(fd, $0, $1) }
        guard let result else { return ENAMETOOLONG }
        return result == 0 ? 0 : errno
    }

    // accept4 and pipe2 are glibc extensions that Swift's Glibc module does not declare (it is
    // not built with _GNU_SOURCE); fetching them by name keeps CLOEXEC atomic without a C target.
    private typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    private static let accept4: Accept4? = dlsym(nil, "accept4").map { unsafeBitCast($0, to: Accept4.self) }
    private static let pipe2: Pipe2? = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }

    /// A nonblocking close-on-exec client socket, or -errno (EAGAIN when none is waiting).
    static func accept(_ listener: Int32) -> Int32 {
        if let accept4 {
            let fd = accept4(listener, nil, nil, Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue))
            return fd >= 0 ? fd : -errno
        }
        let fd = Glibc.accept(listener, nil, nil)
        guard fd >= 0 else { return -errno }
        setCloexecNonblocking(fd)
        return fd
    }

    /// Both ends nonblocking and close-on-exec, or nil with errno set.
    static func makePipe() -> (read: Int32, write: Int32)? {
        var fds: [Int32] = [-1, -1]
        if let pipe2 {
            guard pipe2(&fds, O_CLOEXEC | O_NONBLOCK) == 0 else { return nil }
        } else {
            guard pipe(&fds) == 0 else { return nil }
            setCloexecNonblocking(fds[0])
            setCloexecNonblocking(fds[1])
        }
        return (fds[0], fds[1])
    }

    static func setCloexecNonblocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// The peer's pid and uid from SO_PEERCRED. Swift cannot see `struct ucred` without
    /// _GNU_SOURCE, so it is read as its three Int32 fields: pid, uid, gid.
    static func peerCredentials(_ fd: Int32) -> (pid: pid_t, uid: uid_t)? {
        var cred: (Int32, Int32, Int32) = (0, -1, -1)
        var length = socklen_t(MemoryLayout<(Int32, Int32, Int32)>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0,
              length == socklen_t(MemoryLayout<(Int32, Int32, Int32)>.size) else { return nil }
        return (cred.0, uid_t(bitPattern: cred.1))
    }

    /// Bytes this side sent that the peer has not read yet (SIOCOUTQ: on a Unix stream socket
    /// the kernel charges queued data to the sender until the receiver reads it, counted with
    /// its buffer overhead). 0 when the call fails.
    static func unreadByPeer(_ fd: Int32) -> Int {
        var queued: Int32 = 0
        // SIOCOUTQ is TIOCOUTQ (linux/sockios.h), which Glibc exports.
        guard ioctl(fd, UInt(TIOCOUTQ), &queued) == 0 else { return 0 }
        return Int(queued)
    }

    /// Whether a daemon answers at an existing socket path.
    enum Probe: Equatable { case alive, stale, failed(Int32) }

    static func probe(_ path: String) -> Probe {
        let fd = socket(AF_UNIX, streamFlags, 0)
        guard fd >= 0 else { return .failed(errno) }
        defer { close(fd) }
        switch connect(fd, path: path) {
        // EAGAIN: a live listener whose backlog is full; still someone else's socket.
        case 0, EAGAIN, EINPROGRESS: return .alive
        case ECONNREFUSED, ENOENT: return .stale
        case let code: return .failed(code)
        }
    }

    /// The listening socket plus the identity of the file it created, so that shutdown removes
    /// only its own file (not one a later daemon bound after replacing it).
    struct Listener {
        var fd: Int32
        var device: UInt64
        var inode: UInt64
        /// A leftover socket of a daemon that died was removed first.
        var replacedStale = false
        /// Passed by systemd: never unlinked.
        var inheritedFromSystemd = false
    }

    /// Creates the socket's directory (0700, parents too), replaces a stale socket, refuses a
    /// live one, and binds and listens with mode 0600. The umask is narrowed around mkdir and
    /// bind so that neither the directory nor the socket is ever wider than its final mode;
    /// umask is process-wide, which is why this runs once, at start-up.
    static func listen(at path: String, backlog: Int32 = 64) throws(ServerError) -> Listener {
        guard path.utf8.count <= maxPathBytes else { throw .pathTooLong(path, limit: maxPathBytes) }
        guard !path.isEmpty, !path.utf8.contains(0) else { throw .system("invalid socket path \(path)", errno: EINVAL) }

        try makePrivateDirectories(Platform.dirname(path))
        try checkSocketDirectory(Platform.dirname(path))

        var replacedStale = false
        var st = stat()
        if lstat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path) }
            switch probe(path) {
            case .alive:
                throw .alreadyRunning(path)
            case .stale:
                // Only after ECONNREFUSED/ENOENT: nobody listens, so the file is a leftover.
                if unlink(path) != 0 && errno != ENOENT { throw .system("cannot remove the stale socket \(path)", errno: errno) }
                replacedStale = true
            case .failed(let code):
                // EACCES and the like: maybe someone else's live socket; never unlink it.
                throw .system("cannot check the existing socket \(path)", errno: code)
            }
        } else if errno != ENOENT {
            throw .system("cannot inspect \(path)", errno: errno)
        }

        let fd = socket(AF_UNIX, streamFlags, 0)
        guard fd >= 0 else { throw .system("cannot create a Unix socket", errno: errno) }
        let oldMask = umask(0o177)
        let bound = withAddress(Array(path.utf8)) { Glibc.bind(fd, $0, $1) } ?? -1
        let bindErrno = errno
        umask(oldMask)
        guard bound == 0 else {
            close(fd)
            // Another daemon won the race between our probe and our bind.
            if bindErrno == EADDRINUSE { throw .alreadyRunning(path) }
            throw .system("cannot bind \(path)", errno: bindErrno)
        }
        // Belt and braces: the umask already gave 0600; make it so and check before listening.
        var info = stat()
        guard chmod(path, 0o600) == 0, lstat(path, &info) == 0 else {
            let code = errno
            close(fd)
            unlink(path)
            throw .system("cannot set the mode of \(path)", errno: code)
        }
        guard info.st_mode & 0o7777 == 0o600 else {
            close(fd)
            unlink(path)
            throw .system("\(path) has mode \(String(info.st_mode & 0o7777, radix: 8)) instead of 600", errno: EPERM)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            unlink(path)
            throw .system("cannot listen on \(path)", errno: code)
        }
        return Listener(fd: fd, device: UInt64(info.st_dev), inode: UInt64(info.st_ino), replacedStale: replacedStale)
    }

    /// mkdir -p where every directory created gets 0700 (existing ones are left as they are).
    static func makePrivateDirectories(_ path: String) throws(ServerError) {
        var st = stat()
        if stat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else { throw .system("\(path) is not a directory", errno: ENOTDIR) }
            return
        }
        let oldMask = umask(0o077)
        defer { umask(oldMask) }
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw .system("cannot create the directory \(current)", errno: errno)
            }
        }
    }

    /// The socket's direct parent decides who can replace the socket with their own, so it must
    /// be trustworthy: a real directory (not a symbolic link, which someone could point
    /// elsewhere), owned by this user or by root, and not writable by the group or others unless
    /// sticky (like /tmp, where nobody may remove another user's file).
    static func checkSocketDirectory(_ dir: String) throws(ServerError) {
        var st = stat()
        guard lstat(dir, &st) == 0 else { throw .system("cannot inspect the socket directory \(dir)", errno: errno) }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: break
        case S_IFLNK: throw .untrustedDirectory(dir, reason: "it is a symbolic link; pass a --socket PATH whose directory is a real one")
        default: throw .untrustedDirectory(dir, reason: "it is not a directory")
        }
        let me = geteuid()
        guard st.st_uid == me || st.st_uid == 0 else {
            throw .untrustedDirectory(dir, reason: "it belongs to \(Platform.userDescription(st.st_uid)), not to \(Platform.userDescription(me)); "
                                      + "remove it or pass a --socket PATH in a directory of your own")
        }
        let writableByOthers = st.st_mode & (S_IWGRP | S_IWOTH)
        guard writableByOthers == 0 || st.st_mode & S_ISVTX != 0 else {
            let who = writableByOthers & S_IWOTH != 0 ? "every user" : "its group"
            throw .untrustedDirectory(dir, reason: "\(who) may write to it (mode \(String(st.st_mode & 0o7777, radix: 8))) and it is not sticky; "
                                      + "`chmod go-w \(dir)` or pass a --socket PATH in a directory of your own")
        }
    }

    /// Removes the socket file only if it is still the one `listener` created.
    static func removeIfOwn(_ path: String, _ listener: Listener) {
        var st = stat()
        guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFSOCK,
              UInt64(st.st_dev) == listener.device, UInt64(st.st_ino) == listener.inode else { return }
        unlink(path)
    }
}
