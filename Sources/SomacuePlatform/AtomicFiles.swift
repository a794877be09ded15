#if canImport(Glibc)
import Glibc
#endif

// Byte-exact file I/O for installing binaries and keeping state: reads without any text
// decoding, and writes that never leave a half-written file (temporary file, fsync, rename,
// fsync of the folder).

extension Platform {
    /// A whole file's bytes.
    public static func readBytes(_ path: String) throws(IOError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError(path: path, errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var st = stat()
        if fstat(fd, &st) == 0, st.st_size > 0 { bytes.reserveCapacity(Int(st.st_size)) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError(path: path, errno: errno)
            }
            if n == 0 { return bytes }
            bytes.append(contentsOf: buffer[0..<n])
        }
    }

    /// Replaces `path` with `bytes` atomically: a reader sees the old file or the new one, never
    /// a mix, and after a crash the file is one of the two. The temporary file sits in the same
    /// folder (`.NAME.tmp-PID`), so the rename never crosses file systems.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(IOError) {
        let dir = dirname(path)
        let temp = dir + "/." + basename(path) + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw IOError(path: temp, errno: errno) }
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += n
            }
        }
        // The mode is set explicitly: open's mode is narrowed by the umask.
        if failure == 0, fchmod(fd, mode) != 0 { failure = errno }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0, rename(temp, path) != 0 { failure = errno }
        guard failure == 0 else {
            unlink(temp)
            throw IOError(path: path, errno: failure)
        }
        // The rename itself is durable only once the folder is synced.
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    /// Removes a file (not a folder); true when it is gone afterwards.
    @discardableResult
    public static func removeFile(_ path: String) -> Bool { unlink(path) == 0 || errno == ENOENT }

    /// Removes an empty folder; false when it is not empty or cannot be removed.
    @discardableResult
    public static func removeEmptyDirectory(_ path: String) -> Bool { rmdir(path) == 0 || errno == ENOENT }

    /// Runs a program with the current environment and waits for it. Returns its exit status,
    /// or nil when it could not be started or was killed by a signal. Its output goes where ours goes.
    public static func runAndWait(_ path: String, _ arguments: [String], quiet: Bool = false) -> Int32? {
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) }
        argv.append(nil)
        defer { for p in argv { free(p) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if quiet {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return nil }
        }
        guard status & 0x7F == 0 else { return nil }
        return (status >> 8) & 0xFF
    }

    /// A 64-bit hash of some bytes (FNV-1a's constants, eight bytes a step): enough to tell
    /// whether a file is still the one that was written.
    public static func fingerprint(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            let prime: UInt64 = 0x0000_0100_0000_01B3
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(raw.count)
            let words = raw.count / 8
            var i = 0
            while i < words {
                hash = (hash ^ raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* prime
                i += 1
            }
            for j in (words * 8)..<raw.count { hash = (hash ^ UInt64(raw[j])) &* prime }
            return hash
        }
    }

    /// Byte equality with memcmp (fast also in debug builds, for files of tens of megabytes).
    public static func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } }
    }
}
