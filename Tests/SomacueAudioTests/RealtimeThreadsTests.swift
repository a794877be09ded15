import Foundation
import Glibc
import SomacuePlatform
import Testing

/// `RealtimeThreads` (SomacuePlatform, used by the PortAudio stream): a thread found by its name
/// is put under SCHED_FIFO where the process may, and the outcome agrees with what the kernel
/// then reports for that thread.
@Suite("Realtime threads")
struct RealtimeThreadsTests {
    @Test func raisesANamedThreadOrSaysItMayNot() throws {
        let name = "rt-test-\(getpid() % 10_000)"
        let named = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let t = Thread {
            Thread.current.name = name  // the kernel's thread name (comm), on Linux
            named.signal()
            done.wait()
        }
        t.start()
        named.wait()
        defer { done.signal() }

        // Looked up a few times: with the other suites running in parallel (under a sanitizer
        // above all), one reading of /proc/self/task can come back short.
        func find() -> RealtimeThreads.Thread? {
            for _ in 0..<50 {
                if let t = RealtimeThreads.threads().first(where: { $0.name == name }) { return t }
                usleep(20_000)
            }
            return nil
        }
        let before = try #require(find(), "the named thread is not listed")
        #expect(!before.realtime)
        let outcome = RealtimeThreads.raise(named: name)
        let after = try #require(find())
        switch outcome {
        case .raised(let n):
            #expect(n == 1)
            #expect(after.realtime)
            #expect(sched_getscheduler(after.tid) & ~0x4000_0000 == SCHED_FIFO)
        case .notPermitted:
            #expect(!after.realtime)
        case .noneFound:
            Issue.record("the thread named \(name) was not found")
        }
        // Every other thread of the test process is left as it was.
        #expect(RealtimeThreads.threads().filter { $0.realtime && $0.name != name }.isEmpty)
    }

    @Test func aNameNoThreadHasIsNoneFound() {
        #expect(RealtimeThreads.raise(named: "no-such-thread") == .noneFound)
        #expect(RealtimeThreads.threads().contains { $0.tid == getpid() })
    }
}
