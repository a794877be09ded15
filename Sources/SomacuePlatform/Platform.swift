#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SomacueCore

/// Thin, Foundation-free wrappers over the few POSIX calls the executables need. Keeping
/// Foundation out keeps the CLI's start-up close to `mpc` and the daemon's idle memory low.
public enum Platform {
    public static func env(_ name: String) -> String? {
        guard let p = getenv(name) else { return nil }
        let s = String(cString: p)
        return s.isEmpty ? nil : s
    }

    public static func writeStderr(_ s: String) {
        var line = s
        if !line.hasSuffix("\n") { line += "\n" }
        line.withCString { p in _ = write(2, p, strlen(p)) }
    }

    public static func writeStdout(_ s: String) {
        s.withCString { p in
            var left = strlen(p)
            var q = p
            while left > 0 {
                let n = write(1, q, left)
                if n < 0 { if errno == EINTR { continue }; return }
                left -= n
                q += n
            }
        }
    }

    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Width in columns of the terminal on `fd` (TIOCGWINSZ), else `$COLUMNS` (1 to 9999), else 80.
    public static func terminalWidth(_ fd: Int32 = 1) -> Int {
        var ws = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 { return Int(ws.ws_col) }
        if let text = env("COLUMNS"), let columns = Int(text), (1...9999).contains(columns) { return columns }
        return 80
    }

    public enum FileType { case regular, directory, other }

    public static func fileType(_ path: String) -> FileType? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    public static func exists(_ path: String) -> Bool { fileType(path) != nil }

    public struct IOError: Error, CustomStringConvertible, Sendable {
        public enum Kind: Sendable, Equatable {
            /// A system call failed with this errno.
            case system(Int32)
            /// Not read on purpose: it is a FIFO, a device, a directory... (`openRegularFile`).
            case notRegular(String)
            /// Not read on purpose: larger than the limit for this kind of file.
            case tooLarge(size: Int, limit: Int)
        }
        public var path: String
        public var kind: Kind
        public init(path: String, errno: Int32) { self.path = path; self.kind = .system(errno) }
        public init(path: String, kind: Kind) { self.path = path; self.kind = kind }
        /// The errno for a system failure; EINVAL (not a regular file) or EFBIG (too large) for a
        /// refusal.
        public var errno: Int32 {
            switch kind {
            case .system(let e): e
            case .notRegular: EINVAL
            case .tooLarge: EFBIG
            }
        }
        /// What went wrong, without the path: "No such file or directory", "it is a FIFO (named
        /// pipe), not a regular file", "it is 2 MiB, more than the 1 MiB allowed".
        public var reason: String {
            switch kind {
            case .system(let e): String(cString: strerror(e))
            case .notRegular(let what): "it is \(what), not a regular file"
            case .tooLarge(let size, let limit): "it is \(Platform.byteSize(size)), more than the \(Platform.byteSize(limit)) allowed"
            }
        }
        public var description: String { "\(path): \(reason)" }
        public var isNotFound: Bool { errno == ENOENT || errno == ENOTDIR }
    }

    public static func writeFile(_ path: String, _ contents: String, mode: mode_t = 0o644) throws(IOError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw IOError(path: path, errno: errno) }
        defer { close(fd) }
        var failed: Int32 = 0
        contents.withCString { p in
            var left = strlen(p)
            var q = p
            while left > 0 {
                let n = write(fd, q, left)
                if n < 0 { if errno == EINTR { continue }; failed = errno; return }
                left -= n
                q += n
            }
        }
        if failed != 0 { throw IOError(path: path, errno: failed) }
    }

    /// Names in a directory (no "." or ".."), sorted; empty if it does not exist.
    public static func listDirectory(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Creates a directory and its parents.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(IOError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode) != 0 && errno != EEXIST { throw IOError(path: current, errno: errno) }
        }
    }

    public static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// Absolute path of the running executable (/proc/self/exe).
    public static func executablePath() -> String? { realPath("/proc/self/exe") }

    public static func currentDirectory() -> String {
        guard let p = getcwd(nil, 0) else { return "." }
        defer { free(p) }
        return String(cString: p)
    }

    /// `path` made absolute against the current directory (not resolving links).
    public static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : currentDirectory() + "/" + path
    }

    /// Finds an executable: next to `sibling`'s directory first, then on PATH.
    public static func findExecutable(_ name: String, besides exe: String?) -> String? {
        if let exe {
            let candidate = dirname(exe) + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        for dir in (env("PATH") ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Replaces the process image; returns only on failure, with errno.
    public static func exec(_ path: String, arguments: [String]) -> Int32 {
        var cArgs: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArgs.append(nil)
        execv(path, &cArgs)
        let e = errno
        for p in cArgs { free(p) }
        return e
    }

    public static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

    public static func dirname(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func basename(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    public static func exit(_ code: Int32) -> Never {
        fflush(nil)
        Glibc.exit(code)
    }

    /// Monotonic clock in seconds (for progress display only; audio never uses it).
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public static func sleep(seconds: Double) {
        let whole = max(0, Int(saturating: seconds, rounding: .towardZero))
        var request = timespec(tv_sec: whole, tv_nsec: min(999_999_999, max(0, Int(saturating: (seconds - Double(whole)) * 1e9, rounding: .towardZero))))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}

/// Exit statuses shared by somacue and somacued (sysexits.h), documented in docs/.
public enum ExitStatus {
    public static let ok: Int32 = 0
    public static let refused: Int32 = 1
    public static let usage: Int32 = 64
    public static let dataError: Int32 = 65
    public static let noInput: Int32 = 66
    public static let unavailable: Int32 = 69
    public static let cannotCreate: Int32 = 73
    public static let tempFail: Int32 = 75
    public static let config: Int32 = 78
}
