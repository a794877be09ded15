import SomacueCore
import SomacueLibrary
import SomacuePlatform
#if canImport(Glibc)
import Glibc
#endif

/// Where a render writes, so that a failed render never destroys the file it was to replace.
///
/// A regular file, or a name that does not exist yet, is written to a temporary file in the same
/// directory (after following a symbolic link to the file it names) and renamed over the target
/// only when the render has finished: a full disk or a killed process leaves the old file as it
/// was. `/dev/null`, a FIFO or a device is written in place (there is nothing to keep, and a
/// rename would replace the device node). This is the only place that knows about the
/// temporary file; the writer just writes to `writePath`.
public struct RenderTarget {
    /// The path as the user gave it (for messages).
    public let requested: String
    /// The file that ends up holding the render: `requested` with symbolic links followed.
    public let finalPath: String
    /// Where the writer writes: a temporary file beside `finalPath`, or `finalPath` itself.
    public let writePath: String
    /// True when `writePath` is a temporary file that `commit()` renames.
    public var isAtomic: Bool { writePath != finalPath }
    /// The target existed before the render (so a failure leaves it in place).
    public let existed: Bool

    /// Resolves `path` and, for a regular or new file, creates the temporary file (mode: the
    /// old file's, or 0666 minus the umask for a new one). Throws (status 73) when the
    /// directory does not exist or is not writable, or the path is a directory.
    public static func prepare(_ path: String) throws(EngineError) -> RenderTarget {
        let final = resolveLinks(path)
        var st = stat()
        if stat(final, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFREG:
                let temp = try makeTemporary(beside: final, mode: st.st_mode & 0o7777, requested: path)
                return RenderTarget(requested: path, finalPath: final, writePath: temp, existed: true)
            case S_IFDIR:
                throw EngineError("somacue: cannot write \(path): it is a directory; name an output file such as \(path)/session.wav",
                                  status: ExitStatus.cannotCreate)
            default:
                // /dev/null, a FIFO, a device: in place.
                return RenderTarget(requested: path, finalPath: final, writePath: final, existed: true)
            }
        }
        let mask = umask(0o022)
        umask(mask)
        let temp = try makeTemporary(beside: final, mode: 0o666 & ~mask, requested: path)
        return RenderTarget(requested: path, finalPath: final, writePath: temp, existed: false)
    }

    /// Moves the finished render into place. After a failure the temporary file is removed
    /// and the old file is untouched.
    public func commit() throws(EngineError) {
        guard isAtomic else { return }
        if rename(writePath, finalPath) != 0 {
            let e = errno
            discard()
            throw EngineError("somacue: cannot write \(requested): cannot move the finished render into place: \(Platform.errorText(e))"
                              + (existed ? "; \(requested) is unchanged" : ""), status: ExitStatus.cannotCreate)
        }
        RenderTarget.pending.clear()
    }

    /// Removes the temporary file (nothing to do when writing in place).
    public func discard() {
        guard isAtomic else { return }
        unlink(writePath)
        RenderTarget.pending.clear()
    }

    /// What a failure message adds about the old file: it is still there, or nothing was left.
    public var failureNote: String {
        guard isAtomic else { return "" }
        return existed ? "; \(requested) is unchanged" : "; nothing was written"
    }

    /// True when `path` names an existing file that is neither regular nor a directory.
    public static func isInPlace(_ path: String) -> Bool {
        var st = stat()
        guard stat(resolveLinks(path), &st) == 0 else { return false }
        let type = st.st_mode & S_IFMT
        return type != S_IFREG && type != S_IFDIR
    }

    /// Follows symbolic links (also dangling ones: the file they name is what gets created),
    /// at most 40 levels, as the kernel does.
    static func resolveLinks(_ path: String) -> String {
        var current = Platform.absolute(path)
        for _ in 0..<40 {
            var st = stat()
            guard lstat(current, &st) == 0, st.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { return current }
            let target = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = target.hasPrefix("/") ? target : Platform.dirname(current) + "/" + target
        }
        return current
    }

    /// `dir/.name.somacue-XXXXXX` (mkstemp: a new file only this process opened), registered so
    /// that SIGINT or SIGTERM removes it.
    static func makeTemporary(beside final: String, mode: mode_t, requested: String) throws(EngineError) -> String {
        let dir = Platform.dirname(final)
        var template = Array("\(dir)/.\(Platform.basename(final)).somacue-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            let e = errno
            let why = e == ENOENT ? "the folder \(dir) does not exist" : "cannot create a file in \(dir): \(Platform.errorText(e))"
            throw EngineError("somacue: cannot write \(requested): \(why)", status: ExitStatus.cannotCreate)
        }
        fchmod(fd, mode)
        close(fd)
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        pending.set(path)
        return path
    }

    /// The temporary file of the render in progress, for the signal handler: a C string that
    /// lives until it is replaced (one render per process).
    final class Pending: @unchecked Sendable {
        var path: UnsafeMutablePointer<CChar>?
        func set(_ p: String) {
            let old = path
            path = strdup(p)
            free(old)
            installHandlers()
        }
        func clear() {
            let old = path
            path = nil
            free(old)
        }
    }
    static let pending = Pending()
}

/// SIGINT, SIGTERM and SIGHUP during a render remove its temporary file and exit 130 / 143.
/// unlink and _exit are async-signal-safe; the path was set before the handler could run.
/// The signals are unblocked too: a parent may have started us with them blocked.
private func installHandlers() {
    var set = sigset_t()
    sigemptyset(&set)
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        signal(sig) { s in
            if let p = RenderTarget.pending.path { unlink(p) }
            _exit(128 + s)
        }
        sigaddset(&set, sig)
    }
    sigprocmask(SIG_UNBLOCK, &set, nil)
}
