#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSndFile
import SomacueCore
import SomacuePlatform
import Synchronization

// MARK: - Errors

/// A failure reported by libsndfile (or a check made on its behalf) for one file.
///
/// `code` is libsndfile's error number (`sf_error`) and `message` its text (`sf_strerror`),
/// e.g. `System error : No such file or directory.` (code 2). Checks somacue makes itself
/// (an Opus file at the wrong rate, a length libsndfile cannot tell) use code 0.
public struct SndFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was being done when libsndfile failed.
    public enum Operation: Sendable, Equatable {
        /// `sf_open` in read mode.
        case openForReading
        /// `sf_readf_float` delivered fewer frames than the header announced.
        case decoding(framesRead: Int64, framesExpected: Int64)
        /// `sf_open` in write mode, or a format/rate check before it.
        case openForWriting
        /// `sf_writef_short` / `sf_writef_float` wrote fewer frames than given.
        case writing
        /// `sf_close` failed (for FLAC and Ogg the encoder flushes here).
        case closing
        /// Not handed to libsndfile at all: not a regular file (a FIFO, a device, a
        /// directory), or larger than `SndFile.maxInputBytes`. `message` says which.
        case refused(tooLarge: Bool)
    }

    public var path: String
    /// libsndfile's error number (`sf_error`); 0 for checks made by somacue.
    public var code: Int32
    /// libsndfile's text for `code` (`sf_strerror`), or somacue's reason when `code` is 0.
    public var message: String
    public var operation: Operation

    public init(path: String, code: Int32, message: String, operation: Operation) {
        self.path = path
        self.code = code
        self.message = message
        self.operation = operation
    }

    /// libsndfile's reason with its error number, e.g. `Format not recognised (libsndfile error 1)`.
    public var reason: String {
        let text = trimmedSentence(message)
        switch operation {
        case .openForWriting, .writing, .closing:
            // Write failures carry the system's reason (see writeFailureReason); libsndfile's
            // number adds nothing to "the disk is full".
            if code == Int32(SF_ERR_SYSTEM) { return text }
        default:
            break
        }
        return code <= 0 ? text : "\(text) (libsndfile error \(code))"
    }

    /// True when the operating system refused the file (`SF_ERR_SYSTEM`): missing, a directory
    /// component that is not a directory, permissions, I/O errors.
    public var isSystemError: Bool { code == Int32(SF_ERR_SYSTEM) }

    public var description: String {
        switch operation {
        case .openForReading:
            let advice: String
            switch Int(code) {
            case SF_ERR_SYSTEM: advice = "Check that the file exists and is readable."
            case SF_ERR_UNRECOGNISED_FORMAT, SF_ERR_UNSUPPORTED_ENCODING:
                advice = "Use a WAV, FLAC, Ogg Vorbis, Opus or AIFF file."
            default: advice = "The file looks damaged or cut short; export it again."
            }
            return "cannot open audio file \"\(path)\": \(reason). \(advice)"
        case .decoding(let read, let expected):
            let known = expected == Int64.max ? "" : " after \(read) of \(expected) frames"
            return "cannot decode audio file \"\(path)\"\(known): \(reason). "
                + "The file looks damaged or cut short; export it again."
        case .openForWriting:
            return "cannot create audio file \"\(path)\": \(reason). "
                + (code == 0 ? "Choose another format or sample rate."
                    : "Check that the directory exists and is writable.")
        case .writing:
            return "cannot write audio file \"\(path)\": \(reason). "
                + "Check that the disk is not full and the file is still writable."
        case .closing:
            return "cannot finish audio file \"\(path)\": \(reason). "
                + "The file is probably incomplete; check the disk and render again."
        case .refused(let tooLarge):
            return "cannot open audio file \"\(path)\": \(reason). "
                + (tooLarge ? "Cues are short sounds; trim or re-encode the file." : "Point the manifest at a regular audio file.")
        }
    }
}

/// Why writing failed, in the system's words: libsndfile's own texts for its internal error
/// numbers ("Unspecified internal error", "This is a bug in libsndfile", and for a number outside
/// its table a line it prints on stdout) say nothing about the cause, which is nearly always the
/// disk. So: the system error libsndfile recorded (`SF_ERR_SYSTEM`), else `errno` from the
/// failed call, else a full file system seen by `statvfs`; nil when none of them tells.
///
/// `systemText` is `sf_strerror` for the handle (or nil for a failed open), read only when the
/// code is `SF_ERR_SYSTEM`: for a number outside libsndfile's table, `sf_strerror` prints to stdout.
func writeFailureReason(code: Int32, osError: Int32, systemText: () -> String, path: String) -> String? {
    func described(_ e: Int32) -> String {
        let text = String(cString: strerror(e))
        switch e {
        case ENOSPC, EDQUOT: return "the disk is full (\(text))"
        case EACCES, EPERM: return "permission denied (\(text))"
        case EROFS: return "the file system is read-only (\(text))"
        case EIO: return "the device reported an input/output error (\(text))"
        default: return text
        }
    }
    if code == Int32(SF_ERR_SYSTEM) {
        // "System error : No space left on device." -- only the system's part.
        var text = trimmedSentence(systemText())
        if let colon = text.firstRange(of: " : ") { text = String(text[colon.upperBound...]) }
        for e in [ENOSPC, EDQUOT, EACCES, EPERM, EROFS, EIO] where text == String(cString: strerror(e)) { return described(e) }
        return text
    }
    if osError != 0 && osError != EINTR && osError != EAGAIN { return described(osError) }
    var fs = statvfs()
    if statvfs(Platform.dirname(path), &fs) == 0 && fs.f_bavail == 0 { return described(ENOSPC) }
    return nil
}

/// "System error : No such file or directory." -> "System error : No such file or directory"
func trimmedSentence(_ s: String) -> String {
    var t = s
    while let last = t.last, last == "." || last == " " || last == "\n" { t.removeLast() }
    return t
}

// MARK: - Reading

/// A file's header as reported by `sf_open` in `SF_INFO` (`AudioFileInfo`, in SomacueCore): the
/// parts of its format word.
extension AudioFileInfo {
    /// The major container type (`format & SF_FORMAT_TYPEMASK`).
    public var container: Int32 { format & Int32(SF_FORMAT_TYPEMASK) }
    /// The sample encoding (`format & SF_FORMAT_SUBMASK`).
    public var encoding: Int32 { format & Int32(SF_FORMAT_SUBMASK) }
}

/// `sf_open(NULL)` failures are reported through libsndfile globals (`sf_error(NULL)`,
/// `sf_strerror(NULL)`), so every `sf_open` runs under this lock with its error read-out.
private let sndfileOpenLock = Mutex<Void>(())

/// Reading audio files with libsndfile. All calls block on file I/O: run them off the audio
/// thread and off Swift's cooperative pool.
public enum SndFile {
    /// The largest audio file opened for reading (a 10-minute cue is at most about 110 MB as
    /// 48 kHz stereo float WAV, 23 MB as 16-bit; cues are seconds long).
    public static let maxInputBytes = 64 << 20

    /// Reads the header only (`sf_open` + `sf_close`): cheap, used to compute cue lengths
    /// without decoding. The corresponding C function is `sf_open`.
    public static func info(path: String) throws(SndFileError) -> AudioFileInfo {
        try withOpenFile(path: path) { _, info in info }
    }

    /// Decodes the whole file to interleaved Float samples, normalised by libsndfile
    /// (16-bit PCM becomes `sample / 32768`, so values are exact). The corresponding C
    /// function is `sf_readf_float`.
    ///
    /// Throws `.decoding` when the decoder stops before the frame count in the header
    /// (a cut-off FLAC, an Ogg stream of unknown length).
    public static func readFloat(path: String) throws(SndFileError) -> (info: AudioFileInfo, samples: [Float]) {
        try withOpenFile(path: path) { (file, info) throws(SndFileError) in
            let count = try sampleCount(info, path: path)
            var samples = [Float](repeating: 0, count: count)
            if count > 0 {
                try samples.withUnsafeMutableBufferPointer { (buffer) throws(SndFileError) in
                    guard let base = buffer.baseAddress else { return }
                    try readFrames(file, info: info, path: path, into: base)
                }
            }
            return (info, samples)
        }
    }

    /// Opens `path` for reading, runs `body` with the handle, closes it.
    /// The corresponding C functions are `sf_open` and `sf_close`.
    ///
    /// The file is opened by somacue first (`Platform.openRegularFile`: nonblocking, regular
    /// files only, at most `maxInputBytes`) and handed to libsndfile as a descriptor
    /// (`sf_open_fd`), so a FIFO or a device never reaches `sf_open`, which would block on it or
    /// read it forever.
    static func withOpenFile<T>(path: String,
                                _ body: (OpaquePointer, AudioFileInfo) throws(SndFileError) -> T) throws(SndFileError) -> T {
        let fd: Int32
        do { fd = try Platform.openRegularFile(path, maxBytes: maxInputBytes).fd } catch {
            switch error.kind {
            case .system(let e):
                // Worded as libsndfile words its own system errors, so callers see one form.
                throw SndFileError(path: path, code: Int32(SF_ERR_SYSTEM), message: "System error : \(Platform.errorText(e))",
                                   operation: .openForReading)
            case .notRegular:
                throw SndFileError(path: path, code: 0, message: error.reason, operation: .refused(tooLarge: false))
            case .tooLarge:
                throw SndFileError(path: path, code: 0, message: error.reason, operation: .refused(tooLarge: true))
            }
        }
        // somacue closes the descriptor (SF_FALSE), also when sf_open_fd fails.
        defer { close(fd) }
        var sfinfo = SF_INFO()
        let opened: Result<OpaquePointer, SndFileError> = sndfileOpenLock.withLock { _ in
            if let file = sf_open_fd(fd, Int32(SFM_READ), &sfinfo, Int32(SF_FALSE)) { return .success(file) }
            let code = sf_error(nil)
            let text = String(cString: sf_strerror(nil))
            return .failure(SndFileError(path: path, code: code, message: text, operation: .openForReading))
        }
        let file = try opened.get()
        defer { sf_close(file) }
        let info = AudioFileInfo(frames: sfinfo.frames, sampleRate: SampleRate(Int(sfinfo.samplerate)),
                                 channels: Int(sfinfo.channels), format: sfinfo.format)
        return try body(file, info)
    }

    /// frames x channels, refusing unknown lengths and sizes that cannot be allocated.
    static func sampleCount(_ info: AudioFileInfo, path: String) throws(SndFileError) -> Int {
        guard info.hasKnownLength else {
            throw SndFileError(path: path, code: 0,
                               message: "libsndfile cannot tell the length of this file (the stream looks cut short)",
                               operation: .decoding(framesRead: 0, framesExpected: Int64.max))
        }
        // Far beyond any cue (about 6 hours of 8-channel 48 kHz audio); keeps the multiply safe.
        let limit: Int64 = 1 << 33
        let (count, overflow) = info.frames.multipliedReportingOverflow(by: Int64(max(info.channels, 1)))
        guard !overflow, count <= limit else {
            throw SndFileError(path: path, code: 0,
                               message: "the file is too long to load (\(info.frames) frames of \(info.channels) channels)",
                               operation: .decoding(framesRead: 0, framesExpected: info.frames))
        }
        return Int(count)
    }

    /// Decodes all `info.frames` frames into `buffer` (capacity frames x channels).
    /// The corresponding C function is `sf_readf_float`.
    static func readFrames(_ file: OpaquePointer, info: AudioFileInfo, path: String,
                           into buffer: UnsafeMutablePointer<Float>) throws(SndFileError) {
        var done: Int64 = 0
        // Read in chunks so that a decoder stopping early is seen at the frame where it stops.
        let chunk: Int64 = 1 << 16
        while done < info.frames {
            let want = min(chunk, info.frames - done)
            let got = sf_readf_float(file, buffer + Int(done) * info.channels, want)
            if got > 0 { done += got }
            if got < want {
                let code = sf_error(file)
                let text = code != 0 ? String(cString: sf_strerror(file)) : "the audio data ends early"
                throw SndFileError(path: path, code: code, message: text,
                                   operation: .decoding(framesRead: done, framesExpected: info.frames))
            }
        }
    }
}

// MARK: - Writing

/// Output file formats for renders.
public enum OutputFileFormat: Sendable, Equatable, CaseIterable {
    /// WAV, 16-bit PCM: holds the mixer's Int16 samples exactly.
    case wav16
    /// WAV, 32-bit float.
    case wavFloat
    /// FLAC, 16-bit: lossless, holds the mixer's Int16 samples exactly.
    case flac
    /// Ogg Vorbis (lossy).
    case oggVorbis
    /// Ogg Opus (lossy); 48 kHz only.
    case opus

    /// From the file extension (`.wav`, `.flac`, `.ogg`, `.opus`, case-insensitive); `float`
    /// selects `wavFloat` for `.wav` (other formats ignore it). nil if the extension is unknown.
    public init?(path: String, float: Bool) {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "wav", "wave": self = float ? .wavFloat : .wav16
        case "flac": self = .flac
        case "ogg", "oga": self = .oggVorbis
        case "opus": self = .opus
        default: return nil
        }
    }

    /// The libsndfile format word (`SF_INFO.format`).
    public var sndfileFormat: Int32 {
        switch self {
        case .wav16: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        case .wavFloat: return Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
        case .flac: return Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
        case .oggVorbis: return Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS)
        case .opus: return Int32(SF_FORMAT_OGG | SF_FORMAT_OPUS)
        }
    }

    /// True for the lossless 16-bit formats, which store Int16 samples unchanged.
    public var isExact16Bit: Bool { self == .wav16 || self == .flac }

    /// Display name for messages, e.g. "Opus".
    public var name: String {
        switch self {
        case .wav16: return "WAV (16-bit)"
        case .wavFloat: return "WAV (32-bit float)"
        case .flac: return "FLAC"
        case .oggVorbis: return "Ogg Vorbis"
        case .opus: return "Opus"
        }
    }
}

/// Writes interleaved frames with libsndfile. 16-bit formats receive Int16 samples exactly as
/// given (`sf_writef_short`), so a .wav/.flac render holds exactly the mixer's samples. Float
/// samples written to a 16-bit format are scaled by 32767 and clipped by libsndfile.
///
/// Single owner: calls must not overlap. Closed by `close()` (which reports errors) or, as a
/// fallback, on deinit (which cannot).
public final class AudioFileWriter {
    public let path: String
    public let format: OutputFileFormat
    public let sampleRate: SampleRate
    public let channels: Int
    /// Frames written so far.
    public private(set) var framesWritten: Int64 = 0
    private var file: OpaquePointer?

    /// Creates (or truncates) `path`. `.opus` requires 48 kHz. The corresponding C function is
    /// `sf_open` (mode `SFM_WRITE`).
    public init(path: String, format: OutputFileFormat, sampleRate: SampleRate, channels: Int) throws(SndFileError) {
        precondition(channels > 0, "channels must be positive")
        precondition(sampleRate.hz > 0, "sample rate must be positive")
        self.path = path
        self.format = format
        self.sampleRate = sampleRate
        self.channels = channels
        if format == .opus && sampleRate.hz != 48_000 {
            throw SndFileError(path: path, code: 0,
                               message: "Opus files must be 48000 Hz, the render is \(sampleRate.hz) Hz; "
                                   + "render at 48000 Hz or write .wav, .flac or .ogg",
                               operation: .openForWriting)
        }
        var sfinfo = SF_INFO()
        sfinfo.samplerate = Int32(sampleRate.hz)
        sfinfo.channels = Int32(channels)
        sfinfo.format = format.sndfileFormat
        guard sf_format_check(&sfinfo) != 0 else {
            throw SndFileError(path: path, code: 0,
                               message: "libsndfile cannot write \(format.name) at \(sampleRate.hz) Hz with \(channels) channels",
                               operation: .openForWriting)
        }
        let opened: Result<OpaquePointer, SndFileError> = sndfileOpenLock.withLock { _ in
            errno = 0
            if let f = sf_open(path, Int32(SFM_WRITE), &sfinfo) { return .success(f) }
            let osError = errno
            let code = sf_error(nil)
            if let reason = writeFailureReason(code: code, osError: osError, systemText: { String(cString: sf_strerror(nil)) }, path: path) {
                return .failure(SndFileError(path: path, code: Int32(SF_ERR_SYSTEM), message: reason, operation: .openForWriting))
            }
            return .failure(SndFileError(path: path, code: code, message: "libsndfile could not start the file", operation: .openForWriting))
        }
        let f = try opened.get()
        // Float input beyond +-1 is clipped instead of wrapping around in integer formats.
        sf_command(f, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        file = f
    }

    deinit {
        if let file { sf_close(file) }
    }

    /// Writes interleaved Int16 frames (`count` must be a multiple of `channels`).
    /// The corresponding C function is `sf_writef_short`.
    public func write(_ frames: UnsafeBufferPointer<Int16>) throws(SndFileError) {
        let file = openHandle()
        precondition(frames.count % channels == 0, "sample count must be a multiple of the channel count")
        guard let base = frames.baseAddress, frames.count > 0 else { return }
        let n = Int64(frames.count / channels)
        errno = 0
        let written = sf_writef_short(file, base, n)
        try check(written: written, expected: n)
    }

    /// Writes interleaved Float frames (`count` must be a multiple of `channels`).
    /// The corresponding C function is `sf_writef_float`.
    public func write(_ frames: UnsafeBufferPointer<Float>) throws(SndFileError) {
        let file = openHandle()
        precondition(frames.count % channels == 0, "sample count must be a multiple of the channel count")
        guard let base = frames.baseAddress, frames.count > 0 else { return }
        let n = Int64(frames.count / channels)
        errno = 0
        let written = sf_writef_float(file, base, n)
        try check(written: written, expected: n)
    }

    /// Finishes the file (headers, encoder flush). Calling it again does nothing.
    /// The corresponding C function is `sf_close`.
    public func close() throws(SndFileError) {
        guard let f = file else { return }
        file = nil
        errno = 0
        let code = sf_close(f)
        let osError = errno
        if code != 0 {
            if let reason = writeFailureReason(code: code, osError: osError, systemText: { "" }, path: path) {
                throw SndFileError(path: path, code: Int32(SF_ERR_SYSTEM), message: reason, operation: .closing)
            }
            throw SndFileError(path: path, code: code, message: "the encoder could not finish the file", operation: .closing)
        }
    }

    private func openHandle() -> OpaquePointer {
        guard let file else { preconditionFailure("AudioFileWriter used after close(): \(path)") }
        return file
    }

    private func check(written: Int64, expected: Int64) throws(SndFileError) {
        let osError = errno
        if written > 0 { framesWritten += written }
        guard written == expected else {
            let code = sf_error(file)
            if let reason = writeFailureReason(code: code, osError: osError, systemText: { String(cString: sf_strerror(file)) }, path: path) {
                throw SndFileError(path: path, code: Int32(SF_ERR_SYSTEM), message: reason, operation: .writing)
            }
            throw SndFileError(path: path, code: code, message: "only \(written) of \(expected) frames were written", operation: .writing)
        }
    }
}
