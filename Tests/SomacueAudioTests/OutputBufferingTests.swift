import SomacueCore
import Testing
@testable import SomacueAudio
@testable import SomacueEngine

/// The stream's period comes from `audio.latency_ms` (OutputBuffering), and a larger period
/// changes neither how fast a pause reaches silence once a callback sees it nor the samples.
@Suite("Output buffering")
struct OutputBufferingTests {
    @Test func periodIsTheConfiguredLatency() {
        let b = OutputBuffering(latencyMs: 50, sampleRate: .standard)
        #expect(b.periodFrames == 2_400)
        #expect(b.suggestedLatency == 0.05)
        #expect(abs(b.deviceBufferSeconds(sampleRate: .standard) - 0.1) < 1e-12)
        let d = OutputBuffering(config: Config())
        #expect(d.periodFrames == 4_800 && d.suggestedLatency == 0.1, "the defaults: 100 ms at 48 kHz")
        #expect(OutputBuffering(latencyMs: 20, sampleRate: SampleRate(44_100)).periodFrames == 882)
    }

    @Test func anyLatencyGivesAUsablePeriod() {
        // The configuration allows 1 to 2000 ms; anything else is clamped, never a trap.
        #expect(OutputBuffering(latencyMs: 1, sampleRate: SampleRate(8_000)).periodFrames == OutputBuffering.minimumPeriodFrames)
        #expect(OutputBuffering(latencyMs: 0, sampleRate: .standard).suggestedLatency == 0.001)
        #expect(OutputBuffering(latencyMs: -5, sampleRate: .standard).periodFrames == OutputBuffering.minimumPeriodFrames)
        #expect(OutputBuffering(latencyMs: 1e300, sampleRate: .standard).periodFrames == 96_000)
        #expect(OutputBuffering(latencyMs: .nan, sampleRate: .standard).periodFrames == 4_800)
        #expect(OutputBuffering(latencyMs: .infinity, sampleRate: .standard).suggestedLatency == 0.1)
    }

    /// The control thread's tick while playing: due at the next event, within 20...250 ms.
    @Test func tickWaitsForTheNextEventWithinItsBounds() {
        let rate = SampleRate.standard
        #expect(LivePlayer.clampTick(frames: 0, rate: rate) == LivePlayer.minTickMs)
        #expect(LivePlayer.clampTick(frames: -100, rate: rate) == LivePlayer.minTickMs)
        #expect(LivePlayer.clampTick(frames: 480, rate: rate) == 20)
        #expect(LivePlayer.clampTick(frames: 4_800, rate: rate) == 100)
        #expect(LivePlayer.clampTick(frames: 4_801, rate: rate) == 101, "rounded up: never early")
        #expect(LivePlayer.clampTick(frames: 48_000, rate: rate) == LivePlayer.maxTickMs)
        #expect(LivePlayer.clampTick(frames: .max, rate: rate) == LivePlayer.maxTickMs)
    }

    /// At a short period, the default one (2,400 frames) and one longer than the kernel's block
    /// (4,800 > 4,096), a pause seen by a callback fades to silence 480 frames later, in that
    /// same callback, and the output up to the pause is the same as with small callbacks.
    @Test(arguments: [1_024, 2_400, 4_800])
    func pauseIsSilentWithinTheFadeAtAnyPeriod(period: Int) {
        let buffers = Buffers()
        let frames: Int64 = 100_000
        let samples = (0..<Int(frames)).map { Float(($0 % 200) - 100) / 200 }
        func session() -> UnsafeMutablePointer<MixerState> {
            let e = KernelEvent(start: 0, frames: frames, samples: buffers.make(samples), channels: 1, gain: 1, isVoice: true)
            return MixerState.allocate(events: [e], totalFrames: frames, master: 1, voice: 1, tone: 1)
        }
        func render(_ st: UnsafeMutablePointer<MixerState>, _ n: Int) -> [Int16] {
            var out = [Int16](repeating: 0, count: 2 * n)
            out.withUnsafeMutableBufferPointer { mixerRender(st, frames: n, into: $0.baseAddress!, floatOut: nil) }
            return out
        }
        let reference = session()
        defer { MixerState.deallocate(reference) }
        var expected: [Int16] = []
        for _ in 0..<(3 * period / 256 + 1) { expected += render(reference, 256) }

        let st = session()
        defer { MixerState.deallocate(st) }
        var played = render(st, period) + render(st, period)
        #expect(played[...] == expected[..<played.count], "a callback's size changes no sample")
        let sent = st.pointee.send(.pause(token: 3))
        #expect(sent)
        let next = render(st, period)
        let fade = Int(MixerTuning.transportFadeFrames)
        #expect(next[(2 * fade)...].allSatisfy { $0 == 0 }, "silent after the fade, within the callback that saw the pause")
        #expect(next[..<(2 * fade)].contains { $0 != 0 }, "the fade itself is heard")
        played += next
        var notes: [MixerNote] = []
        while let n = st.pointee.nextNote() { notes.append(n) }
        guard case let .pauseStarted(_, out0, _)? = notes.first, case let .paused(_, silent, _)? = notes.dropFirst().first else {
            Issue.record("expected pauseStarted then paused, got \(notes)")
            return
        }
        #expect(out0 == Int64(2 * period))
        #expect(silent - out0 == MixerTuning.transportFadeFrames)
    }
}
