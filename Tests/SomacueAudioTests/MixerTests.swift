import Testing
@testable import SomacueAudio

/// Owns cue sample buffers for kernel tests.
final class Buffers {
    var all: [UnsafeMutablePointer<Int16>] = []
    /// Float samples stored as the kernel reads them: 16-bit, value / 32768.
    func make(_ samples: [Float]) -> UnsafePointer<Int16> {
        let p = UnsafeMutablePointer<Int16>.allocate(capacity: samples.count)
        for (i, x) in samples.enumerated() { p[i] = Int16((x * 32768).rounded()) }
        all.append(p)
        return UnsafePointer(p)
    }
    deinit { for p in all { p.deallocate() } }
}

/// Renders a whole timeline with the given block sizes (cycled), returning interleaved stereo.
func render(_ events: [KernelEvent], total: Int64, blocks: [Int], master: Float = 1, voice: Float = 1,
            tone: Float = 1) -> (ints: [Int16], floats: [Float]) {
    let st = MixerState.allocate(events: events, totalFrames: total, master: master, voice: voice, tone: tone)
    defer { MixerState.deallocate(st) }
    var ints = [Int16](repeating: 0, count: Int(total) * 2)
    var floats = [Float](repeating: 0, count: Int(total) * 2)
    var done = 0
    var b = 0
    ints.withUnsafeMutableBufferPointer { ip in
        floats.withUnsafeMutableBufferPointer { fp in
            while done < Int(total) {
                let n = min(blocks[b % blocks.count], Int(total) - done)
                mixerRender(st, frames: n, into: ip.baseAddress! + 2 * done, floatOut: fp.baseAddress! + 2 * done)
                done += n
                b += 1
            }
        }
    }
    return (ints, floats)
}

@Suite("Mixer kernel")
struct MixerTests {
    let buffers = Buffers()

    func constant(_ value: Float, _ n: Int) -> UnsafePointer<Int16> { buffers.make([Float](repeating: value, count: n)) }

    @Test func onsetsAreExactForEveryBlockSize() {
        // Impulse-like cues (a single non-zero sample after the fade-in point would be faded,
        // so use 400-frame constant cues and find the first non-zero sample).
        let starts: [Int64] = [0, 255, 256, 257, 1000, 4095, 4096, 4097, 10_007]
        let events = starts.enumerated().map { i, s in
            KernelEvent(start: s + Int64(i) * 0, frames: 400, samples: constant(0.25, 400), channels: 1, gain: 1, isVoice: i % 2 == 0)
        }
        // Non-overlapping check on a separate spaced layout.
        let spaced = (0..<6).map { i in
            KernelEvent(start: Int64(i) * 1_111 + 17, frames: 300, samples: constant(0.25, 300), channels: 1, gain: 1, isVoice: true)
        }
        let reference = render(spaced, total: 8_000, blocks: [8_000]).ints
        for blocks in [[1], [64], [256], [417], [1024], [4096], [5000], [3, 700, 29]] {
            let out = render(spaced, total: 8_000, blocks: blocks).ints
            #expect(out == reference, "block sizes \(blocks) change the output")
            for e in spaced {
                let first = Int(e.start)
                #expect(out[2 * (first - 1)] == 0, "sample before onset is not silent")
                #expect(out[2 * first] != 0, "cue at \(e.start) does not start at its frame (blocks \(blocks))")
                #expect(out[2 * (first + Int(e.frames))] == 0, "cue at \(e.start) runs past its end")
            }
        }
        // Overlapping events render identically whatever the block size, too.
        let ref2 = render(events, total: 12_000, blocks: [12_000]).ints
        for blocks in [[1], [256], [333], [4096]] { #expect(render(events, total: 12_000, blocks: blocks).ints == ref2) }
    }

    @Test func summingAndClassGains() {
        let a = KernelEvent(start: 0, frames: 1000, samples: constant(0.2, 1000), channels: 1, gain: 1, isVoice: true)
        let b = KernelEvent(start: 0, frames: 1000, samples: constant(0.1, 1000), channels: 1, gain: 0.5, isVoice: true)
        let out = render([a, b], total: 1000, blocks: [256], voice: 1.0).floats
        // Middle of the cue, past the fades: 0.2 + 0.05.
        #expect(abs(out[1000] - 0.25) < 4e-5)
        #expect(out[1000] == out[1001], "mono must be duplicated to both channels")
        let quiet = render([a, b], total: 1000, blocks: [256], master: 0.5).floats
        #expect(abs(quiet[1000] - 0.125) < 4e-5)
    }

    @Test func stereoCuesKeepTheirChannels() {
        var s: [Float] = []
        for _ in 0..<500 { s += [0.3, -0.2] }
        let e = KernelEvent(start: 10, frames: 500, samples: buffers.make(s), channels: 2, gain: 1, isVoice: true)
        let out = render([e], total: 600, blocks: [128]).floats
        #expect(abs(out[2 * 300] - 0.3) < 4e-5)
        #expect(abs(out[2 * 300 + 1] + 0.2) < 4e-5)
    }

    @Test func fadesAreLinearAndNeverStartAtZero() {
        let e = KernelEvent(start: 100, frames: 1000, samples: constant(0.5, 1000), channels: 1, gain: 1, isVoice: true)
        let out = render([e], total: 1200, blocks: [64]).floats
        let fade = MixerTuning.cueFadeFrames
        let left = stride(from: 0, to: out.count, by: 2).map { out[$0] }
        #expect(left[99] == 0)
        #expect(left[100] > 0, "first sample of a cue must be audible for alignment")
        for i in 0..<fade { #expect(left[100 + i] < left[100 + i + 1] || i == fade - 1) }
        #expect(abs(left[100 + fade + 10] - 0.5) < 4e-5)
        // Fade-out ends just before the cue's end.
        #expect(left[1099] > 0 && left[1099] < 0.01)
        #expect(left[1100] == 0)
    }

    @Test func tonesAreDuckedUnderVoices() {
        let tone = KernelEvent(start: 0, frames: 4000, samples: constant(0.4, 4000), channels: 1, gain: 1, isVoice: false)
        let voice = KernelEvent(start: 2000, frames: 2000, samples: constant(0, 2000), channels: 1, gain: 1, isVoice: true)
        let out = render([tone, voice], total: 4000, blocks: [256]).floats
        #expect(abs(out[2 * 1000] - 0.4) < 4e-5)
        let ducked = out[2 * 3000]
        #expect(abs(ducked - 0.4 * MixerTuning.duckGain) < 4e-5)
    }

    @Test func softLimiterNeverClipsOrWraps() {
        let loud = (0..<10).map { _ in
            KernelEvent(start: 0, frames: 2000, samples: constant(0.9, 2000), channels: 1, gain: 1.5, isVoice: true)
        }
        let r = render(loud, total: 2000, blocks: [512])
        #expect(r.floats.allSatisfy { $0 <= 1 && $0 >= -1 })
        #expect(r.ints.allSatisfy { $0 > 0 || $0 == 0 }, "a positive overload must never wrap negative")
        #expect(r.ints[2 * 1000] < 32767 && r.ints[2 * 1000] > 32000)
        // Monotonic: more input never gives less output.
        var last: Float = 0
        for x in stride(from: Float(0), through: 20, by: 0.01) {
            let y = softLimit(x)
            #expect(y >= last && y < 1)
            last = y
        }
        #expect(softLimit(0.5) == 0.5, "below the knee the signal is untouched")
        #expect(softLimit(-3) == -softLimit(3))
    }

    @Test func quantizationRoundsHalfAwayFromZeroWithoutDither() {
        #expect(quantize(0) == 0)
        #expect(quantize(1) == 32767)
        #expect(quantize(-1) == -32768)
        #expect(quantize(0.5 / 32768) == 1)
        #expect(quantize(-0.5 / 32768) == -1)
        #expect(quantize(0.49 / 32768) == 0)
        #expect(quantize(2) == 32767)
        // Every 16-bit value survives the round trip through the kernel's float scale.
        for v in stride(from: -32768, through: 32767, by: 7) {
            #expect(quantize(Float(v) / 32768) == Int16(v))
        }
        // Same input, same output: no dither.
        #expect(quantize(0.123456) == quantize(0.123456))
    }

    @Test func stopFadesOutAndFinishes() {
        let e = KernelEvent(start: 0, frames: 48_000, samples: constant(0.5, 48_000), channels: 1, gain: 1, isVoice: true)
        let st = MixerState.allocate(events: [e], totalFrames: 48_000, master: 1, voice: 1, tone: 1)
        defer { MixerState.deallocate(st) }
        var out = [Int16](repeating: 0, count: 2 * 1024)
        out.withUnsafeMutableBufferPointer { mixerRender(st, frames: 1024, into: $0.baseAddress!, floatOut: nil) }
        #expect(out[2 * 1000] != 0)
        st.pointee.stopRequested.store(true, ordering: .relaxed)
        var frames = 0
        while !st.pointee.finished.load(ordering: .relaxed) {
            out.withUnsafeMutableBufferPointer { mixerRender(st, frames: 1024, into: $0.baseAddress!, floatOut: nil) }
            frames += 1024
            #expect(frames < 48_000)
        }
        #expect(frames >= Int(MixerTuning.stopFadeFrames))
        out.withUnsafeMutableBufferPointer { mixerRender(st, frames: 1024, into: $0.baseAddress!, floatOut: nil) }
        #expect(out.allSatisfy { $0 == 0 }, "after the stop fade the output is silent")
    }

    @Test func silenceAfterTheEnd() {
        let e = KernelEvent(start: 0, frames: 100, samples: constant(0.5, 100), channels: 1, gain: 1, isVoice: true)
        let st = MixerState.allocate(events: [e], totalFrames: 100, master: 1, voice: 1, tone: 1)
        defer { MixerState.deallocate(st) }
        var out = [Int16](repeating: 7, count: 2 * 256)
        out.withUnsafeMutableBufferPointer { mixerRender(st, frames: 256, into: $0.baseAddress!, floatOut: nil) }
        let finished = st.pointee.finished.load(ordering: .relaxed)
        #expect(finished)
        #expect(out[2 * 100 ..< 2 * 256].allSatisfy { $0 == 0 })
    }
}

@Suite("Mixer kernel: waiting for cues still being decoded")
struct PlayableTests {
    let buffers = Buffers()

    /// The timeline stops at `playable` (silence, no progress) and then plays on exactly as the
    /// render would: the samples after the wait are the render's, shifted by the wait.
    @Test func theTimelineWaitsAtPlayableAndLosesNothing() {
        let cue = buffers.make((0..<600).map { Float($0 % 50) / 100 - 0.25 })
        let events = [
            KernelEvent(start: 100, frames: 600, samples: cue, channels: 1, gain: 1, isVoice: true),
            KernelEvent(start: 1_000, frames: 600, samples: cue, channels: 1, gain: 1, isVoice: true),
        ]
        let total: Int64 = 2_000
        let reference = render(events, total: total, blocks: [256]).ints
        let st = MixerState.allocate(events: events, totalFrames: total, master: 1, voice: 1, tone: 1)
        defer { MixerState.deallocate(st) }
        st.pointee.playable.store(1_000, ordering: .releasing)  // the second cue is not ready
        var out = [Int16](repeating: 0, count: 2 * 4_000)
        out.withUnsafeMutableBufferPointer { p in
            // 1,500 output frames: 1,000 of timeline, then 500 of waiting.
            for k in stride(from: 0, to: 1_500, by: 250) { mixerRender(st, frames: 250, into: p.baseAddress! + 2 * k, floatOut: nil) }
        }
        let waitedAt = st.pointee.position.load(ordering: .acquiring)
        #expect(waitedAt == 1_000)
        #expect(Array(out[0..<2_000]) == Array(reference[0..<2_000]))
        #expect(out[2_000..<3_000].allSatisfy { $0 == 0 }, "nothing plays while the timeline waits")
        st.pointee.playable.store(Int64.max, ordering: .releasing)
        out.withUnsafeMutableBufferPointer { p in
            for k in stride(from: 1_500, to: 2_500, by: 250) { mixerRender(st, frames: 250, into: p.baseAddress! + 2 * k, floatOut: nil) }
        }
        #expect(Array(out[3_000..<5_000]) == Array(reference[2_000..<4_000]), "the second cue plays whole, from its first sample")
        let finished = st.pointee.finished.load(ordering: .acquiring)
        #expect(finished)
    }
}
