#if canImport(Glibc)
import Glibc
#endif

/// Points fd 2 at a pipe for a while, so that what libraries write there (ALSA's "underrun
/// occurred" from PortAudio's audio thread) never lands in the middle of a line being redrawn
/// on the terminal. The write end is non-blocking: a writer whose text is not read in time
/// loses it and never waits (it may be a real-time audio thread). The reader collects whole
/// lines with `lines()` and shows them where it likes, through `write`, which goes to the real
/// stderr. `restore()` puts fd 2 back and returns whatever was left.
public final class StderrCapture {
    private let savedStderr: Int32
    private let readEnd: Int32
    private var pending: [UInt8] = []
    private var restored = false

    /// Nil when the pipe or the duplicates cannot be made (then nothing changed).
    public init?() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        let saved = fcntl(2, F_DUPFD_CLOEXEC, 3)
        guard saved >= 0, dup2(fds[1], 2) >= 0 else {
            close(fds[0]); close(fds[1])
            if saved >= 0 { close(saved) }
            return nil
        }
        close(fds[1])
        savedStderr = saved
        readEnd = fds[0]
    }

    /// The complete lines written since the last call (without their newlines).
    public func lines() -> [String] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending += buffer[0..<n]
            if pending.count > 1 << 20 { pending.removeFirst(pending.count - (1 << 20)) }
        }
        var out: [String] = []
        while let newline = pending.firstIndex(of: 0x0A) {
            out.append(String(decoding: pending[..<newline], as: UTF8.self))
            pending.removeSubrange(...newline)
        }
        return out
    }

    /// Writes to the real stderr (the terminal), past the capture.
    public func write(_ text: String) {
        var bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(savedStderr, $0.baseAddress! + off, $0.count - off) }
            if n < 0 { if errno == EINTR { continue }; return }
            off += n
        }
    }

    /// Puts fd 2 back; returns the lines still unread (a last unterminated one included).
    @discardableResult
    public func restore() -> [String] {
        guard !restored else { return [] }
        restored = true
        var rest = lines()
        if !pending.isEmpty { rest.append(String(decoding: pending, as: UTF8.self)) }
        pending = []
        _ = dup2(savedStderr, 2)
        close(savedStderr)
        close(readEnd)
        return rest
    }

    deinit { restore() }
}
