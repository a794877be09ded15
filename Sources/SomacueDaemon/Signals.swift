#if canImport(Glibc)
import Glibc
#endif
import Synchronization

// The self-pipe trick: a signal handler may only do async-signal-safe things, so it writes the
// signal number as one byte into a pipe that the event loop polls. The loop then does the real
// work (shutdown, reload) on its own thread, between two iterations.

/// The write end of the running server's wake pipe, or -1. An atomic so that a handler running
/// on any thread (the audio thread included) reads it without a lock.
private let signalTarget = Atomic<Int32>(-1)

private func forwardSignal(_ signal: Int32) {
    let savedErrno = errno  // the interrupted code may be between a call and its errno check
    let fd = signalTarget.load(ordering: .acquiring)
    if fd >= 0 {
        var byte = UInt8(truncatingIfNeeded: signal)
        _ = write(fd, &byte, 1)  // nonblocking: a full pipe already holds a pending wake-up
    }
    errno = savedErrno
}

/// SIGTERM, SIGINT and SIGHUP forwarded to a pipe while installed; the previous dispositions
/// come back on `restore()`. One server per process may own the handlers.
struct SignalForwarding {
    static let forwarded: [Int32] = [SIGTERM, SIGINT, SIGHUP]
    private var previous: [(Int32, sigaction)] = []

    static func install(writeFD: Int32) throws(ServerError) -> SignalForwarding {
        // The exchange also initializes the global before any handler can run.
        guard signalTarget.compareExchange(expected: -1, desired: writeFD, ordering: .acquiringAndReleasing).exchanged else {
            throw .system("another control server in this process already handles signals", errno: EBUSY)
        }
        // Peers that vanish must not kill the daemon; sends also pass MSG_NOSIGNAL. Left ignored
        // after shutdown too, since stderr may be a closed pipe by then.
        signal(SIGPIPE, SIG_IGN)
        var installed = SignalForwarding()
        for sig in forwarded {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = forwardSignal
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            var old = sigaction()
            if sigaction(sig, &action, &old) != 0 {
                let code = errno
                installed.restore()
                throw .system("cannot install the handler for signal \(sig)", errno: code)
            }
            installed.previous.append((sig, old))
        }
        // A parent may have started us with these signals blocked (the mask is inherited across
        // exec); a blocked SIGTERM would make the daemon unstoppable.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for sig in forwarded { sigaddset(&unblock, sig) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        return installed
    }

    /// Puts the old handlers back first, so that no handler runs once the pipe is closed.
    mutating func restore() {
        for (sig, old) in previous.reversed() {
            var old = old
            sigaction(sig, &old, nil)
        }
        previous = []
        signalTarget.store(-1, ordering: .releasing)
    }
}
