#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Depth of nested `withStderrSilenced` calls and the saved copy of the real fd 2.
/// Protected by its mutex; any thread.
private let stderrSilencerState = Mutex<(depth: Int, saved: Int32)>((0, -1))

/// Runs `body` with file descriptor 2 pointed at /dev/null, then restores it.
///
/// C libraries print probe noise straight to fd 2 (libjack prints about 5 lines during
/// `Pa_Initialize`, ALSA more without a standalone config), and ALSA's error handler is variadic,
/// so Swift cannot replace it. fd 2 is process-wide: anything any thread writes to stderr while
/// `body` runs is lost, so keep `body` short (one C call). Nested and concurrent calls are safe:
/// the first one in redirects, the last one out restores.
public func withStderrSilenced<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    stderrSilencerState.withLock { state in
        if state.depth == 0 {
            fflush(nil)
            let saved = dup(2)
            let devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)
            if saved >= 0 && devnull >= 0 {
                dup2(devnull, 2)
            }
            if devnull >= 0 { close(devnull) }
            state.saved = saved
        }
        state.depth += 1
    }
    defer {
        stderrSilencerState.withLock { state in
            state.depth -= 1
            if state.depth == 0 {
                fflush(nil)
                if state.saved >= 0 {
                    dup2(state.saved, 2)
                    close(state.saved)
                }
                state.saved = -1
            }
        }
    }
    return try body()
}
