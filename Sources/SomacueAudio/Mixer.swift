import CPortAudio
import SomacueCore
import Synchronization

/// One cue placement in the render kernel's event table: plain data, no references, so the
/// audio thread never retains or releases anything.
public struct KernelEvent: @unchecked Sendable {
    public var start: Int64
    public var frames: Int64
    /// 16-bit samples, value / 32768 (see `LoadedCue.pcm`).
    public var samples: UnsafePointer<Int16>
    /// 1 (mono, duplicated to both outputs) or 2 (interleaved stereo).
    public var channels: Int
    public var gain: Float
    public var isVoice: Bool
    public var end: Int64 { start + frames }

    public init(start: Int64, frames: Int64, samples: UnsafePointer<Int16>, channels: Int, gain: Float, isVoice: Bool) {
        self.start = start
        self.frames = frames
        self.samples = samples
        self.channels = channels
        self.gain = gain
        self.isVoice = isVoice
    }
}

/// A kernel-owned, immutable table of events sorted by start. Made and freed on the control
/// thread; the audio thread only reads it. A swap hands the old table back through a note.
public struct EventTable: @unchecked Sendable {
    public let events: UnsafeMutablePointer<KernelEvent>
    public let count: Int
    public let totalFrames: Int64
    public let generation: Int
    /// The pacing guide for this timeline (`planGuide`), sorted, never overlapping.
    public let guide: UnsafeMutablePointer<GuideSegment>
    public let guideCount: Int

    /// A table made for a session must carry its guide (`LoadedSession.guideSegments`), or a
    /// swap silences it.
    public static func make(_ list: [KernelEvent], totalFrames: Int64, generation: Int = 0,
                            guide: [GuideSegment] = []) -> EventTable {
        precondition(zip(list, list.dropFirst()).allSatisfy { $0.start <= $1.start }, "events must be sorted by start")
        precondition(zip(guide, guide.dropFirst()).allSatisfy { $0.end <= $1.start } && guide.allSatisfy { $0.frames > 0 },
                     "guide segments must be sorted and must not overlap")
        let table = UnsafeMutablePointer<KernelEvent>.allocate(capacity: max(list.count, 1))
        for (i, e) in list.enumerated() { (table + i).initialize(to: e) }
        let segments = UnsafeMutablePointer<GuideSegment>.allocate(capacity: max(guide.count, 1))
        for (i, g) in guide.enumerated() { (segments + i).initialize(to: g) }
        return EventTable(events: table, count: list.count, totalFrames: totalFrames, generation: generation,
                          guide: segments, guideCount: guide.count)
    }

    /// Control thread only, after the audio thread has let go of the table.
    public func free() {
        events.deinitialize(count: count)
        events.deallocate()
        guide.deinitialize(count: guideCount)
        guide.deallocate()
    }
}

/// A sound played on the output clock, outside the timeline: pause, resume and stop sounds.
public struct OverlayCue: @unchecked Sendable {
    public var samples: UnsafePointer<Int16>
    public var frames: Int64
    public var channels: Int
    public var gain: Float
    public var isVoice: Bool
    /// Output frames to wait before the first sample (to chain a tone and a voice).
    public var delay: Int64
    public init(samples: UnsafePointer<Int16>, frames: Int64, channels: Int, gain: Float, isVoice: Bool, delay: Int64 = 0) {
        self.samples = samples
        self.frames = frames
        self.channels = channels
        self.gain = gain
        self.isVoice = isVoice
        self.delay = delay
    }
}

/// Control -> audio. Plain payloads only, so passing one copies no reference.
public enum MixerCommand: @unchecked Sendable {
    /// Fade the timeline out and hold it.
    case pause(token: Int)
    /// After `delay` output frames, continue the held timeline from `from`, fading in.
    case resume(token: Int, from: Int64, delay: Int64)
    /// Start a timeline held since before its stream started (`holdBeforeStart`) where it is,
    /// without a fade: what it plays from there is its render's audio, sample for sample.
    case begin
    /// Fade out, continue from `to` (held timelines just move).
    case seek(token: Int, to: Int64)
    /// Fade out and hold; `finished` is set.
    case stop(token: Int)
    case overlay(OverlayCue)
    case swap(EventTable)
    /// New class gains, reached with a 20 ms linear ramp.
    case volume(master: Float, voice: Float, tone: Float)
}

/// Audio -> control: what happened, on which output frame and timeline frame.
public enum MixerNote: @unchecked Sendable {
    case pauseStarted(token: Int, outputFrame: Int64, timelineFrame: Int64)
    case paused(token: Int, outputFrame: Int64, timelineFrame: Int64)
    case resumed(token: Int, outputFrame: Int64, timelineFrame: Int64)
    case seeked(token: Int, outputFrame: Int64, timelineFrame: Int64)
    case stopped(token: Int, outputFrame: Int64, timelineFrame: Int64)
    /// The table that was replaced: free it on the control thread.
    case swapped(old: EventTable)
}

/// What travels through a ring: commands one way, notes the other.
public enum MixerMessage: @unchecked Sendable {
    case command(MixerCommand)
    case note(MixerNote)
}

/// A bounded single-producer/single-consumer queue: one thread pushes, one pops, neither ever
/// waits or allocates. Deliberately not generic: an unspecialized generic would instantiate its
/// type metadata (a heap allocation) the first time the audio thread touched it.
public struct MessageRing: ~Copyable {
    let buffer: UnsafeMutablePointer<MixerMessage>
    let capacity: Int
    /// Next slot to write; written by the producer only.
    let head = Atomic<Int>(0)
    /// Next slot to read; written by the consumer only.
    let tail = Atomic<Int>(0)

    init(capacity: Int) {
        buffer = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    /// Producer only. False when full.
    @inline(__always)
    func push(_ e: MixerMessage) -> Bool {
        let h = head.load(ordering: .relaxed)
        if h - tail.load(ordering: .acquiring) >= capacity { return false }
        (buffer + h % capacity).initialize(to: e)
        head.store(h + 1, ordering: .releasing)
        return true
    }

    /// Consumer only.
    @inline(__always)
    func pop() -> MixerMessage? {
        let t = tail.load(ordering: .relaxed)
        if t == head.load(ordering: .acquiring) { return nil }
        let e = (buffer + t % capacity).move()
        tail.store(t + 1, ordering: .releasing)
        return e
    }

    func release() {
        while pop() != nil {}
        buffer.deallocate()
    }
}

/// Mixer constants. Fades are linear ramps (the kernel may not call libm, see the engineering
/// notes section 14) and short enough to be inaudible as fades, long enough not to click.
public enum MixerTuning {
    /// Fade at the start and end of every cue: 2 ms at 48 kHz.
    public static let cueFadeFrames = 96
    /// Tones under a voice are ducked to this gain, with a 10 ms ramp at 48 kHz.
    public static let duckGain: Float = 0.35
    public static let duckRampFrames = 480
    /// The soft limiter is linear up to this level, then bends smoothly towards full scale.
    public static let limiterKnee: Float = 0.85
    /// Largest block the kernel renders in one go; larger requests are split.
    public static let maxBlock = 4096
    /// Fade-out on stop (Ctrl-C, `stop`), 150 ms at 48 kHz.
    public static let stopFadeFrames: Int64 = 7_200
    /// Fade on pause, resume and seek: 10 ms, so silence comes well within 20 ms.
    public static let transportFadeFrames: Int64 = 480
    /// Volume changes ramp over 20 ms.
    public static let volumeRampFrames = 960
    /// Simultaneous overlay sounds.
    public static let overlaySlots = 8
    /// The pacing guide under a voice: about -12 dB, deeper than the tones, so the words
    /// always stand clear of it (ramped by the voices' presence, like the tones).
    public static let guideDuckGain: Float = 0.25
}

enum FadeAction {
    case pause(token: Int)
    case stop(token: Int)
    case seek(token: Int, to: Int64)
}

enum TransportMode {
    case playing
    case fadingIn(remaining: Int64)
    case fadingOut(FadeAction, remaining: Int64, length: Int64)
    case held
    case waiting(until: Int64, from: Int64, token: Int)
}

struct OverlaySlot {
    var cue: OverlayCue
    var position: Int64
    var active: Bool
}

struct GainRamp {
    var current: Float
    var target: Float
    var step: Float = 0
    var remaining = 0

    @inline(__always)
    mutating func next() -> Float {
        if remaining > 0 {
            remaining -= 1
            current = remaining == 0 ? target : current + step
        }
        return current
    }

    mutating func set(_ value: Float) {
        target = value
        remaining = MixerTuning.volumeRampFrames
        step = (value - current) / Float(remaining)
    }
}

/// Everything the render kernel reads. Allocated once by `MixerState.allocate`, shared with the
/// audio callback through a raw pointer, and freed only after the stream is closed.
///
/// Thread ownership: fields without `Atomic` are written only by the thread that renders (the
/// audio callback, or the offline renderer); the control thread talks to it only through the
/// atomics and the two rings.
public struct MixerState: ~Copyable {
    var table: EventTable
    let voiceAcc: UnsafeMutablePointer<Float>
    let toneAcc: UnsafeMutablePointer<Float>
    /// The pacing guide, mono (`GuideOscillator.swift`), and its wavetable.
    let guideAcc: UnsafeMutablePointer<Float>
    let wavetable: UnsafeMutablePointer<Float>
    let presence: UnsafeMutablePointer<Float>
    let transportGain: UnsafeMutablePointer<Float>
    let timelineFrame: UnsafeMutablePointer<Int64>
    let overlays: UnsafeMutablePointer<OverlaySlot>
    /// Block offsets [touchedFrom, touchedTo) where `accumulate` wrote into the cue
    /// accumulators (voices, tones, presence) in the block being rendered, and
    /// [guideFrom, guideTo) where `guideAccumulate` wrote into `guideAcc`. Outside them they hold
    /// zeros: the accumulators are all zero between blocks, and only the touched ranges are
    /// cleared after each block.
    var touchedFrom = 0
    var touchedTo = 0
    var guideFrom = 0
    var guideTo = 0
    /// First event that may still sound.
    var cursor = 0
    var mode = TransportMode.playing
    var outputFrame: Int64 = 0
    /// A seek that arrived while a pause or stop fade was running: applied when it ends.
    var seekAfterFade: Int64 = -1
    var master: GainRamp
    var voice: GainRamp
    var tone: GainRamp

    /// Control -> audio commands; the control thread is the only producer.
    let commands = MessageRing(capacity: 64)
    /// Audio -> control notes; the audio thread is the only producer.
    let notes = MessageRing(capacity: 64)

    /// Next timeline frame to render. Written by the render thread, read by anyone.
    public let position = Atomic<Int64>(0)
    /// Frames delivered to the device so far (the output clock).
    public let outputPosition = Atomic<Int64>(0)
    /// Overlay sounds still playing or waiting (written by the render thread).
    public let activeOverlays = Atomic<Int>(0)
    /// Set by the control thread (Ctrl-C in the foreground player): fade out and hold.
    public let stopRequested = Atomic<Bool>(false)
    /// Set by the render thread once the timeline (or a stop fade) has been fully rendered.
    public let finished = Atomic<Bool>(false)
    /// Frames of the current table's timeline, for readers on other threads.
    public let totalFrames: Atomic<Int64>
    /// Timeline frames before this one may be rendered: every cue that starts earlier is in
    /// memory. The daemon's player sets it while cues are still being decoded (`loading`), and
    /// the timeline waits there, in silence, rather than skip a cue; `Int64.max` when all are
    /// ready. It only grows; written (atomic max, release) by the control thread and the device
    /// opener, read by the render thread (acquire).
    public let playable = Atomic<Int64>(Int64.max)
    public let callbacks = Atomic<Int>(0)
    /// Callbacks that reported an output underflow from the device.
    public let underruns = Atomic<Int>(0)

    init(table: EventTable, master: Float, voice: Float, tone: Float) {
        self.table = table
        voiceAcc = .allocate(capacity: MixerTuning.maxBlock * 2)
        voiceAcc.initialize(repeating: 0, count: MixerTuning.maxBlock * 2)
        toneAcc = .allocate(capacity: MixerTuning.maxBlock * 2)
        toneAcc.initialize(repeating: 0, count: MixerTuning.maxBlock * 2)
        guideAcc = .allocate(capacity: MixerTuning.maxBlock)
        guideAcc.initialize(repeating: 0, count: MixerTuning.maxBlock)
        wavetable = GuideWavetable.make()
        presence = .allocate(capacity: MixerTuning.maxBlock)
        presence.initialize(repeating: 0, count: MixerTuning.maxBlock)
        transportGain = .allocate(capacity: MixerTuning.maxBlock)
        timelineFrame = .allocate(capacity: MixerTuning.maxBlock)
        overlays = .allocate(capacity: MixerTuning.overlaySlots)
        for i in 0..<MixerTuning.overlaySlots {
            (overlays + i).initialize(to: OverlaySlot(cue: OverlayCue(samples: UnsafePointer(bitPattern: 8)!, frames: 0, channels: 1, gain: 0, isVoice: false),
                                                      position: 0, active: false))
        }
        self.master = GainRamp(current: master, target: master)
        self.voice = GainRamp(current: voice, target: voice)
        self.tone = GainRamp(current: tone, target: tone)
        totalFrames = Atomic(table.totalFrames)
    }

    /// Copies `events` (sorted by start) into a kernel-owned table and returns the state on the
    /// heap. The cue sample buffers must outlive the state.
    public static func allocate(events: [KernelEvent], totalFrames: Int64,
                                master: Float, voice: Float, tone: Float,
                                guide: [GuideSegment] = []) -> UnsafeMutablePointer<MixerState> {
        let p = UnsafeMutablePointer<MixerState>.allocate(capacity: 1)
        p.initialize(to: MixerState(table: .make(events, totalFrames: totalFrames, guide: guide), master: master, voice: voice, tone: tone))
        return p
    }

    /// Frees a state made by `allocate`, with any table still waiting in the rings. Call only
    /// after the audio stream is closed.
    public static func deallocate(_ p: UnsafeMutablePointer<MixerState>) {
        while let m = p.pointee.notes.pop() {
            if case .note(.swapped(let old)) = m { old.free() }
        }
        while let m = p.pointee.commands.pop() {
            if case .command(.swap(let t)) = m { t.free() }
        }
        p.pointee.table.free()
        p.pointee.voiceAcc.deallocate()
        p.pointee.toneAcc.deallocate()
        p.pointee.guideAcc.deallocate()
        p.pointee.wavetable.deallocate()
        p.pointee.presence.deallocate()
        p.pointee.transportGain.deallocate()
        p.pointee.timelineFrame.deallocate()
        p.pointee.overlays.deallocate()
        p.pointee.commands.release()
        p.pointee.notes.release()
        p.deinitialize(count: 1)
        p.deallocate()
    }

    /// Control thread: queue a command for the next callback. False if the ring is full.
    public func send(_ command: MixerCommand) -> Bool { commands.push(.command(command)) }
    /// Control thread: the next note from the audio thread.
    public func nextNote() -> MixerNote? {
        guard case .note(let n)? = notes.pop() else { return nil }
        return n
    }
}

/// Renders `frames` stereo frames into `out` (interleaved Int16) and, if given, `floatOut`
/// (interleaved Float, the same signal before quantization). While the transport plays, the
/// output is a pure function of the timeline and the timeline frame index, so any block size
/// gives the same samples: live playback equals the offline render.
@_noLocks
public func mixerRender(_ state: UnsafeMutablePointer<MixerState>, frames: Int,
                        into out: UnsafeMutablePointer<Int16>, floatOut: UnsafeMutablePointer<Float>?) {
    var done = 0
    while done < frames {
        let n = min(frames - done, MixerTuning.maxBlock)
        if let floatOut {
            renderBlock(state, frames: n, out: out + 2 * done, floatOut: floatOut + 2 * done)
        } else {
            renderBlock(state, frames: n, out: out + 2 * done, floatOut: nil)
        }
        done += n
    }
}

@_noLocks
func post(_ st: UnsafeMutablePointer<MixerState>, _ note: MixerNote) {
    // A full ring means the control thread stopped reading; dropping a note is better than
    // blocking the device.
    _ = st.pointee.notes.push(.note(note))
}

extension MixerState {
    /// Before the stream starts (no audio thread yet): hold the timeline at `frame`, as after a
    /// completed pause, so that the stream plays silence until a `resume`. A restored session
    /// starts this way.
    public static func holdBeforeStart(_ st: UnsafeMutablePointer<MixerState>, at frame: Int64) {
        st.pointee.mode = .held
        st.pointee.position.store(frame, ordering: .releasing)
        resetCursor(st)
    }
}

extension MixerState {
    /// Offline rendering in pieces, one state per thread: the timeline plays on from `frame`
    /// exactly as if it had played up to there. While the transport plays (no pause, seek,
    /// overlay or volume ramp, which an offline render never has) a block's samples depend only
    /// on the timeline frames it covers, so pieces rendered by several states join into the
    /// samples of one pass.
    public static func placeForRender(_ st: UnsafeMutablePointer<MixerState>, at frame: Int64) {
        guard case .playing = st.pointee.mode else { preconditionFailure("placeForRender needs a playing transport") }
        st.pointee.position.store(frame, ordering: .releasing)
        resetCursor(st)
    }
}

@_noLocks
func resetCursor(_ st: UnsafeMutablePointer<MixerState>) {
    st.pointee.cursor = 0
}

@_noLocks
func applyCommands(_ st: UnsafeMutablePointer<MixerState>) {
    let out = st.pointee.outputFrame
    while let message = st.pointee.commands.pop() {
        guard case .command(let cmd) = message else { continue }
        let pos = st.pointee.position.load(ordering: .relaxed)
        switch cmd {
        case .pause(let token):
            switch st.pointee.mode {
            case .playing, .fadingIn:
                post(st, .pauseStarted(token: token, outputFrame: out, timelineFrame: pos))
                st.pointee.mode = .fadingOut(.pause(token: token), remaining: MixerTuning.transportFadeFrames,
                                             length: MixerTuning.transportFadeFrames)
            case .held, .waiting, .fadingOut:
                st.pointee.mode = .held
                post(st, .pauseStarted(token: token, outputFrame: out, timelineFrame: pos))
                post(st, .paused(token: token, outputFrame: out, timelineFrame: pos))
            }
        case let .resume(token, from, delay):
            st.pointee.mode = .waiting(until: out + delay, from: from, token: token)
        case .begin:
            if case .held = st.pointee.mode, !st.pointee.finished.load(ordering: .relaxed) { st.pointee.mode = .playing }
        case let .seek(token, to):
            switch st.pointee.mode {
            case .playing, .fadingIn:
                st.pointee.mode = .fadingOut(.seek(token: token, to: to), remaining: MixerTuning.transportFadeFrames,
                                             length: MixerTuning.transportFadeFrames)
            case .waiting(let until, _, let t):
                st.pointee.mode = .waiting(until: until, from: to, token: t)
                post(st, .seeked(token: token, outputFrame: out, timelineFrame: to))
            case let .fadingOut(.seek, remaining, length):
                // A seek while another seek fades out: the newest target wins.
                st.pointee.mode = .fadingOut(.seek(token: token, to: to), remaining: remaining, length: length)
            case .fadingOut, .held:
                // Pausing or stopping: move the frozen position now; the fade that is running
                // plays out what was already under way and leaves the timeline held there.
                st.pointee.seekAfterFade = to
                if case .held = st.pointee.mode {
                    st.pointee.position.store(to, ordering: .releasing)
                    st.pointee.seekAfterFade = -1
                    resetCursor(st)
                }
                post(st, .seeked(token: token, outputFrame: out, timelineFrame: to))
            }
        case .stop(let token):
            switch st.pointee.mode {
            case .playing, .fadingIn:
                st.pointee.mode = .fadingOut(.stop(token: token), remaining: MixerTuning.stopFadeFrames,
                                             length: MixerTuning.stopFadeFrames)
            default:
                st.pointee.mode = .held
                st.pointee.finished.store(true, ordering: .releasing)
                post(st, .stopped(token: token, outputFrame: out, timelineFrame: pos))
            }
        case .overlay(let cue):
            for i in 0..<MixerTuning.overlaySlots where !st.pointee.overlays[i].active {
                st.pointee.overlays[i] = OverlaySlot(cue: cue, position: -cue.delay, active: true)
                break
            }
        case .swap(let table):
            let old = st.pointee.table
            st.pointee.table = table
            st.pointee.totalFrames.store(table.totalFrames, ordering: .releasing)
            resetCursor(st)
            post(st, .swapped(old: old))
        case let .volume(m, v, t):
            st.pointee.master.set(m)
            st.pointee.voice.set(v)
            st.pointee.tone.set(t)
        }
    }
}

/// Adds the timeline's cues for timeline frames [from, from + m) into the accumulators at
/// block offset `k`, and widens the block's touched range to cover what it wrote.
///
/// Each cue's frames fall into edges (the 2 ms fades, and for voices the 10 ms ramp of the
/// ducking presence) and an interior where the gain is the event's own and the presence is
/// exactly 1. Edges go through `accumulateEdge`, frame by frame with the full arithmetic; the
/// interior runs a plain multiply-add loop. Both compute every sample with the same operations
/// in the same order, so the split changes no output bit.
@_noLocks
func accumulate(_ st: UnsafeMutablePointer<MixerState>, from: Int64, frames m: Int, at k0: Int) {
    let to = from + Int64(m)
    let voiceAcc = st.pointee.voiceAcc
    let toneAcc = st.pointee.toneAcc
    let presence = st.pointee.presence
    let events = st.pointee.table.events
    let count = st.pointee.table.count
    // Skip events that have ended before this chunk; later ones may still overlap. Every jump of
    // the position (seek, resume, table swap) resets the cursor to 0.
    var cursor = st.pointee.cursor
    while cursor < count && events[cursor].end <= from { cursor += 1 }
    st.pointee.cursor = cursor

    let scale: Float = 1.0 / 32768
    var j = cursor
    while j < count && events[j].start < to {
        let e = events[j]
        j += 1
        if e.end <= from { continue }
        let first = max(from, e.start)
        let last = min(to, e.end)
        let acc = e.isVoice ? voiceAcc : toneAcc
        let fade = Int64(min(MixerTuning.cueFadeFrames, Int(e.frames / 2)))
        // Cue-relative frames [a, b) to render; [s, t) is their interior part.
        let a = first - e.start
        let b = last - e.start
        var interiorStart = fade
        var interiorEnd = e.frames - fade
        if e.isVoice {
            // presence = min(1, (i + 1) / ramp, (frames - i) / ramp) is exactly 1 from
            // i + 1 >= ramp to frames - i >= ramp.
            let ramp = Int64(MixerTuning.duckRampFrames)
            interiorStart = max(interiorStart, ramp - 1)
            interiorEnd = min(interiorEnd, e.frames - ramp + 1)
        }
        let s = min(max(interiorStart, a), b)
        let t = min(max(interiorEnd, s), b)
        let kFirst = k0 + Int(first - from)
        st.pointee.touchedFrom = min(st.pointee.touchedFrom, kFirst)
        st.pointee.touchedTo = max(st.pointee.touchedTo, kFirst + Int(b - a))
        if s > a { accumulateEdge(e, fade: fade, cueFrames: a..<s, at: kFirst, acc: acc, presence: presence) }
        if t > s {
            let g = e.gain
            let len = Int(t - s)
            let k = kFirst + Int(s - a)
            let dst = acc + 2 * k
            if e.channels == 1 {
                let src = e.samples + Int(s)
                for i in 0..<len {
                    let x = Float(src[i]) * scale * g
                    dst[2 * i] += x
                    dst[2 * i + 1] += x
                }
            } else {
                let src = e.samples + 2 * Int(s)
                for i in 0..<(2 * len) {
                    dst[i] += Float(src[i]) * scale * g
                }
            }
            if e.isVoice {
                // Presence never exceeds 1, so the maximum with 1 is 1.
                (presence + k).update(repeating: 1, count: len)
            }
        }
        if b > t { accumulateEdge(e, fade: fade, cueFrames: t..<b, at: kFirst + Int(t - a), acc: acc, presence: presence) }
    }
}

/// Cue-relative frames `cueFrames` of `e` into `acc` from block offset `k0`, with the fade and
/// the presence ramp computed for each frame.
@_noLocks
@inline(__always)
func accumulateEdge(_ e: KernelEvent, fade: Int64, cueFrames: Range<Int64>, at k0: Int,
                    acc: UnsafeMutablePointer<Float>, presence: UnsafeMutablePointer<Float>) {
    var k = k0
    for i in cueFrames {
        var g = e.gain
        if i < fade {
            g *= Float(i + 1) / Float(fade + 1)
        } else if i >= e.frames - fade {
            g *= Float(e.frames - i) / Float(fade + 1)
        }
        let scale: Float = 1.0 / 32768
        if e.channels == 1 {
            let s = Float(e.samples[Int(i)]) * scale * g
            acc[2 * k] += s
            acc[2 * k + 1] += s
        } else {
            acc[2 * k] += Float(e.samples[2 * Int(i)]) * scale * g
            acc[2 * k + 1] += Float(e.samples[2 * Int(i) + 1]) * scale * g
        }
        if e.isVoice {
            let ramp = Float(MixerTuning.duckRampFrames)
            let p = min(1, min(Float(i + 1) / ramp, Float(e.frames - i) / ramp))
            if p > presence[k] { presence[k] = p }
        }
        k += 1
    }
}

/// Renders a timeline chunk of `m` frames at block offset `k` with transport gains from `g0`
/// changing by `dg` per frame, and advances the timeline position.
@_noLocks
func playChunk(_ st: UnsafeMutablePointer<MixerState>, at k: Int, frames m: Int, gain g0: Float, step dg: Float) {
    let pos = st.pointee.position.load(ordering: .relaxed)
    // Never past a cue that is not decoded yet: the frames beyond `playable` stay silent and the
    // timeline (the pacing guide's too) does not advance through them (it waits).
    let room = st.pointee.playable.load(ordering: .acquiring) &- pos
    let n = room >= Int64(m) ? m : (room > 0 ? Int(room) : 0)
    if n > 0 {
        accumulate(st, from: pos, frames: n, at: k)
        guideAccumulate(st, from: pos, frames: n, at: k)
    }
    let gains = st.pointee.transportGain + k
    if dg == 0 {
        // dg x Float(i) is a zero of dg's sign for every i (Float(i) is finite and not negative).
        gains.update(repeating: g0 + dg * 0, count: m)
    } else {
        for i in 0..<m { gains[i] = g0 + dg * Float(i) }
    }
    let frames = st.pointee.timelineFrame + k
    let end = pos + Int64(n)  // checked: no frame below wraps
    for i in 0..<n { frames[i] = pos &+ Int64(i) }
    (frames + n).update(repeating: -1, count: m - n)
    st.pointee.position.store(end, ordering: .releasing)
}

@_noLocks
func silentChunk(_ st: UnsafeMutablePointer<MixerState>, at k: Int, frames m: Int) {
    for i in 0..<m {
        st.pointee.transportGain[k + i] = 0
        st.pointee.timelineFrame[k + i] = -1
    }
}

@_noLocks
func renderBlock(_ st: UnsafeMutablePointer<MixerState>, frames n: Int,
                 out: UnsafeMutablePointer<Int16>, floatOut: UnsafeMutablePointer<Float>?) {
    applyCommands(st)
    if st.pointee.stopRequested.load(ordering: .acquiring) {
        switch st.pointee.mode {
        case .playing, .fadingIn:
            st.pointee.mode = .fadingOut(.stop(token: -1), remaining: MixerTuning.stopFadeFrames, length: MixerTuning.stopFadeFrames)
        default: break
        }
    }
    let voiceAcc = st.pointee.voiceAcc
    let toneAcc = st.pointee.toneAcc
    let presence = st.pointee.presence
    // The accumulators are all zero here (cleared after the previous block); nothing touched yet.
    st.pointee.touchedFrom = n
    st.pointee.touchedTo = 0
    st.pointee.guideFrom = n
    st.pointee.guideTo = 0

    // Walk the block in chunks of constant transport mode.
    var k = 0
    while k < n {
        let left = n - k
        let now = st.pointee.outputFrame + Int64(k)
        switch st.pointee.mode {
        case .playing:
            playChunk(st, at: k, frames: left, gain: 1, step: 0)
            k = n
        case .fadingIn(let remaining):
            let m = Int(min(Int64(left), remaining))
            let length = MixerTuning.transportFadeFrames
            let done = length - remaining
            playChunk(st, at: k, frames: m, gain: Float(done + 1) / Float(length + 1), step: 1 / Float(length + 1))
            st.pointee.mode = remaining - Int64(m) > 0 ? .fadingIn(remaining: remaining - Int64(m)) : .playing
            k += m
        case let .fadingOut(action, remaining, length):
            let m = Int(min(Int64(left), remaining))
            playChunk(st, at: k, frames: m, gain: Float(remaining) / Float(length + 1), step: -1 / Float(length + 1))
            k += m
            if remaining - Int64(m) > 0 {
                st.pointee.mode = .fadingOut(action, remaining: remaining - Int64(m), length: length)
            } else {
                let end = st.pointee.outputFrame + Int64(k)
                if st.pointee.seekAfterFade >= 0 {
                    st.pointee.position.store(st.pointee.seekAfterFade, ordering: .releasing)
                    st.pointee.seekAfterFade = -1
                    resetCursor(st)
                }
                let pos = st.pointee.position.load(ordering: .relaxed)
                switch action {
                case .pause(let token):
                    st.pointee.mode = .held
                    post(st, .paused(token: token, outputFrame: end, timelineFrame: pos))
                case .stop(let token):
                    st.pointee.mode = .held
                    st.pointee.finished.store(true, ordering: .releasing)
                    post(st, .stopped(token: token, outputFrame: end, timelineFrame: pos))
                case let .seek(token, to):
                    st.pointee.position.store(to, ordering: .releasing)
                    resetCursor(st)
                    st.pointee.mode = .fadingIn(remaining: MixerTuning.transportFadeFrames)
                    post(st, .seeked(token: token, outputFrame: end, timelineFrame: to))
                }
            }
        case .held:
            silentChunk(st, at: k, frames: left)
            k = n
        case let .waiting(until, from, token):
            let wait = until - now
            if wait <= 0 {
                st.pointee.position.store(from, ordering: .releasing)
                resetCursor(st)
                st.pointee.mode = .fadingIn(remaining: MixerTuning.transportFadeFrames)
                post(st, .resumed(token: token, outputFrame: now, timelineFrame: from))
            } else {
                let m = Int(min(Int64(left), wait))
                silentChunk(st, at: k, frames: m)
                k += m
            }
        }
    }

    let total = st.pointee.table.totalFrames
    let overlays = st.pointee.overlays
    let touchedFrom = st.pointee.touchedFrom
    let touchedTo = st.pointee.touchedTo
    let guideFrom = st.pointee.guideFrom
    let guideTo = st.pointee.guideTo
    var anyOverlay = false
    for s in 0..<MixerTuning.overlaySlots where overlays[s].active { anyOverlay = true }
    let ramping = st.pointee.master.remaining > 0 || st.pointee.voice.remaining > 0 || st.pointee.tone.remaining > 0
    if anyOverlay || ramping {
        mixFrames(st, 0..<n, out: out, floatOut: floatOut)
    } else if touchedFrom < touchedTo {
        // Steady gains, no overlay. Outside the cue range only the guide may sound
        // (`mixQuiet`); the full arithmetic runs where a cue wrote.
        mixQuiet(st, 0..<touchedFrom, guide: guideFrom..<max(guideFrom, guideTo), out: out, floatOut: floatOut)
        mixSteady(st, touchedFrom..<touchedTo, out: out, floatOut: floatOut)
        mixQuiet(st, touchedTo..<n, guide: guideFrom..<max(guideFrom, guideTo), out: out, floatOut: floatOut)
    } else {
        mixQuiet(st, 0..<n, guide: guideFrom..<max(guideFrom, guideTo), out: out, floatOut: floatOut)
    }
    if touchedFrom < touchedTo {
        let width = touchedTo - touchedFrom
        (voiceAcc + 2 * touchedFrom).update(repeating: 0, count: 2 * width)
        (toneAcc + 2 * touchedFrom).update(repeating: 0, count: 2 * width)
        (presence + touchedFrom).update(repeating: 0, count: width)
    }
    if guideFrom < guideTo {
        (st.pointee.guideAcc + guideFrom).update(repeating: 0, count: guideTo - guideFrom)
    }
    var active = 0
    for s in 0..<MixerTuning.overlaySlots where overlays[s].active { active += 1 }
    st.pointee.activeOverlays.store(active, ordering: .releasing)
    st.pointee.outputFrame += Int64(n)
    st.pointee.outputPosition.store(st.pointee.outputFrame, ordering: .releasing)
    if case .playing = st.pointee.mode, st.pointee.position.load(ordering: .relaxed) >= total {
        st.pointee.finished.store(true, ordering: .releasing)
    }
}

/// Silent frames: +0 as Float, 0 as Int16.
@_noLocks
@inline(__always)
func writeSilence(_ frames: Range<Int>, out: UnsafeMutablePointer<Int16>, floatOut: UnsafeMutablePointer<Float>?) {
    guard !frames.isEmpty else { return }
    (out + 2 * frames.lowerBound).update(repeating: 0, count: 2 * frames.count)
    floatOut.map { ($0 + 2 * frames.lowerBound).update(repeating: 0, count: 2 * frames.count) }
}

/// Block frames `frames`, where no cue wrote, while the class gains hold still and no overlay
/// plays: silence outside the guide range `guide`, `mixGuide` inside it.
///
/// Exact: outside every range all accumulators are +0, so a sample is (+0 x gains) + 0 = +0
/// (the + 0 for the absent overlays turns a -0 into +0 too), what the full arithmetic gives.
/// Inside the guide range but outside the cue range, voice and tone accumulators and the
/// presence are +0: with finite class gains the sum (+0 x voice + +0 x tone) + guide x 1 is the
/// guide sample itself (never -0: `guideAcc` starts at +0), and every frame of the guide range is
/// audible (`guideAccumulate` stops at the table's end, and writes only frames it plays).
@_noLocks
@inline(__always)
func mixQuiet(_ st: UnsafeMutablePointer<MixerState>, _ frames: Range<Int>, guide: Range<Int>,
              out: UnsafeMutablePointer<Int16>, floatOut: UnsafeMutablePointer<Float>?) {
    let lower = min(max(guide.lowerBound, frames.lowerBound), frames.upperBound)
    let upper = min(max(guide.upperBound, lower), frames.upperBound)
    writeSilence(frames.lowerBound..<lower, out: out, floatOut: floatOut)
    if lower < upper {
        if st.pointee.voice.current.isFinite && st.pointee.tone.current.isFinite {
            mixGuide(st, lower..<upper, out: out, floatOut: floatOut)
        } else {
            mixSteady(st, lower..<upper, out: out, floatOut: floatOut)
        }
    }
    writeSilence(upper..<frames.upperBound, out: out, floatOut: floatOut)
}

/// The guide alone (see `mixQuiet` for when that is exact): guide x master x transport gain,
/// limited and quantized, the same on both channels. Four frames at a time with the same
/// operations as `softLimit` and `quantize`, lane by lane (`softLimit4`, `quantize4`).
@_noLocks
func mixGuide(_ st: UnsafeMutablePointer<MixerState>, _ frames: Range<Int>,
              out: UnsafeMutablePointer<Int16>, floatOut: UnsafeMutablePointer<Float>?) {
    let master = st.pointee.master.current
    let guideAcc = st.pointee.guideAcc
    let transportGain = st.pointee.transportGain
    var k = frames.lowerBound
    let end = frames.upperBound
    while k + 4 <= end {
        let guide = UnsafeRawPointer(guideAcc + k).loadUnaligned(as: SIMD4<Float>.self)
        let gains = UnsafeRawPointer(transportGain + k).loadUnaligned(as: SIMD4<Float>.self)
        let x = softLimit4(guide * master * gains + 0)
        let q = quantize4(x)
        let low = unsafeBitCast(q, to: SIMD4<UInt32>.self) & 0xFFFF
        UnsafeMutableRawPointer(out + 2 * k).storeBytes(of: low | (low &<< 16), as: SIMD4<UInt32>.self)
        if let floatOut {
            let pairs = SIMD8<Float>(x[0], x[0], x[1], x[1], x[2], x[2], x[3], x[3])
            UnsafeMutableRawPointer(floatOut + 2 * k).storeBytes(of: pairs, as: SIMD8<Float>.self)
        }
        k += 4
    }
    if k < end { mixSteady(st, k..<end, out: out, floatOut: floatOut) }
}

/// `softLimit` on four lanes: the same operations, the branch turned into a choice per lane
/// (a NaN takes the curve, as in the scalar version).
@_transparent
func softLimit4(_ x: SIMD4<Float>) -> SIMD4<Float> {
    let knee = MixerTuning.limiterKnee
    let negative = x .< 0
    let a = x.replacing(with: -x, where: negative)
    let linear = a .<= knee
    if all(linear) { return x }
    let room = 1 - knee
    let u = (a - knee) / room
    let y = knee + room * (u / (1 + u))
    return y.replacing(with: -y, where: negative).replacing(with: x, where: linear)
}

/// `quantize` on four lanes, as Int32 values in -32768...32767. The clamp comes first (NaN gives
/// 0), then truncation without a float-to-int conversion: adding 1.5 x 2^23 rounds a value in
/// that range to the nearest integer (ties to even) in the low bits of the sum, and the result
/// is moved one towards zero where that rounding went away from zero.
@_transparent
func quantize4(_ x: SIMD4<Float>) -> SIMD4<Int32> {
    var v = x * 32768
    v = (v + 0.5).replacing(with: v - 0.5, where: v .< 0)
    var c = v.replacing(with: 32767, where: v .>= 32767)
    c = c.replacing(with: -32768, where: v .<= -32768)
    c = c.replacing(with: 0, where: v .!= v)
    let magic: Float = 12_582_912
    let m = c + magic
    let r = m - magic
    var q = unsafeBitCast(m, to: SIMD4<Int32>.self) &- Int32(bitPattern: magic.bitPattern)
    q = q.replacing(with: q &- 1, where: (r .> c) .& (c .>= 0))
    q = q.replacing(with: q &+ 1, where: (r .< c) .& (c .< 0))
    return q
}

/// The mix of block frames `frames` while the class gains hold still and no overlay plays: the
/// same arithmetic as `mixFrames`, with the gains read once.
@_noLocks
func mixSteady(_ st: UnsafeMutablePointer<MixerState>, _ frames: Range<Int>,
               out: UnsafeMutablePointer<Int16>, floatOut: UnsafeMutablePointer<Float>?) {
    let master = st.pointee.master.current
    let voice = st.pointee.voice.current
    let tone = st.pointee.tone.current
    let total = st.pointee.table.totalFrames
    let voiceAcc = st.pointee.voiceAcc
    let toneAcc = st.pointee.toneAcc
    let guideAcc = st.pointee.guideAcc
    let presence = st.pointee.presence
    let transportGain = st.pointee.transportGain
    let timelineFrame = st.pointee.timelineFrame
    // Two frames (four samples) at a time, each lane with the operations of the loops below.
    var k = frames.lowerBound
    while k + 2 <= frames.upperBound {
        let p0 = presence[k], p1 = presence[k + 1]
        let toneGain0 = tone * (1 - (1 - MixerTuning.duckGain) * p0)
        let toneGain1 = tone * (1 - (1 - MixerTuning.duckGain) * p1)
        let guide0 = guideAcc[k] * (1 - (1 - MixerTuning.guideDuckGain) * p0)
        let guide1 = guideAcc[k + 1] * (1 - (1 - MixerTuning.guideDuckGain) * p1)
        let tf0 = timelineFrame[k], tf1 = timelineFrame[k + 1]
        let silent0: Int32 = tf0 >= 0 && tf0 < total ? 0 : 1
        let silent1: Int32 = tf1 >= 0 && tf1 < total ? 0 : 1
        let g0 = transportGain[k], g1 = transportGain[k + 1]
        let v = UnsafeRawPointer(voiceAcc + 2 * k).loadUnaligned(as: SIMD4<Float>.self)
        let t = UnsafeRawPointer(toneAcc + 2 * k).loadUnaligned(as: SIMD4<Float>.self)
        var x = (v * voice + t * SIMD4(toneGain0, toneGain0, toneGain1, toneGain1) + SIMD4(guide0, guide0, guide1, guide1))
            * master * SIMD4(g0, g0, g1, g1)
        x = x.replacing(with: 0, where: SIMD4<Int32>(silent0, silent0, silent1, silent1) .!= 0)
        x = softLimit4(x + 0)
        if let floatOut { UnsafeMutableRawPointer(floatOut + 2 * k).storeBytes(of: x, as: SIMD4<Float>.self) }
        UnsafeMutableRawPointer(out + 2 * k).storeBytes(of: SIMD4<Int16>(truncatingIfNeeded: quantize4(x)), as: SIMD4<Int16>.self)
        k += 2
    }
    let rest = k..<frames.upperBound
    if let floatOut {
        for k in rest {
            let toneGain = tone * (1 - (1 - MixerTuning.duckGain) * presence[k])
            let guide = guideAcc[k] * (1 - (1 - MixerTuning.guideDuckGain) * presence[k])
            let tf = timelineFrame[k]
            let audible = tf >= 0 && tf < total
            for c in 0..<2 {
                var x = (voiceAcc[2 * k + c] * voice + toneAcc[2 * k + c] * toneGain + guide) * master * transportGain[k]
                if !audible { x = 0 }
                x = softLimit(x + 0)
                floatOut[2 * k + c] = x
                out[2 * k + c] = quantize(x)
            }
        }
    } else {
        for k in rest {
            let toneGain = tone * (1 - (1 - MixerTuning.duckGain) * presence[k])
            let guide = guideAcc[k] * (1 - (1 - MixerTuning.guideDuckGain) * presence[k])
            let tf = timelineFrame[k]
            let audible = tf >= 0 && tf < total
            for c in 0..<2 {
                var x = (voiceAcc[2 * k + c] * voice + toneAcc[2 * k + c] * toneGain + guide) * master * transportGain[k]
                if !audible { x = 0 }
                out[2 * k + c] = quantize(softLimit(x + 0))
            }
        }
    }
}

/// The full per-frame mix: gain ramps, overlay sounds, the timeline's accumulators.
@_noLocks
func mixFrames(_ st: UnsafeMutablePointer<MixerState>, _ frames: Range<Int>,
               out: UnsafeMutablePointer<Int16>, floatOut: UnsafeMutablePointer<Float>?) {
    let total = st.pointee.table.totalFrames
    let voiceAcc = st.pointee.voiceAcc
    let toneAcc = st.pointee.toneAcc
    let guideAcc = st.pointee.guideAcc
    let presence = st.pointee.presence
    let transportGain = st.pointee.transportGain
    let timelineFrame = st.pointee.timelineFrame
    let overlays = st.pointee.overlays
    let scale: Float = 1.0 / 32768
    for k in frames {
        let master = st.pointee.master.next()
        let voice = st.pointee.voice.next()
        let tone = st.pointee.tone.next()
        let duck = 1 - (1 - MixerTuning.duckGain) * presence[k]
        let toneGain = tone * duck
        let guide = guideAcc[k] * (1 - (1 - MixerTuning.guideDuckGain) * presence[k])
        let tf = timelineFrame[k]
        let audible = tf >= 0 && tf < total
        var ol: Float = 0
        var or: Float = 0
        for s in 0..<MixerTuning.overlaySlots where overlays[s].active {
            let c = overlays[s].cue
            let i = overlays[s].position
            if i < 0 {
                overlays[s].position = i + 1
                continue
            }
            let fade = Int64(min(MixerTuning.cueFadeFrames, Int(c.frames / 2)))
            var g = c.gain * (c.isVoice ? voice : tone) * master
            if i < fade { g *= Float(i + 1) / Float(fade + 1) } else if i >= c.frames - fade { g *= Float(c.frames - i) / Float(fade + 1) }
            if c.channels == 1 {
                let x = Float(c.samples[Int(i)]) * scale * g
                ol += x
                or += x
            } else {
                ol += Float(c.samples[2 * Int(i)]) * scale * g
                or += Float(c.samples[2 * Int(i) + 1]) * scale * g
            }
            overlays[s].position = i + 1
            if i + 1 >= c.frames { overlays[s].active = false }
        }
        for c in 0..<2 {
            var x = (voiceAcc[2 * k + c] * voice + toneAcc[2 * k + c] * toneGain + guide) * master * transportGain[k]
            if !audible { x = 0 }
            x += c == 0 ? ol : or
            x = softLimit(x)
            floatOut?[2 * k + c] = x
            out[2 * k + c] = quantize(x)
        }
    }
}

/// Linear below the knee, then a rational curve that approaches but never reaches full scale,
/// with a continuous slope at the knee. No libm: the kernel must not take locks or allocate.
@inline(__always)
func softLimit(_ x: Float) -> Float {
    let knee = MixerTuning.limiterKnee
    let a = x < 0 ? -x : x
    if a <= knee { return x }
    let room = 1 - knee
    let u = (a - knee) / room
    let y = knee + room * (u / (1 + u))
    return x < 0 ? -y : y
}

/// Float in [-1, 1] to 16-bit: x 32768 (the scale libsndfile and ALSA read 16-bit with, so a
/// 16-bit cue at unity gain comes back exactly), rounding half away from zero, clamped, no
/// dither. The same samples go to the device and to 16-bit files.
///
/// Total: the value is clamped before it is converted (NaN, which no sane input produces, gives
/// 0), and the conversion truncates a value already known to lie in (-32768, 32767).
@inline(__always)
func quantize(_ x: Float) -> Int16 {
    var v = x * 32768
    v = v >= 0 ? v + 0.5 : v - 0.5
    if v >= 32767 { return 32767 }
    if v <= -32768 { return -32768 }
    if v.isNaN { return 0 }
    return Int16(truncatingIfNeeded: Int32(v))
}

/// The PortAudio stream callback: renders straight into the device buffer. `userData` is the
/// `UnsafeMutablePointer<MixerState>` given when the stream was opened.
@_noLocks
public func mixerStreamCallback(_ input: UnsafeRawPointer?, _ output: UnsafeMutableRawPointer?, _ frameCount: UInt,
                                _ timeInfo: UnsafePointer<PaStreamCallbackTimeInfo>?, _ statusFlags: PaStreamCallbackFlags,
                                _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let output, let userData else { return 2 }  // paAbort
    let st = userData.assumingMemoryBound(to: MixerState.self)
    st.pointee.callbacks.add(1, ordering: .relaxed)
    if statusFlags & PaStreamCallbackFlags(paOutputUnderflow) != 0 {
        st.pointee.underruns.add(1, ordering: .relaxed)
    }
    mixerRender(st, frames: Int(frameCount), into: output.assumingMemoryBound(to: Int16.self), floatOut: nil)
    return 0  // paContinue: the stream keeps playing silence after the end until it is stopped
}
