import SomacueAudio
import SomacueCore
#if canImport(Glibc)
import Glibc
#endif

/// The render's second core. A thread with a mixer of its own renders every odd block of the
/// timeline into one of two buffers, while the calling thread renders the even blocks and
/// writes every block in order. Each mixer is placed at its block's first frame
/// (`MixerState.placeForRender`), so the file holds exactly the samples of one pass.
///
/// Hand-over: `free` counts the buffers the worker may fill (two at first), `ready` the filled
/// ones the writer has not taken. The worker fills buffer j % 2 with odd block 2j + 1.
final class RenderWorker: @unchecked Sendable {
    let block: Int
    let total: Int64
    private let mixer: UnsafeMutablePointer<MixerState>
    private let ints: [UnsafeMutablePointer<Int16>]
    private let floats: [UnsafeMutablePointer<Float>?]
    private let free = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private let ready = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    /// Set by the writer before it wakes the worker to end it; the semaphore orders it.
    private var stopping = false
    private var thread = pthread_t()
    private var running = false

    /// Nil when the machine has one core, the timeline fits in one block, or no thread can be
    /// had: the caller then renders every block itself.
    static func start(loaded: LoadedSession, config: Config, block: Int, total: Int64, float: Bool) -> RenderWorker? {
        guard sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 2, total > Int64(block) else { return nil }
        let worker = RenderWorker(mixer: loaded.makeMixer(config: config), block: block, total: total, float: float)
        let context = Unmanaged.passRetained(worker).toOpaque()
        guard pthread_create(&worker.thread, nil, { raw in
            Unmanaged<RenderWorker>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, context) == 0 else {
            Unmanaged<RenderWorker>.fromOpaque(context).release()
            return nil
        }
        worker.running = true
        return worker
    }

    private init(mixer: UnsafeMutablePointer<MixerState>, block: Int, total: Int64, float: Bool) {
        self.mixer = mixer
        self.block = block
        self.total = total
        ints = (0..<2).map { _ in .allocate(capacity: block * 2) }
        floats = (0..<2).map { _ in float ? .allocate(capacity: block * 2) : nil }
        sem_init(free, 0, 2)
        sem_init(ready, 0, 0)
    }

    deinit {
        MixerState.deallocate(mixer)
        ints.forEach { $0.deallocate() }
        floats.forEach { $0?.deallocate() }
        sem_destroy(free)
        sem_destroy(ready)
        free.deallocate()
        ready.deallocate()
    }

    private func run() {
        var j = 0
        while true {
            Self.wait(free)
            if stopping { return }
            let start = Int64(2 * j + 1) * Int64(block)
            if start >= total { return }
            let n = Int(min(Int64(block), total - start))
            MixerState.placeForRender(mixer, at: start)
            mixerRender(mixer, frames: n, into: ints[j % 2], floatOut: floats[j % 2])
            sem_post(ready)
            j += 1
        }
    }

    /// Odd block `b` (= 2j + 1), once rendered: its 16-bit and float samples. Hand the buffer
    /// back with `release()` after writing it.
    func take(block b: Int) -> (ints: UnsafeMutablePointer<Int16>, floats: UnsafeMutablePointer<Float>?) {
        precondition(b % 2 == 1, "the worker renders the odd blocks")
        Self.wait(ready)
        let j = (b - 1) / 2
        return (ints[j % 2], floats[j % 2])
    }

    func release() { sem_post(free) }

    /// Ends the thread (at the end, or after a failed write) and waits for it.
    func finish() {
        guard running else { return }
        running = false
        stopping = true
        sem_post(free)
        sem_post(free)
        pthread_join(thread, nil)
    }

    private static func wait(_ sem: UnsafeMutablePointer<sem_t>) {
        while sem_wait(sem) != 0 && errno == EINTR {}
    }
}
