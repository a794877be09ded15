#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Where `DaemonLogger` writes by default: fd 2, or while a `StderrRelay` holds fd 2, the copy of
/// the original stderr it kept.
let daemonLogDescriptor = Atomic<Int32>(2)

/// Lines that libraries write to stderr, relayed into the daemon's log with a priority.
///
/// ALSA (its error handler, also for the PulseAudio plugin: `ALSA lib pcm.c:...`) and PortAudio
/// (`Expression '...' failed in 'src/hostapi/alsa/pa_linux_alsa.c'`, from its own threads; the
/// library does not export a way to redirect it) print straight to fd 2. Under journald an
/// unprefixed line gets no priority of ours, so fd 2 becomes the write end of a pipe: a thread of
/// its own reads whole lines and logs each at `level`, with the logger's prefix. The logger
/// itself writes to a copy of the original stderr. The pipe's write end is nonblocking: a
/// library thread (the audio thread included) never waits for the relay; should the pipe ever
/// be full, its line is lost rather than the sound.
///
/// A crash must still reach the log: on a fatal signal the original stderr is put back on fd 2
/// (the Swift runtime's backtrace goes there), what the pipe still holds is written out with a
/// prefix, and the signal goes on to the handler that was there before.
public final class StderrRelay: @unchecked Sendable {
    private let logger: DaemonLogger
    private let level: DaemonLogger.Level
    private let original: Int32
    private let readEnd: Int32
    private let done = Atomic<Bool>(false)

    /// Longest line kept together; a longer one is logged in pieces.
    static let maxLine = 4096

    private init(logger: DaemonLogger, level: DaemonLogger.Level, original: Int32, readEnd: Int32) {
        self.logger = logger
        self.level = level
        self.original = original
        self.readEnd = readEnd
    }

    /// Points fd 2 at the relay and starts its thread. Nil (and fd 2 untouched) when a pipe or
    /// thread cannot be had; library lines then stay unprefixed, which is all that is lost.
    public static func start(logger: DaemonLogger, level: DaemonLogger.Level = .warning) -> StderrRelay? {
        fflush(nil)
        let original = fcntl(2, F_DUPFD_CLOEXEC, 3)
        guard original >= 0 else { return nil }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            close(original)
            return nil
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let relay = StderrRelay(logger: logger, level: level, original: original, readEnd: fds[0])
        let context = Unmanaged.passRetained(relay).toOpaque()
        var thread = pthread_t()
        guard pthread_create(&thread, nil, { raw in
            Unmanaged<StderrRelay>.fromOpaque(raw!).takeRetainedValue().readLines()
            return nil
        }, context) == 0 else {
            Unmanaged<StderrRelay>.fromOpaque(context).release()
            close(fds[0])
            close(fds[1])
            close(original)
            return nil
        }
        pthread_detach(thread)
        daemonLogDescriptor.store(original, ordering: .releasing)
        // dup2 leaves fd 2 inheritable, as stderr should be; the status flag is the pipe's.
        dup2(fds[1], 2)
        close(fds[1])
        _ = fcntl(2, F_SETFL, fcntl(2, F_GETFL) | O_NONBLOCK)
        CrashRelay.install(original: original, readEnd: fds[0], journal: logger.journal)
        return relay
    }

    /// Puts the original stderr back and waits (briefly) until every line written so far is
    /// logged. Call once, at exit.
    public func finish() {
        fflush(nil)
        // The pipe's last write end closes, so the thread reads to the end and stops.
        dup2(original, 2)
        var waited = 0
        while !done.load(ordering: .acquiring) && waited < 100 {
            usleep(5_000)
            waited += 1
        }
        daemonLogDescriptor.store(2, ordering: .releasing)
    }

    private func readLines() {
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            pending.append(contentsOf: chunk[0..<n])
            var start = 0
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                emit(pending[start..<newline])
                start = newline + 1
            }
            pending.removeSubrange(0..<start)
            while pending.count >= Self.maxLine {
                emit(pending[0..<Self.maxLine])
                pending.removeSubrange(0..<Self.maxLine)
            }
        }
        emit(pending[...])
        close(readEnd)
        done.store(true, ordering: .releasing)
    }

    private func emit(_ bytes: ArraySlice<UInt8>) {
        var line = bytes
        if line.last == 0x0D { line = line.dropLast() }
        guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
        logger.log(level, String(decoding: line, as: UTF8.self))
    }
}

/// The fatal-signal side of `StderrRelay`. The handler touches only this preallocated record
/// and async-signal-safe calls (dup2, fcntl, read, write, sigaction, raise).
enum CrashRelay {
    static let signals: [Int32] = [SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP]

    struct Record {
        var original: Int32 = -1
        var readEnd: Int32 = -1
        /// "<3>" under journald, else "somacued: ".
        var prefix: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var prefixLength = 0
        var previous: (sigaction, sigaction, sigaction, sigaction, sigaction, sigaction) =
            (sigaction(), sigaction(), sigaction(), sigaction(), sigaction(), sigaction())
        var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    nonisolated(unsafe) static var record: UnsafeMutablePointer<Record>?

    static func install(original: Int32, readEnd: Int32, journal: Bool) {
        guard record == nil else { return }
        let r = UnsafeMutablePointer<Record>.allocate(capacity: 1)
        r.initialize(to: Record())
        r.pointee.original = original
        r.pointee.readEnd = readEnd
        let prefix = Array((journal ? "<3>" : "somacued: ").utf8)
        withUnsafeMutableBytes(of: &r.pointee.prefix) { raw in raw.copyBytes(from: prefix) }
        r.pointee.prefixLength = prefix.count
        record = r
        for signal in signals {
            guard let index = slot(of: signal) else { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = { signal, info, _ in CrashRelay.handle(signal, info) }
            action.sa_flags = SA_SIGINFO | SA_ONSTACK
            sigemptyset(&action.sa_mask)
            withUnsafeMutableBytes(of: &r.pointee.previous) { raw in
                let slot = raw.baseAddress!.assumingMemoryBound(to: sigaction.self) + index
                _ = sigaction(signal, &action, slot)
            }
        }
    }

    static func handle(_ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?) {
        guard let r = record else { return }
        dup2(r.pointee.original, 2)
        drain(r)
        if let index = slot(of: signal) {
            withUnsafeMutableBytes(of: &r.pointee.previous) { raw in
                let slot = raw.baseAddress!.assumingMemoryBound(to: sigaction.self) + index
                _ = sigaction(signal, slot, nil)
            }
        }
        // A fault returns to the faulting instruction, which faults again into the previous
        // handler; a signal that was sent (abort, kill) or a breakpoint trap is raised again.
        let sent = (info?.pointee.si_code ?? 0) <= 0
        if sent || signal == SIGTRAP || signal == SIGABRT { raise(signal) }
    }

    private static func slot(of signal: Int32) -> Int? {
        switch signal {
        case SIGABRT: return 0
        case SIGBUS: return 1
        case SIGFPE: return 2
        case SIGILL: return 3
        case SIGSEGV: return 4
        case SIGTRAP: return 5
        default: return nil
        }
    }

    /// Writes what the pipe holds to the original stderr, each line prefixed.
    private static func drain(_ r: UnsafeMutablePointer<Record>) {
        let fd = r.pointee.readEnd
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let out = r.pointee.original
        var atLineStart = true
        withUnsafeMutableBytes(of: &r.pointee.buffer) { buffer in
            withUnsafeBytes(of: &r.pointee.prefix) { prefix in
                while true {
                    let n = read(fd, buffer.baseAddress, buffer.count)
                    guard n > 0 else { return }
                    var from = 0
                    for i in 0..<n {
                        if atLineStart {
                            _ = write(out, prefix.baseAddress, r.pointee.prefixLength)
                            atLineStart = false
                        }
                        if buffer[i] == 0x0A {
                            _ = write(out, buffer.baseAddress! + from, i + 1 - from)
                            from = i + 1
                            atLineStart = true
                        }
                    }
                    if from < n { _ = write(out, buffer.baseAddress! + from, n - from) }
                }
            }
        }
        var newline: UInt8 = 0x0A
        if !atLineStart { _ = write(out, &newline, 1) }
    }
}
