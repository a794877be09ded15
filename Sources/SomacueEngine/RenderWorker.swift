import SomacueAudio
import SomacueCore
import SomacueLibrary
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The render's second core. A thread with a mixer of its own renders blocks of the timeline
/// into a ring of `slots` buffers while the calling thread writes every block in order; the
/// calling thread renders a block too whenever the one it must write next is not ready and a
/// buffer is free, so neither core waits while there is work (the writes cost about as much as
/// the mixing, and their share differs from machine to machine). Each mixer is placed at its
/// block's first frame (`MixerState.placeForRender`), so the file holds exactly the samples of
/// one pass.
///
/// Block b goes into buffer b % slots. Blocks are handed out in order by `claim` (both threads
/// take from it); a renderer of block b first waits on `free[b % slots]`, posted once block
/// b - slots is written (each starts at 1), and posts `ready[b % slots]` when b is rendered.
/// The writer never waits while it holds a claimed block it has not rendered, so every wait
/// ends.
final class RenderWorker: @unchecked Sendable {
    static let slots = 4
    let block: Int
    let total: Int64
    let blocks: Int
    private let mixer: UnsafeMutablePointer<MixerState>
    private let ints: [UnsafeMutablePointer<Int16>]
    private let floats: [UnsafeMutablePointer<Float>?]
    private let free = UnsafeMutablePointer<sem_t>.allocate(capacity: slots)
    private let ready = UnsafeMutablePointer<sem_t>.allocate(capacity: slots)
    private let claim = Atomic<Int>(0)
    /// Set by the writer before it wakes the worker to end it; the semaphores order it.
    private let stopping = Atomic<Bool>(false)
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
        blocks = Int((total + Int64(block) - 1) / Int64(block))
        ints = (0..<Self.slots).map { _ in .allocate(capacity: block * 2) }
        floats = (0..<Self.slots).map { _ in float ? .allocate(capacity: block * 2) : nil }
        for s in 0..<Self.slots {
            sem_init(free + s, 0, 1)
            sem_init(ready + s, 0, 0)
        }
    }

    deinit {
        MixerState.deallocate(mixer)
        ints.forEach { $0.deallocate() }
        floats.forEach { $0?.deallocate() }
        for s in 0..<Self.slots {
            sem_destroy(free + s)
            sem_destroy(ready + s)
        }
        free.deallocate()
        ready.deallocate()
    }

    /// Frames of block b.
    private func frames(_ b: Int) -> Int { Int(min(Int64(block), total - Int64(b) * Int64(block))) }

    /// Renders claimed block `b` with `mixer` into its buffer and marks it ready.
    private func render(_ b: Int, with mixer: UnsafeMutablePointer<MixerState>) {
        let s = b % Self.slots
        Self.wait(free + s)
        if stopping.load(ordering: .relaxed) { sem_post(ready + s); return }
        MixerState.placeForRender(mixer, at: Int64(b) * Int64(block))
        mixerRender(mixer, frames: frames(b), into: ints[s], floatOut: floats[s])
        sem_post(ready + s)
    }

    private func run() {
        while !stopping.load(ordering: .relaxed) {
            let b = claim.add(1, ordering: .relaxed).oldValue
            if b >= blocks { return }
            render(b, with: mixer)
        }
    }

    /// Block `b`, the next to write (blocks are taken in order, each once), once rendered:
    /// its 16-bit and float samples. While it is not ready the calling thread renders blocks
    /// itself with `own`, its own mixer. Hand the buffer back with `release(block:)` after
    /// writing it.
    func take(block b: Int, own: UnsafeMutablePointer<MixerState>)
        -> (ints: UnsafeMutablePointer<Int16>, floats: UnsafeMutablePointer<Float>?) {
        let s = b % Self.slots
        while sem_trywait(ready + s) != 0 {
            // Block c's buffer is free once block c - slots is written: every block before b is.
            let c = claim.load(ordering: .relaxed)
            if c < b + Self.slots && c < blocks,
               claim.compareExchange(expected: c, desired: c + 1, ordering: .relaxed).exchanged {
                render(c, with: own)
            } else {
                Self.wait(ready + s)
                break
            }
        }
        return (ints[s], floats[s])
    }

    func release(block b: Int) { sem_post(free + b % Self.slots) }

    /// Ends the thread (at the end, or after a failed write) and waits for it.
    func finish() {
        guard running else { return }
        running = false
        stopping.store(true, ordering: .relaxed)
        for s in 0..<Self.slots { sem_post(free + s) }
        pthread_join(thread, nil)
    }

    private static func wait(_ sem: UnsafeMutablePointer<sem_t>) {
        while sem_wait(sem) != 0 && errno == EINTR {}
    }
}
