import CSampleRate
import SomacueCore

/// A failure reported by libsamplerate: `code` is its error number and `message` its text
/// (`src_strerror`).
public struct SampleRateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int32
    public var message: String
    /// The conversion that failed, for the message.
    public var from: SampleRate
    public var to: SampleRate

    public init(code: Int32, message: String, from: SampleRate, to: SampleRate) {
        self.code = code
        self.message = message
        self.from = from
        self.to = to
    }

    public var description: String {
        "cannot convert audio from \(from.hz) Hz to \(to.hz) Hz: \(message) (libsamplerate error \(code)). "
            + "Convert the file to \(to.hz) Hz (e.g. `sox in.wav -r \(to.hz) out.wav`) or choose another output rate."
    }
}

/// libsamplerate converter types, from slowest/best to fastest/worst. The raw values are the
/// names used in `config.toml` (`[audio] resampler`).
public enum ResamplerQuality: String, CaseIterable, Sendable {
    /// `SRC_SINC_BEST_QUALITY`: about 65 ms per 2 s of mono audio.
    case best
    /// `SRC_SINC_MEDIUM_QUALITY`: the default; about 16 ms per 2 s of mono audio.
    case medium
    /// `SRC_SINC_FASTEST`.
    case fastest
    /// `SRC_LINEAR`: cheap, audibly duller (about 50 dB SNR).
    case linear

    /// The default converter, `.medium`.
    public static let standard = ResamplerQuality.medium

    /// The libsamplerate converter type.
    public var converterType: Int32 {
        switch self {
        case .best: return Int32(SRC_SINC_BEST_QUALITY)
        case .medium: return Int32(SRC_SINC_MEDIUM_QUALITY)
        case .fastest: return Int32(SRC_SINC_FASTEST)
        case .linear: return Int32(SRC_LINEAR)
        }
    }
}

extension ResamplerQuality {
    /// libsamplerate's version string (part of the decoded-cue cache key). The corresponding C
    /// function is `src_get_version`.
    public static var libraryVersion: String { String(cString: src_get_version()) }
}

/// Output length of a conversion: floor(frames x to / from).
@inlinable
public func resampledLength(frames: Int, from: SampleRate, to: SampleRate) -> Int {
    to.convertedLength(sourceFrames: Int64(frames), sourceRate: from).int
}

/// Converts interleaved samples from one rate to another with libsamplerate, returning exactly
/// floor(frames x to / from) frames (the converter's output is trimmed or padded with zeros).
/// Returns the input unchanged when the rates match. Blocks the calling thread for the whole
/// conversion (tens of milliseconds per second of audio at `.best`): call it off the audio thread.
/// The corresponding C function is `src_simple`.
public func resample(_ samples: [Float], channels: Int, from: SampleRate, to: SampleRate,
                     quality: ResamplerQuality) throws(SampleRateError) -> [Float] {
    precondition(channels > 0, "channels must be positive")
    precondition(samples.count % channels == 0, "sample count must be a multiple of the channel count")
    precondition(from.hz > 0 && to.hz > 0, "sample rates must be positive")
    if from == to { return samples }
    let frames = samples.count / channels
    let outFrames = resampledLength(frames: frames, from: from, to: to)
    var out = [Float](repeating: 0, count: outFrames * channels)
    try samples.withUnsafeBufferPointer { (input) throws(SampleRateError) in
        try out.withUnsafeMutableBufferPointer { (output) throws(SampleRateError) in
            try resample(input, into: output, channels: channels, from: from, to: to, quality: quality)
        }
    }
    return out
}

/// Converts `input` into `output`, which must hold exactly floor(frames x to / from) frames;
/// frames the converter does not produce are set to zero. Rates must differ.
/// The corresponding C function is `src_simple`.
func resample(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>,
              channels: Int, from: SampleRate, to: SampleRate, quality: ResamplerQuality) throws(SampleRateError) {
    let inFrames = input.count / channels
    let outFrames = output.count / channels
    precondition(outFrames == resampledLength(frames: inFrames, from: from, to: to), "output buffer has the wrong size")
    guard let outBase = output.baseAddress, outFrames > 0 else { return }
    guard let inBase = input.baseAddress, inFrames > 0 else {
        outBase.update(repeating: 0, count: output.count)
        return
    }
    var data = SRC_DATA()
    data.data_in = inBase
    data.data_out = outBase
    data.input_frames = inFrames
    data.output_frames = outFrames
    data.end_of_input = 1
    data.src_ratio = Double(to.hz) / Double(from.hz)
    let code = src_simple(&data, quality.converterType, Int32(channels))
    if code != 0 {
        throw SampleRateError(code: code, message: src_strerror(code).map { String(cString: $0) } ?? "unknown error", from: from, to: to)
    }
    let produced = min(data.output_frames_gen, outFrames)
    if produced < outFrames {
        (outBase + produced * channels).update(repeating: 0, count: (outFrames - produced) * channels)
    }
}
