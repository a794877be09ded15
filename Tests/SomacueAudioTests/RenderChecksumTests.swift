import Testing
@testable import SomacueAudio

/// Pins the kernel's exact output. Speed work on the kernel must not change a single sample, so
/// these checksums change only in a commit that means to change the sound (and says so).
///
/// The timeline is busy on purpose: mono and stereo voices and tones that overlap (ducking),
/// cues loud enough to reach the limiter, long silences, odd block sizes, and every transport
/// command (pause, overlay sounds, resume, volume ramps, seek, stop) in the middle of it.
@Suite("Render checksums")
struct RenderChecksumTests {
    let buffers = Buffers()

    /// 64-bit FNV-1a over the bit patterns.
    static func fnv(_ ints: [Int16], _ floats: [Float]) -> (ints: UInt64, floats: UInt64) {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in ints { a = (a ^ UInt64(UInt16(bitPattern: v))) &* 0x100_0000_01b3 }
        var b: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in floats { b = (b ^ UInt64(v.bitPattern)) &* 0x100_0000_01b3 }
        return (a, b)
    }

    /// Deterministic, speech-like samples: a few partials with a slow envelope.
    func cue(frames: Int, channels: Int, seed: Int, level: Float) -> UnsafePointer<Int16> {
        var s: [Float] = []
        s.reserveCapacity(frames * channels)
        var x = UInt32(truncatingIfNeeded: seed &* 2_654_435_761 | 1)
        for i in 0..<frames {
            let env = Float(i % 4_801) / 4_800
            for c in 0..<channels {
                x = x &* 1_664_525 &+ 1_013_904_223
                let noise = Float(Int32(bitPattern: x) >> 16) / 32768
                let saw = Float((i * (3 + seed + c)) % 200) / 100 - 1
                s.append(level * env * (0.7 * saw + 0.3 * noise))
            }
        }
        return buffers.make(s)
    }

    func timeline() -> (events: [KernelEvent], total: Int64) {
        var events: [KernelEvent] = []
        var t: Int64 = 300
        for i in 0..<40 {
            let voiceFrames = 9_000 + (i * 1_237) % 7_000
            let stereo = i % 3 == 0
            events.append(KernelEvent(start: t, frames: Int64(voiceFrames),
                                      samples: cue(frames: voiceFrames, channels: stereo ? 2 : 1, seed: i, level: i % 7 == 0 ? 0.95 : 0.6),
                                      channels: stereo ? 2 : 1, gain: i % 5 == 0 ? 1.4 : 1, isVoice: true))
            // A tone starting under the voice (ducked), one alone, and a short one (fades of
            // half its length).
            events.append(KernelEvent(start: t + 2_000, frames: 6_000, samples: cue(frames: 6_000, channels: 1, seed: 100 + i, level: 0.5),
                                      channels: 1, gain: 0.8, isVoice: false))
            events.append(KernelEvent(start: t + Int64(voiceFrames) + 500, frames: 40,
                                      samples: cue(frames: 40, channels: 1, seed: 200 + i, level: 0.9), channels: 1, gain: 1, isVoice: false))
            // Silences of varied length between phrases, some many blocks long.
            t += Int64(voiceFrames) + 700 + Int64((i * 7_919) % 30_000)
        }
        events.sort { $0.start < $1.start }
        return (events, t + 1_000)
    }

    @Test func busyTimelineWithoutTransport() {
        let (events, total) = timeline()
        let r = render(events, total: total, blocks: [4_096, 1_000, 37, 8_192, 256], master: 0.9, voice: 1, tone: 0.6)
        let sum = Self.fnv(r.ints, r.floats)
        #expect(r.ints.contains { $0 != 0 } && r.ints.contains(32_767) == false)
        #expect(sum.ints == 0xef0d_e35f_b7ba_7d9d, "ints \(String(sum.ints, radix: 16))")
        #expect(sum.floats == 0xabd1_ac2b_9298_88a4, "floats \(String(sum.floats, radix: 16))")
    }

    @Test func busyTimelineThroughEveryTransportCommand() {
        let (events, total) = timeline()
        let st = MixerState.allocate(events: events, totalFrames: total, master: 1, voice: 0.9, tone: 0.6)
        defer { MixerState.deallocate(st) }
        let blip = OverlayCue(samples: cue(frames: 3_000, channels: 1, seed: 300, level: 0.7), frames: 3_000, channels: 1,
                              gain: 0.5, isVoice: false, delay: 64)
        let word = OverlayCue(samples: cue(frames: 5_000, channels: 2, seed: 301, level: 0.7), frames: 5_000, channels: 2,
                              gain: 0.9, isVoice: true, delay: 3_100)
        var ints: [Int16] = []
        var floats: [Float] = []
        let n = 512
        var i16 = [Int16](repeating: 0, count: 2 * n)
        var f32 = [Float](repeating: 0, count: 2 * n)
        for i in 0..<1_400 {
            switch i {
            case 100: _ = st.pointee.send(.pause(token: 1))
            case 102:
                _ = st.pointee.send(.overlay(blip))
                _ = st.pointee.send(.overlay(word))
            case 130: _ = st.pointee.send(.resume(token: 2, from: 40_000, delay: 9_000))
            case 200: _ = st.pointee.send(.volume(master: 0.7, voice: 1.2, tone: 0.3))
            case 203: _ = st.pointee.send(.overlay(blip))
            case 300: _ = st.pointee.send(.seek(token: 3, to: 200_000))
            case 301: _ = st.pointee.send(.seek(token: 4, to: 250_123))
            case 500: _ = st.pointee.send(.volume(master: 1, voice: 1, tone: 1))
            case 900: _ = st.pointee.send(.pause(token: 5))
            case 901: _ = st.pointee.send(.seek(token: 6, to: 100_000))
            case 950: _ = st.pointee.send(.resume(token: 7, from: 100_000, delay: 100))
            case 1_300: st.pointee.stopRequested.store(true, ordering: .releasing)
            default: break
            }
            while st.pointee.nextNote() != nil {}
            i16.withUnsafeMutableBufferPointer { ip in
                f32.withUnsafeMutableBufferPointer { fp in
                    mixerRender(st, frames: n, into: ip.baseAddress!, floatOut: fp.baseAddress!)
                }
            }
            ints += i16
            floats += f32
        }
        let sum = Self.fnv(ints, floats)
        let finished = st.pointee.finished.load(ordering: .relaxed)
        #expect(finished)
        #expect(sum.ints == 0x561f_7799_c34c_f2b1, "ints \(String(sum.ints, radix: 16))")
        #expect(sum.floats == 0xb8a8_dfa7_71bd_215a, "floats \(String(sum.floats, radix: 16))")
    }

    @Test func cueQuantizationMatchesRoundedBitForBit() {
        func reference(_ x: Float) -> Int16 {
            let v = (x * 32768).rounded()
            return v >= 32767 ? 32767 : (v <= -32768 ? -32768 : Int16(v))
        }
        // Every half step and its neighbours, across the whole 16-bit range and beyond.
        var checked = 0
        var mismatches: [Float] = []
        for h in stride(from: -65_540, through: 65_540, by: 1) {
            let v = Float(h) / 2
            for x in [v, v.nextUp, v.nextDown] {
                let sample = x / 32768
                if quantizeCueSample(sample) != reference(sample) { mismatches.append(x) }
                checked += 1
            }
        }
        #expect(mismatches.isEmpty, "differs at x 32768 = \(mismatches.prefix(10))")
        for x: Float in [0, -0, 1, -1, 2, -2, 1e-9, -1e-9, .infinity, -.infinity, .greatestFiniteMagnitude] {
            #expect(quantizeCueSample(x) == reference(x))
        }
        #expect(quantizeCueSample(.nan) == 0)
        #expect(checked > 390_000)
    }

    @Test func kernelQuantizationIsTotal() {
        #expect(quantize(.nan) == 0)
        #expect(quantize(.infinity) == 32767)
        #expect(quantize(-.infinity) == -32768)
        #expect(quantize(.greatestFiniteMagnitude) == 32767)
        #expect(quantize(32767.4 / 32768) == 32767)
        #expect(quantize(-32767.6 / 32768) == -32768)
    }
}
