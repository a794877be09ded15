#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSndFile
import SomacueCore

/// A cue decoded once, off the audio thread, at the output rate. Mono stays mono (`channels` 1)
/// until the mix; stereo stays stereo (`channels` 2). Immutable after load, so any thread may
/// read it; the render kernel reads `samples` through a raw pointer, so keep the `LoadedCue`
/// alive until the stream that plays it is closed.
public final class LoadedCue: @unchecked Sendable {
    public let path: String
    /// 1 or 2.
    public let channels: Int
    /// Frames per channel at `sampleRate`.
    public let frames: FrameCount
    /// The rate the samples are at (the output rate asked for).
    public let sampleRate: SampleRate
    /// Interleaved, `frames * channels` 16-bit samples (value / 32768), allocated once and freed
    /// in deinit. Cues are kept as 16-bit to halve their memory (a 30-minute session speaks
    /// about 8 minutes of distinct audio: 46 MB as Float, 23 MB as Int16); 16 bits is the
    /// output's own resolution, so nothing audible is lost.
    public let pcm: UnsafeBufferPointer<Int16>

    /// The samples as Float (value / 32768). Allocates: not for the audio thread.
    public var samples: [Float] { pcm.map { Float($0) * (1.0 / 32768) } }

    /// Quantizes `buffer` to 16 bits (x 32768, rounded, clamped: a 16-bit source comes back
    /// exactly) and frees it.
    init(path: String, channels: Int, sampleRate: SampleRate, owning buffer: UnsafeMutableBufferPointer<Float>) {
        precondition(channels == 1 || channels == 2, "a loaded cue is mono or stereo")
        precondition(buffer.count % channels == 0, "sample count must be a multiple of the channel count")
        self.path = path
        self.channels = channels
        self.sampleRate = sampleRate
        self.frames = FrameCount(buffer.count / channels)
        let out = UnsafeMutableBufferPointer<Int16>.allocate(capacity: buffer.count)
        for i in 0..<buffer.count { out[i] = quantizeCueSample(buffer[i]) }
        buffer.deallocate()
        self.pcm = UnsafeBufferPointer(out)
    }

    /// A cue from samples already in memory (generated tones, tests). Copies `samples`.
    public convenience init(path: String, channels: Int, sampleRate: SampleRate, samples: [Float]) {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: samples.count)
        _ = buffer.initialize(from: samples)
        self.init(path: path, channels: channels, sampleRate: sampleRate, owning: buffer)
    }

    deinit {
        UnsafeMutableBufferPointer(mutating: pcm).deallocate()
    }
}

/// x 32768, rounded half away from zero, clamped to 16 bits; NaN gives 0. Inline arithmetic
/// instead of `rounded()`, which is a call to libm's `roundf` per sample: truncate (exact for
/// a clamped value), then step away from zero when the cut-off part is at least one half (the
/// difference of a float and its truncation is exact, so this is `roundf`'s result bit for bit).
@inline(__always)
func quantizeCueSample(_ x: Float) -> Int16 {
    let v = x * 32768
    if v >= 32767 { return 32767 }
    if v <= -32768 { return -32768 }
    if v.isNaN { return 0 }
    let t = Int32(v)
    let rest = v - Float(t)
    if rest >= 0.5 { return Int16(truncatingIfNeeded: t + 1) }
    if rest <= -0.5 { return Int16(truncatingIfNeeded: t - 1) }
    return Int16(truncatingIfNeeded: t)
}

/// Why a cue file cannot be used. Every case names the file and carries the reason: libsndfile's
/// text and error number (`sf_strerror`), or what libsndfile reported about the file.
public enum CueLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file does not exist (or a directory on its path does not).
    case missing(path: String, reason: String)
    /// The file exists but cannot be read: a directory, permissions, an I/O error.
    case unreadable(path: String, reason: String)
    /// 0 bytes, or a valid header with no audio frames.
    case empty(path: String, reason: String)
    /// libsndfile does not recognise the data as audio (or not an encoding it can decode).
    case notAudio(path: String, reason: String)
    /// The header is cut or malformed, or the audio data ends before the header says.
    case truncated(path: String, reason: String)
    /// A sample rate outside `SampleRate.supported` (8-192 kHz).
    case unsupportedRate(path: String, rate: Int, reason: String)
    /// More than 2 channels (or none).
    case unsupportedChannels(path: String, channels: Int, reason: String)
    /// Longer than `CueLoader.maximumSeconds` (a bound that also protects against headers
    /// announcing absurd lengths).
    case tooLong(path: String, seconds: Int, reason: String)
    /// Larger than `SndFile.maxInputBytes`: refused before any reading.
    case tooLarge(path: String, reason: String)
    /// libsamplerate failed converting the cue to the output rate.
    case resampler(path: String, error: SampleRateError)

    public var path: String {
        switch self {
        case .missing(let p, _), .unreadable(let p, _), .empty(let p, _), .notAudio(let p, _),
             .truncated(let p, _), .unsupportedRate(let p, _, _), .unsupportedChannels(let p, _, _),
             .tooLong(let p, _, _), .tooLarge(let p, _), .resampler(let p, _):
            return p
        }
    }

    /// The underlying reason, e.g. `System error : No such file or directory (libsndfile error 2)`.
    public var reason: String {
        switch self {
        case .missing(_, let r), .unreadable(_, let r), .empty(_, let r), .notAudio(_, let r),
             .truncated(_, let r), .unsupportedRate(_, _, let r), .unsupportedChannels(_, _, let r),
             .tooLong(_, _, let r), .tooLarge(_, let r):
            return r
        case .resampler(_, let e):
            return "\(trimmedSentence(e.message)) (libsamplerate error \(e.code))"
        }
    }

    public var description: String {
        switch self {
        case .missing(let p, let r):
            return "cue file \"\(p)\" not found: \(r). Check the path, or restore the file."
        case .unreadable(let p, let r):
            return "cannot read cue file \"\(p)\": \(r). Check that it is a regular file you can read."
        case .empty(let p, let r):
            return "cue file \"\(p)\" is empty: \(r). Re-create or re-export the file."
        case .notAudio(let p, let r):
            return "cue file \"\(p)\" is not audio libsndfile can decode: \(r). "
                + "Use WAV, FLAC, Ogg Vorbis, Opus or AIFF."
        case .truncated(let p, let r):
            return "cue file \"\(p)\" is damaged or cut short: \(r). Re-create or re-export the file."
        case .unsupportedRate(let p, let rate, let r):
            return "cue file \"\(p)\" has an unsupported sample rate of \(rate) Hz (\(r)); cues must be "
                + "\(SampleRate.supported.lowerBound)-\(SampleRate.supported.upperBound) Hz. "
                + "Convert it, e.g. `sox IN -r 48000 OUT.wav`."
        case .unsupportedChannels(let p, let channels, let r):
            return "cue file \"\(p)\" has \(channels) channels (\(r)); cues must be mono or stereo. "
                + "Mix it down, e.g. `sox IN -c 2 OUT.wav`."
        case .tooLong(let p, let seconds, let r):
            return "cue file \"\(p)\" is too long for a cue: \(seconds) s (\(r)); the limit is "
                + "\(CueLoader.maximumSeconds) s. Trim it, e.g. `sox IN OUT.wav trim 0 60`."
        case .tooLarge(let p, let r):
            return "cue file \"\(p)\" is too large for a cue: \(r). Trim it or encode it as FLAC or Ogg, "
                + "e.g. `sox IN OUT.flac trim 0 60`."
        case .resampler(let p, let e):
            return "cannot resample cue file \"\(p)\": \(e)"
        }
    }
}

/// Loads cue files: decode with libsndfile, convert to the output rate with libsamplerate.
/// Every call blocks on file I/O and CPU work: call it off the audio thread and off Swift's
/// cooperative pool.
public enum CueLoader {
    /// The longest cue accepted, in seconds (ten minutes: about 110 MB of stereo samples at
    /// 48 kHz while it is decoded, far beyond any spoken cue or tone). One bound with the
    /// cue-header cache's check of its lines.
    public static let maximumSeconds = AudioFileInfo.maximumCueSeconds

    /// Decodes `path` and converts it to `outputRate`. The result holds exactly
    /// floor(frames x outputRate / fileRate) frames, the same count `length` returns.
    /// The corresponding C functions are `sf_open`, `sf_readf_float` and `src_simple`.
    public static func load(path: String, outputRate: SampleRate, quality: ResamplerQuality) throws(CueLoadError) -> LoadedCue {
        precondition(outputRate.hz > 0, "output rate must be positive")
        let result: Result<LoadedCue, CueLoadError>
        do {
            result = try SndFile.withOpenFile(path: path) { (file, info) throws(SndFileError) -> Result<LoadedCue, CueLoadError> in
                if let problem = validate(info, file: file, path: path, outputRate: outputRate) { return .failure(problem) }
                let channels = info.channels
                let inCount = Int(info.frames) * channels
                if info.sampleRate == outputRate {
                    let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: inCount)
                    buffer.initialize(repeating: 0)
                    do throws(SndFileError) {
                        try SndFile.readFrames(file, info: info, path: path, into: buffer.baseAddress.unsafelyUnwrapped)
                    } catch {
                        buffer.deallocate()
                        throw error
                    }
                    return .success(LoadedCue(path: path, channels: channels, sampleRate: outputRate, owning: buffer))
                }
                let input = UnsafeMutableBufferPointer<Float>.allocate(capacity: inCount)
                input.initialize(repeating: 0)
                defer { input.deallocate() }
                try SndFile.readFrames(file, info: info, path: path, into: input.baseAddress.unsafelyUnwrapped)
                let outFrames = resampledLength(frames: Int(info.frames), from: info.sampleRate, to: outputRate)
                let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: outFrames * channels)
                output.initialize(repeating: 0)
                do throws(SampleRateError) {
                    try resample(UnsafeBufferPointer(input), into: output, channels: channels,
                                 from: info.sampleRate, to: outputRate, quality: quality)
                } catch {
                    output.deallocate()
                    return .failure(.resampler(path: path, error: error))
                }
                return .success(LoadedCue(path: path, channels: channels, sampleRate: outputRate, owning: output))
            }
        } catch {
            throw classify(error, path: path)
        }
        return try result.get()
    }

    /// The cue's length at `outputRate` from the header only, without decoding:
    /// floor(frames x outputRate / fileRate). Throws the same errors as `load` for missing,
    /// unreadable, non-audio and unsupported files (a cut-off audio payload is only found by
    /// `load`). The corresponding C function is `sf_open`.
    public static func length(path: String, outputRate: SampleRate) throws(CueLoadError) -> FrameCount {
        precondition(outputRate.hz > 0, "output rate must be positive")
        let result: Result<FrameCount, CueLoadError>
        do {
            result = try SndFile.withOpenFile(path: path) { file, info in
                if let problem = validate(info, file: file, path: path, outputRate: outputRate) { return .failure(problem) }
                return .success(outputRate.convertedLength(sourceFrames: info.frames, sourceRate: info.sampleRate))
            }
        } catch {
            throw classify(error, path: path)
        }
        return try result.get()
    }

    /// The file's header (frames, rate, channels, format), checked against what the mixer
    /// accepts at any output rate. Caches keep this (see `CueHeaderCache` in the engine) so that
    /// listing and planning need not open the file. The corresponding C function is `sf_open`.
    public static func header(path: String) throws(CueLoadError) -> AudioFileInfo {
        let result: Result<AudioFileInfo, CueLoadError>
        do {
            result = try SndFile.withOpenFile(path: path) { file, info in
                if let problem = validate(info, file: file, path: path, outputRate: info.sampleRate) { return .failure(problem) }
                return .success(info)
            }
        } catch {
            throw classify(error, path: path)
        }
        return try result.get()
    }

    /// libsndfile's version string, e.g. "libsndfile-1.2.0" (part of the decoded-cue cache key).
    public static var decoderVersion: String { String(cString: sf_version_string()) }

    /// Checks an opened file's header against what the mixer accepts.
    static func validate(_ info: AudioFileInfo, file: OpaquePointer, path: String, outputRate: SampleRate) -> CueLoadError? {
        let described = "libsndfile reads \(info.sampleRate.hz) Hz, \(info.channels) channel(s), \(formatName(file, info.format))"
        guard (1...2).contains(info.channels) else {
            return .unsupportedChannels(path: path, channels: info.channels, reason: described)
        }
        guard SampleRate.supported.contains(info.sampleRate.hz) else {
            return .unsupportedRate(path: path, rate: info.sampleRate.hz, reason: described)
        }
        guard info.hasKnownLength else {
            return .truncated(path: path, reason: "libsndfile cannot tell how long it is (\(described)); the stream looks cut short")
        }
        guard info.frames > 0 else {
            return .empty(path: path, reason: "the header is valid but holds no audio frames (\(described))")
        }
        guard outputRate.convertedLength(sourceFrames: info.frames, sourceRate: info.sampleRate) > .zero else {
            return .empty(path: path, reason: "\(info.frames) frame(s) at \(info.sampleRate.hz) Hz is less than one frame "
                + "at \(outputRate.hz) Hz (\(described))")
        }
        let seconds = info.frames / Int64(info.sampleRate.hz)
        guard seconds <= Int64(maximumSeconds) else {
            return .tooLong(path: path, seconds: Int(min(seconds, Int64(Int.max))),
                            reason: "libsndfile reads \(info.frames) frames at \(info.sampleRate.hz) Hz")
        }
        return nil
    }

    /// Maps a libsndfile failure to the cue error class, using the file system to tell a
    /// missing file, a directory and a 0-byte file apart (libsndfile calls the last two
    /// "Format not recognised").
    static func classify(_ error: SndFileError, path: String) -> CueLoadError {
        let reason = error.reason
        if case .refused(let tooLarge) = error.operation {
            return tooLarge ? .tooLarge(path: path, reason: reason) : .unreadable(path: path, reason: reason)
        }
        if case .decoding(let read, let expected) = error.operation {
            let position = expected == Int64.max ? "" : "decoding stopped after \(read) of \(expected) frames: "
            return .truncated(path: path, reason: position + reason)
        }
        var st = stat()
        if stat(path, &st) != 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR { return .missing(path: path, reason: reason) }
            return .unreadable(path: path, reason: reason)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            return .unreadable(path: path, reason: "it is a directory (libsndfile: \(reason))")
        }
        if error.isSystemError { return .unreadable(path: path, reason: reason) }
        if st.st_size == 0 { return .empty(path: path, reason: "0 bytes (libsndfile: \(reason))") }
        switch Int(error.code) {
        case SF_ERR_UNRECOGNISED_FORMAT, SF_ERR_UNSUPPORTED_ENCODING:
            return .notAudio(path: path, reason: reason)
        default:
            return .truncated(path: path, reason: reason)
        }
    }

    /// libsndfile's names for a format word, e.g. "WAV (Microsoft), Signed 16 bit PCM".
    /// The corresponding C function is `sf_command` (`SFC_GET_FORMAT_INFO`).
    static func formatName(_ file: OpaquePointer?, _ format: Int32) -> String {
        func name(_ code: Int32) -> String? {
            var fi = SF_FORMAT_INFO()
            fi.format = code
            guard sf_command(file, Int32(SFC_GET_FORMAT_INFO), &fi, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0,
                  let n = fi.name else { return nil }
            return String(cString: n)
        }
        let major = name(format & Int32(SF_FORMAT_TYPEMASK))
        let minor = name(format & Int32(SF_FORMAT_SUBMASK))
        let parts = [major, minor].compactMap { $0 }
        return parts.isEmpty ? "format 0x" + String(format, radix: 16) : parts.joined(separator: ", ")
    }
}
