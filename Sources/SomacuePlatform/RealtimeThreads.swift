import Glibc

/// Real-time scheduling for the threads that feed the sound device.
///
/// A playing stream depends on two threads that sleep almost all the time and must then run
/// within the period: PortAudio's callback thread, and (through the ALSA pulse plugin, the
/// usual route on a desktop) the plugin's `threaded-ml` thread that hands the samples to the
/// sound server. Under the normal scheduler, a machine busy with other work can leave them
/// waiting for a core for longer than the queued audio lasts (measured: over 100 ms on two
/// busy cores); the sound server then runs dry and the listener hears a gap. Under `SCHED_FIFO`
/// they run as soon as they wake. They use a fraction of a percent of a core, and the kernel
/// caps real-time threads at 95% of each second in any case.
///
/// Only a process allowed to (root, `CAP_SYS_NICE`, or an `RLIMIT_RTPRIO` of at least the
/// priority, as PAM's limits.conf grants the audio group) gets it; otherwise nothing changes.
public enum RealtimeThreads {
    /// The lowest `SCHED_FIFO` priority, which is what PortAudio gives its own callback thread:
    /// above every normal thread, below the sound server's own real-time threads.
    public static let priority: Int32 = 1

    /// Linux's flag: threads and processes created by this thread start under the normal
    /// scheduler again.
    static let resetOnFork: Int32 = 0x4000_0000

    /// One thread of this process.
    public struct Thread: Equatable, Sendable {
        public let tid: Int32
        public let name: String
        /// Whether it runs under `SCHED_FIFO` or `SCHED_RR`.
        public let realtime: Bool
    }

    /// This process's threads, from /proc/self/task.
    public static func threads() -> [Thread] {
        Platform.listDirectory("/proc/self/task").compactMap { entry in
            guard let tid = Int32(entry) else { return nil }
            let name = readLine("/proc/self/task/\(entry)/comm") ?? ""
            let policy = sched_getscheduler(tid) & ~resetOnFork
            return Thread(tid: tid, name: name, realtime: policy == SCHED_FIFO || policy == SCHED_RR)
        }
    }

    /// What `raise(named:)` did.
    public enum Outcome: Equatable, Sendable {
        /// This many threads of that name now run at real-time priority (some may already have).
        case raised(Int)
        /// The process may not use real-time scheduling (`EPERM`).
        case notPermitted
        /// No thread of that name.
        case noneFound
    }

    /// Puts every thread of this process named `name` under `SCHED_FIFO` at `priority`, with
    /// its children reset to the normal scheduler.
    public static func raise(named name: String) -> Outcome {
        var raised = 0
        var denied = false
        for t in threads() where t.name == name {
            if t.realtime { raised += 1; continue }
            var param = sched_param(sched_priority: priority)
            if sched_setscheduler(t.tid, SCHED_FIFO | resetOnFork, &param) == 0 {
                raised += 1
            } else if errno == EPERM {
                denied = true
            }
            // ESRCH: the thread ended meanwhile; nothing to do.
        }
        if raised > 0 { return .raised(raised) }
        return denied ? .notPermitted : .noneFound
    }

    static func readLine(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var buf = [CChar](repeating: 0, count: 64)
        guard fgets(&buf, Int32(buf.count), f) != nil else { return nil }
        let s = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return s.hasSuffix("\n") ? String(s.dropLast()) : s
    }
}
