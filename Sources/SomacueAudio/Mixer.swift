import CPortAudio
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
    /// Fade-out on stop (Ctrl-C), 150 ms at 48 kHz.
    public static let stopFadeFrames: Int64 = 7_200
}

/// Everything the render kernel reads. Allocated once by `MixerState.allocate`, shared with the
/// audio callback through a raw pointer, and freed only after the stream is closed.
///
/// Thread ownership: `events`, `eventCount`, `totalFrames` and the scratch buffers are immutable
/// after allocation except that the scratch buffers and `cursor` are written only by the thread
/// that renders (the audio callback, or the offline renderer). The atomics are the only fields
/// the control thread touches while a stream runs.
public struct MixerState: ~Copyable {
    public let events: UnsafeMutablePointer<KernelEvent>
    public let eventCount: Int
    public let totalFrames: Int64
    let voiceAcc: UnsafeMutablePointer<Float>
    let toneAcc: UnsafeMutablePointer<Float>
    let presence: UnsafeMutablePointer<Float>
    /// First event that may still sound (render thread only).
    var cursor = 0
    var stopFadeStart: Int64 = -1

    /// Next frame to render. Written by the render thread, read by anyone.
    public let position = Atomic<Int64>(0)
    /// Set by the control thread: fade out and then play silence.
    public let stopRequested = Atomic<Bool>(false)
    /// Set by the render thread once the timeline (or a stop fade) has been fully rendered.
    public let finished = Atomic<Bool>(false)
    /// Blocks rendered after the end (silence keeps the device fed until the stream stops).
    public let silentBlocks = Atomic<Int>(0)
    public let callbacks = Atomic<Int>(0)
    /// Callbacks that reported an output underflow from the device.
    public let underruns = Atomic<Int>(0)
    /// Class gains as Float bit patterns, so they can change without a lock.
    public let masterBits: Atomic<UInt32>
    public let voiceBits: Atomic<UInt32>
    public let toneBits: Atomic<UInt32>

    init(events: UnsafeMutablePointer<KernelEvent>, eventCount: Int, totalFrames: Int64,
         master: Float, voice: Float, tone: Float) {
        self.events = events
        self.eventCount = eventCount
        self.totalFrames = totalFrames
        voiceAcc = .allocate(capacity: MixerTuning.maxBlock * 2)
        toneAcc = .allocate(capacity: MixerTuning.maxBlock * 2)
        presence = .allocate(capacity: MixerTuning.maxBlock)
        masterBits = Atomic(master.bitPattern)
        voiceBits = Atomic(voice.bitPattern)
        toneBits = Atomic(tone.bitPattern)
    }

    /// Copies `events` (sorted by start) into a kernel-owned table and returns the state on the
    /// heap. The cue sample buffers must outlive the state.
    public static func allocate(events: [KernelEvent], totalFrames: Int64,
                                master: Float, voice: Float, tone: Float) -> UnsafeMutablePointer<MixerState> {
        precondition(zip(events, events.dropFirst()).allSatisfy { $0.start <= $1.start }, "events must be sorted by start")
        let table = UnsafeMutablePointer<KernelEvent>.allocate(capacity: max(events.count, 1))
        for (i, e) in events.enumerated() { (table + i).initialize(to: e) }
        let p = UnsafeMutablePointer<MixerState>.allocate(capacity: 1)
        p.initialize(to: MixerState(events: table, eventCount: events.count, totalFrames: totalFrames,
                                    master: master, voice: voice, tone: tone))
        return p
    }

    /// Frees a state made by `allocate`. Call only after the audio stream is closed.
    public static func deallocate(_ p: UnsafeMutablePointer<MixerState>) {
        let events = p.pointee.events
        let count = p.pointee.eventCount
        p.pointee.voiceAcc.deallocate()
        p.pointee.toneAcc.deallocate()
        p.pointee.presence.deallocate()
        p.deinitialize(count: 1)
        p.deallocate()
        events.deinitialize(count: count)
        events.deallocate()
    }

    public mutating func setVolumes(master: Float, voice: Float, tone: Float) {
        masterBits.store(master.bitPattern, ordering: .relaxed)
        voiceBits.store(voice.bitPattern, ordering: .relaxed)
        toneBits.store(tone.bitPattern, ordering: .relaxed)
    }
}

/// Renders `frames` stereo frames starting at the state's position into `out` (interleaved
/// Int16) and, if given, `floatOut` (interleaved Float, the same signal before quantization).
/// Advances the position. The output is a pure function of the timeline and the absolute frame
/// index, so any block size gives the same samples: live playback equals the offline render.
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
func renderBlock(_ st: UnsafeMutablePointer<MixerState>, frames n: Int,
                 out: UnsafeMutablePointer<Int16>, floatOut: UnsafeMutablePointer<Float>?) {
    let from = st.pointee.position.load(ordering: .relaxed)
    let to = from + Int64(n)
    let voiceAcc = st.pointee.voiceAcc
    let toneAcc = st.pointee.toneAcc
    let presence = st.pointee.presence
    for i in 0..<(2 * n) { voiceAcc[i] = 0; toneAcc[i] = 0 }
    for i in 0..<n { presence[i] = 0 }

    // Skip events that have ended before this block; later ones may still overlap.
    let events = st.pointee.events
    let count = st.pointee.eventCount
    var cursor = st.pointee.cursor
    while cursor < count && events[cursor].end <= from { cursor += 1 }
    st.pointee.cursor = cursor

    var j = cursor
    while j < count && events[j].start < to {
        let e = events[j]
        j += 1
        if e.end <= from { continue }
        let first = max(from, e.start)
        let last = min(to, e.end)
        let acc = e.isVoice ? voiceAcc : toneAcc
        let fade = Int64(min(MixerTuning.cueFadeFrames, Int(e.frames / 2)))
        var f = first
        while f < last {
            let i = f - e.start
            var g = e.gain
            if i < fade {
                g *= Float(i + 1) / Float(fade + 1)
            } else if i >= e.frames - fade {
                g *= Float(e.frames - i) / Float(fade + 1)
            }
            let k = Int(f - from)
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
            f += 1
        }
    }

    let master = Float(bitPattern: st.pointee.masterBits.load(ordering: .relaxed))
    let voice = Float(bitPattern: st.pointee.voiceBits.load(ordering: .relaxed))
    let tone = Float(bitPattern: st.pointee.toneBits.load(ordering: .relaxed))
    let total = st.pointee.totalFrames

    // A stop request fades everything out from the first frame of the block that sees it.
    if st.pointee.stopRequested.load(ordering: .acquiring) && st.pointee.stopFadeStart < 0 {
        st.pointee.stopFadeStart = from
    }
    let stopStart = st.pointee.stopFadeStart

    for k in 0..<n {
        let f = from + Int64(k)
        var stopGain: Float = 1
        if stopStart >= 0 {
            let d = f - stopStart
            stopGain = d >= MixerTuning.stopFadeFrames ? 0 : Float(MixerTuning.stopFadeFrames - d) / Float(MixerTuning.stopFadeFrames + 1)
        }
        let duck = 1 - (1 - MixerTuning.duckGain) * presence[k]
        let toneGain = tone * duck
        for c in 0..<2 {
            var x = (voiceAcc[2 * k + c] * voice + toneAcc[2 * k + c] * toneGain) * master * stopGain
            if f >= total { x = 0 }
            x = softLimit(x)
            floatOut?[2 * k + c] = x
            out[2 * k + c] = quantize(x)
        }
    }
    st.pointee.position.store(to, ordering: .releasing)
    if to >= total || (stopStart >= 0 && to - stopStart >= MixerTuning.stopFadeFrames) {
        if !st.pointee.finished.load(ordering: .relaxed) {
            st.pointee.finished.store(true, ordering: .releasing)
        } else {
            st.pointee.silentBlocks.add(1, ordering: .relaxed)
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
@inline(__always)
func quantize(_ x: Float) -> Int16 {
    var v = x * 32768
    v = v >= 0 ? v + 0.5 : v - 0.5
    if v >= 32767 { return 32767 }
    if v <= -32768 { return -32768 }
    return Int16(v)
}

/// The PortAudio stream callback: renders straight into the device buffer. `userData` is the
/// `UnsafeMutablePointer<MixerState>` given when the stream was opened.
@_noLocks
public func mixerStreamCallback(_ input: UnsafeRawPointer?, _ output: UnsafeMutableRawPointer?, _ frameCount: UInt,
                                _ timeInfo: UnsafePointer<PaStreamCallbackTimeInfo>?, _ statusFlags: PaStreamCallbackFlags, _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let output, let userData else { return 2 }  // paAbort
    let st = userData.assumingMemoryBound(to: MixerState.self)
    st.pointee.callbacks.add(1, ordering: .relaxed)
    if statusFlags & PaStreamCallbackFlags(paOutputUnderflow) != 0 {
        st.pointee.underruns.add(1, ordering: .relaxed)
    }
    mixerRender(st, frames: Int(frameCount), into: output.assumingMemoryBound(to: Int16.self), floatOut: nil)
    return 0  // paContinue: the stream keeps playing silence after the end until it is stopped
}
