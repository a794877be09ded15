import SomacueCore

/// How an output stream is buffered, chosen from `audio.latency_ms` instead of the smallest
/// period PortAudio would pick by itself.
///
/// PortAudio's ALSA backend sizes the device buffer as `suggestedLatency` plus one period and
/// wakes its callback thread once per period; through the ALSA pulse plugin (the usual route on
/// a desktop) every period also wakes the plugin's mainloop thread two or three times. Left to
/// itself (`framesPerBuffer` 0) PortAudio picks a quarter of the latency: 80 periods a second at
/// 50 ms, about 350 wakeups a second in all. Here one period is `latency_ms`:
///
/// - the callback refills the buffer when one period has played, so `latency_ms` of audio is
///   still queued when it is called: a late callback has the same margin as with PortAudio's
///   own choice, and the device buffer is two periods (200 ms at the default 100 ms);
/// - a transport command waits at most one period for the next callback, then its fade (10 ms)
///   is rendered, and that plays after what is queued: `pause` is silent at the speaker within
///   the device buffer plus the fade;
/// - 10 callbacks a second at the default 100 ms (20 at 50 ms).
public struct OutputBuffering: Equatable, Sendable {
    /// Frames per callback (PortAudio's `framesPerBuffer`, the ALSA period): `latency_ms`.
    public let periodFrames: Int
    /// PortAudio's `suggestedLatency`, in seconds: `latency_ms`.
    public let suggestedLatency: Double

    /// Shortest period used, whatever the latency (1.3 ms at 48 kHz).
    public static let minimumPeriodFrames = 64

    /// `latencyMs` as validated by the configuration (1 to 2000 ms); any other value is clamped
    /// into that range, so this never traps.
    public init(latencyMs: Double, sampleRate: SampleRate) {
        let ms = latencyMs.isFinite ? min(max(latencyMs, 1), 2_000) : Config().latencyMs
        suggestedLatency = ms / 1000
        let frames = Int(saturating: ms / 1000 * Double(sampleRate.hz), rounding: .down)
        periodFrames = max(Self.minimumPeriodFrames, frames)
    }

    public init(config: Config) {
        self.init(latencyMs: config.latencyMs, sampleRate: config.sampleRate)
    }

    /// The whole device buffer (latency plus one period), in seconds: the longest a sample
    /// rendered now can wait before it is heard.
    public func deviceBufferSeconds(sampleRate: SampleRate) -> Double {
        suggestedLatency + Double(periodFrames) / Double(sampleRate.hz)
    }
}
