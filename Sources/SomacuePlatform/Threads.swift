#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain detached threads for blocking work (decoding) that must stay off the control loop and
/// off Swift's cooperative pool. No Foundation.
extension Platform {
    /// Online processors (at least 1).
    public static func processorCount() -> Int {
        let n = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return n > 0 ? n : 1
    }

    /// Runs `body` on a new detached thread. False when the thread cannot be created (the caller
    /// then runs the work itself).
    public static func detachThread(_ body: @escaping @Sendable () -> Void) -> Bool {
        final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, context)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(context).release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    /// Returns freed heap memory to the system (glibc keeps it otherwise).
    public static func trimHeap() {
        #if canImport(Glibc)
        _ = glibcMallocTrim(0)
        #endif
    }

    /// Fixes glibc's mmap and trim thresholds at `bytes` (for a long-running process that
    /// allocates in bursts on short-lived threads: the daemon's decoders). By default glibc
    /// raises both thresholds each time a large mmapped block is freed (up to 32 and 64 MB), after
    /// which large blocks come from the threads' own arenas and a freed arena top is kept:
    /// `malloc_trim` gives back free chunks inside an arena but never a thread arena's top, so
    /// the idle daemon kept 8 MB of free decoder arenas. With fixed thresholds a block of `bytes`
    /// or more is mapped and unmapped on its own, and a top larger than `bytes` is given back
    /// when it is freed, on every arena.
    public static func limitHeapRetention(bytes: Int32 = 256 << 10) {
        #if canImport(Glibc)
        _ = glibcMallopt(-3, bytes)  // M_MMAP_THRESHOLD
        _ = glibcMallopt(-1, bytes)  // M_TRIM_THRESHOLD
        #endif
    }
}

#if canImport(Glibc)
/// glibc's `malloc_trim` and `mallopt` (declared in <malloc.h>, which the Glibc module does not
/// export).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
