import SomacueAudio
import SomacueCore
import SomacueLibrary
import SomacuePlatform
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One cue's place in a session's `CueArena`: its samples (16-bit, interleaved, at the output
/// rate) start at `samples`, which is fixed before decoding begins, so the event table can point
/// at it while the cue is still being decoded. Read only after `CueDecoding.isReady`.
public struct CueSlot: @unchecked Sendable {
    public let id: CueID
    public let source: String
    public let frames: Int64
    public let channels: Int
    public let samples: UnsafePointer<Int16>
    let offset: Int
    let bytes: Int
    let stamp: FileStamp?
    /// Position in the decoding order.
    let index: Int
    /// The loudness target (LUFS) of a cue whose loudness is not stored in its manifest: the
    /// decoder measures it once the samples are in place (`CueDecoding.measuredGain`). Nil when
    /// the manifest has it.
    let measureTowards: Double?
}

/// A session's cue memory: one range of address space reserved (not committed) at `start`, one
/// page-aligned slot per cue. A slot is filled either by mapping a decoded-cache entry over it or
/// by mapping fresh anonymous pages and decoding into them. The whole range is unmapped when the
/// last user lets go (the player after the stream is closed, and any decoder still running), so
/// an idle daemon keeps none of it.
final class CueArena: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let bytes: Int

    static let pageSize: Int = {
        let p = sysconf(Int32(_SC_PAGESIZE))
        return p > 0 ? p : 4096
    }()

    static func rounded(_ n: Int) -> Int { (n + pageSize - 1) / pageSize * pageSize }

    init?(bytes: Int) {
        let size = max(bytes, Self.pageSize)
        let p = mmap(nil, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let p, p != MAP_FAILED else { return nil }
        base = p
        self.bytes = size
    }

    /// Fresh zeroed, writable pages over a slot.
    func makeWritable(offset: Int, bytes: Int) -> Bool {
        mmap(base + offset, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == base + offset
    }

    deinit {
        munmap(base, bytes)
    }
}

/// Decodes a session's cues off the control thread, on every core, in the order they are first
/// needed (overlay sounds first, then by first use in the timeline). Each slot becomes ready once
/// its samples are in place (release); readers check `isReady` (acquire) before touching them.
/// Decoder threads keep the arena alive until they finish, so cancelling never waits for them.
final class CueDecoding: @unchecked Sendable {
    let arena: CueArena
    let slots: [CueSlot]
    let rate: SampleRate
    let quality: ResamplerQuality
    let cache: DecodedCueCache?
    /// 0 pending, 1 ready, 2 failed; one per slot.
    private let states: UnsafeMutablePointer<Atomic<Int>>
    /// Per slot with `measureTowards`: the gain that brings it to that target, written before
    /// the slot's state turns ready (release) and read only after (acquire).
    private let gains: UnsafeMutablePointer<Float>
    private let next = Atomic<Int>(0)
    private let done = Atomic<Int>(0)
    private let cancelled = Atomic<Bool>(false)
    private let problems = Mutex<[String]>([])
    let fromCache = Atomic<Int>(0)
    let started = Platform.monotonicSeconds()

    init(arena: CueArena, slots: [CueSlot], rate: SampleRate, quality: ResamplerQuality, cache: DecodedCueCache?) {
        self.arena = arena
        self.slots = slots
        self.rate = rate
        self.quality = quality
        self.cache = cache
        states = .allocate(capacity: max(slots.count, 1))
        for i in 0..<slots.count { (states + i).initialize(to: Atomic(0)) }
        gains = .allocate(capacity: max(slots.count, 1))
        gains.initialize(repeating: 1, count: max(slots.count, 1))
    }

    deinit {
        states.deinitialize(count: slots.count)
        states.deallocate()
        gains.deallocate()
    }

    /// Starts the decoder threads (one per core, at most one per cue) and returns at once.
    func start() {
        let workers = min(Platform.processorCount(), slots.count)
        var started = 0
        for _ in 0..<workers where Platform.detachThread({ self.work() }) { started += 1 }
        if started == 0 { work() }  // no threads to be had: decode here rather than never
    }

    func isReady(_ index: Int) -> Bool { states[index].load(ordering: .acquiring) == 1 }
    /// The loudness gain measured for a slot with `measureTowards`, once `isReady(index)`.
    func measuredGain(_ index: Int) -> Float {
        precondition(isReady(index), "a cue's loudness is read only once it is decoded")
        return gains[index]
    }
    var finished: Bool { done.load(ordering: .acquiring) == slots.count }
    var failures: [String] { problems.withLock { $0 } }
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Stops taking new cues; a cue being decoded is finished (libsndfile cannot be interrupted)
    /// and then dropped.
    func cancel() { cancelled.store(true, ordering: .relaxed) }

    private func work() {
        while !cancelled.load(ordering: .relaxed) {
            let i = next.add(1, ordering: .relaxed).oldValue
            guard i < slots.count else { return }
            let ok = fill(slots[i])
            if ok, let target = slots[i].measureTowards { gains[i] = measure(slots[i], target: target) }
            states[i].store(ok ? 1 : 2, ordering: .releasing)
            done.add(1, ordering: .releasing)
        }
    }

    /// A cue without a stored loudness is measured here, on the decoder thread, from the
    /// samples just put in place (never on the control thread, which must keep answering).
    /// An unmeasurable cue (silence, a libebur128 failure) plays at unity gain.
    private func measure(_ slot: CueSlot, target: Double) -> Float {
        let lufs = try? Loudness.measure(samples: slot.samples, frames: Int(slot.frames), channels: slot.channels, rate: rate)
        return Float(Loudness.gain(lufs: lufs, target: target))
    }

    private func fill(_ slot: CueSlot) -> Bool {
        let count = Int(slot.frames) * slot.channels
        let raw = arena.base + slot.offset
        let key = slot.stamp.map { DecodedCueCache.key(source: slot.source, stamp: $0, rate: rate, quality: quality) }
        if let cache, let key, cache.map(key: key, frames: slot.frames, channels: slot.channels, over: raw, count: count) {
            fromCache.add(1, ordering: .relaxed)
            return true
        }
        // No entry, or a damaged one (its mapping is replaced here): decode.
        guard arena.makeWritable(offset: slot.offset, bytes: slot.bytes) else {
            problems.withLock { $0.append("  \(slot.id): cannot map memory for \(slot.source): \(Platform.errorText(errno))") }
            return false
        }
        let cue: LoadedCue
        do { cue = try CueLoader.load(path: slot.source, outputRate: rate, quality: quality) } catch {
            problems.withLock { $0.append("  \(slot.id): \(error)") }
            return false
        }
        guard cue.frames.value == slot.frames, cue.channels == slot.channels, let src = cue.pcm.baseAddress else {
            problems.withLock {
                $0.append("  \(slot.id): \(slot.source): decoded \(cue.frames) frames in \(cue.channels) channel(s), "
                          + "the header promised \(slot.frames) in \(slot.channels)")
            }
            return false
        }
        raw.copyMemory(from: src, byteCount: count * 2)
        if let cache, let key, Platform.stamp(slot.source) == slot.stamp {
            cache.store(key: key, frames: slot.frames, channels: slot.channels, samples: UnsafeRawPointer(raw), count: count)
        }
        return true
    }
}
