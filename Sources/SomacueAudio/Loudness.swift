#if canImport(Glibc)
import Glibc
#endif
import CEbur128
import SomacueCore

/// A libebur128 failure (it reports only an error number).
public struct EBUR128Error: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int32
    public var what: String
    public var description: String { "libebur128 could not \(what) (error \(code))" }
}

/// EBU R 128 loudness of a cue, measured once (by `voice check --write` or the generator) and
/// stored in the manifest as `lufs`, so the engine can bring every cue to one target.
public enum Loudness {
    /// Integrated loudness in LUFS. Integrated loudness gates in 400 ms blocks, so a cue shorter
    /// than that has none (-inf): it is measured over its whole length instead. Digital silence,
    /// or audio gated away entirely (below -70 LUFS), gives -infinity: never use that as a gain.
    public static func measure(_ cue: LoadedCue) throws(EBUR128Error) -> Double {
        guard let samples = cue.pcm.baseAddress else { return -.infinity }
        return try measure(samples: samples, frames: Int(cue.frames.value), channels: cue.channels, rate: cue.sampleRate)
    }

    /// The same for 16-bit interleaved samples already in memory (a decoded cue's slot in a
    /// session's cue memory, measured by the decoder thread that filled it).
    public static func measure(samples: UnsafePointer<Int16>, frames: Int, channels: Int,
                               rate sampleRate: SampleRate) throws(EBUR128Error) -> Double {
        let rate = sampleRate.hz
        guard frames > 0 else { return -.infinity }
        guard let st = ebur128_init(UInt32(channels), UInt(rate), Int32(EBUR128_MODE_I.rawValue)) else {
            throw EBUR128Error(code: -1, what: "allocate its state")
        }
        var state: UnsafeMutablePointer<ebur128_state>? = st
        defer { ebur128_destroy(&state) }
        if channels == 1 {
            // A mono cue plays on both loudspeakers.
            let r = ebur128_set_channel(st, 0, Int32(EBUR128_DUAL_MONO.rawValue))
            if r != 0 { throw EBUR128Error(code: r, what: "set the channel map") }
        }
        // Whole-length window for short cues (milliseconds, at least 1).
        let ms = frames * 1000 / rate
        let short = ms < 400
        // (The momentary buffer already holds 400 ms, so a shorter window needs no setup.)
        let r = ebur128_add_frames_short(st, samples, frames)
        if r != 0 { throw EBUR128Error(code: r, what: "read the samples") }
        var out = -Double.infinity
        let q = short ? ebur128_loudness_window(st, UInt(max(1, ms)), &out) : ebur128_loudness_global(st, &out)
        if q != 0 { throw EBUR128Error(code: q, what: "compute the loudness") }
        return out.isNaN ? -.infinity : out
    }

    /// The linear gain that brings a cue measured at `lufs` to `target`: 1 when the loudness is
    /// unknown or not finite (silence), and at most +12 dB / at least -24 dB so that a nearly
    /// silent cue is never blown up.
    public static func gain(lufs: Double?, target: Double) -> Double {
        guard let lufs, lufs.isFinite, target.isFinite else { return 1 }
        let db = min(12, max(-24, target - lufs))
        return pow(10, db / 20)
    }
}
