import CSndFile
import Foundation
import SomacueAudio
import SomacueCore
import Testing

/// Source formats the loader must read, each made by a real encoder.
enum SourceFormat: String, CaseIterable, Sendable {
    case wav16, wav24, wavFloat, flac, oggVorbis, opus, aiff

    var fileExtension: String {
        switch self {
        case .wav16, .wav24, .wavFloat: return "wav"
        case .flac: return "flac"
        case .oggVorbis: return "ogg"
        case .opus: return "opus"
        case .aiff: return "aiff"
        }
    }

    /// Opus (RFC 6716) only codes 8, 12, 16, 24 and 48 kHz; other rates are not valid Opus files.
    func supports(rate: Int) -> Bool {
        self == .opus ? [8_000, 12_000, 16_000, 24_000, 48_000].contains(rate) : true
    }

    /// Writes a 0.25 s, 440 Hz tone at `rate` with `channels`; returns the path.
    func makeTone(in dir: FixtureDir, rate: Int, channels: Int) throws -> String {
        let name = "tone-\(rawValue)-\(rate)-\(channels).\(fileExtension)"
        switch self {
        case .wav16, .flac, .aiff: return try dir.soxTone(name, rate: rate, channels: channels, options: ["-b", "16"])
        case .wav24: return try dir.soxTone(name, rate: rate, channels: channels, options: ["-b", "24"])
        case .wavFloat: return try dir.soxTone(name, rate: rate, channels: channels, options: ["-e", "floating-point", "-b", "32"])
        case .oggVorbis: return try dir.soxTone(name, rate: rate, channels: channels, options: [])
        case .opus:
            // sox cannot write Opus; libsndfile can (at the Opus rates). AudioFileWriter only
            // writes 48 kHz Opus, so other rates go through libsndfile directly.
            let samples = Fixtures.sine(frequency: 440, rate: rate, frames: rate / 4, channels: channels)
            return try writeWithLibsndfile(dir.file(name), samples, format: Int32(SF_FORMAT_OGG | SF_FORMAT_OPUS),
                                           rate: rate, channels: channels)
        }
    }
}

/// Writes float samples with plain libsndfile calls, for headers AudioFileWriter does not make
/// (any rate, any channel count, any container).
@discardableResult
func writeWithLibsndfile(_ path: String, _ samples: [Float], format: Int32, rate: Int, channels: Int) throws -> String {
    var info = SF_INFO()
    info.samplerate = Int32(rate)
    info.channels = Int32(channels)
    info.format = format
    guard let f = sf_open(path, Int32(SFM_WRITE), &info) else {
        throw FixtureError("sf_open(\(path)) for writing: \(String(cString: sf_strerror(nil)))")
    }
    let frames = Int64(samples.count / channels)
    let written = samples.withUnsafeBufferPointer { sf_writef_float(f, $0.baseAddress, frames) }
    sf_close(f)
    guard written == frames else { throw FixtureError("wrote \(written) of \(frames) frames to \(path)") }
    return path
}

struct LoadCase: CustomTestStringConvertible, Sendable {
    var format: SourceFormat
    var rate: Int
    var channels: Int
    var testDescription: String { "\(format.rawValue) \(rate) Hz \(channels == 1 ? "mono" : "stereo")" }

    static let rates = [8_000, 16_000, 22_050, 44_100, 48_000, 96_000, 192_000]
    static let all: [LoadCase] = SourceFormat.allCases.flatMap { f in
        rates.filter { f.supports(rate: $0) }.flatMap { r in [1, 2].map { LoadCase(format: f, rate: r, channels: $0) } }
    }
}

/// The error `CueLoader.load` throws for `path`, or nil if it loads.
func cueLoadError(_ path: String, rate: Int = 48_000) -> CueLoadError? {
    do {
        _ = try CueLoader.load(path: path, outputRate: SampleRate(rate), quality: .medium)
        return nil
    } catch {
        return error
    }
}

/// The error `CueLoader.length` throws for `path`, or nil if it succeeds.
func cueLengthError(_ path: String) -> CueLoadError? {
    do {
        _ = try CueLoader.length(path: path, outputRate: .standard)
        return nil
    } catch {
        return error
    }
}

@Suite("Cue loader")
struct LoaderTests {
    // MARK: Formats, rates, channel counts

    @Test("loads every format, rate and channel count to exactly floor(frames * 48000 / rate) frames",
          arguments: LoadCase.all)
    func load_anyFormatAndRate_hasExactConvertedLength(_ c: LoadCase) throws {
        let dir = try FixtureDir("load")
        let path = try c.format.makeTone(in: dir, rate: c.rate, channels: c.channels)

        let info = try SndFile.info(path: path)
        #expect(info.sampleRate.hz == c.rate)
        #expect(info.channels == c.channels)
        // The encoders keep the length (Vorbis/Opus to within a packet).
        #expect(abs(Double(info.frames) / Double(c.rate) - 0.25) < 0.03, "header says \(info.frames) frames")

        let cue = try CueLoader.load(path: path, outputRate: .standard, quality: .medium)
        let expected = info.frames * 48_000 / Int64(c.rate)
        #expect(cue.frames.value == expected)
        #expect(cue.channels == c.channels, "mono stays mono, stereo stays stereo")
        #expect(cue.samples.count == Int(expected) * c.channels)
        #expect(cue.sampleRate == .standard)
        #expect(cue.path == path)
        #expect(try CueLoader.length(path: path, outputRate: .standard) == cue.frames)

        // The tone is there: RMS of a 0.5-amplitude sine is 0.354 (lossy codecs and fades aside).
        let mid = cue.array[(cue.samples.count / 4)..<(3 * cue.samples.count / 4)]
        #expect(abs(Fixtures.rms(mid) - 0.3536) < 0.03, "rms \(Fixtures.rms(mid))")
    }

    @Test("every resampler quality gives the exact length", arguments: ResamplerQuality.allCases)
    func load_anyQuality_hasExactLength(_ quality: ResamplerQuality) throws {
        let dir = try FixtureDir("quality")
        for rate in [8_000, 22_050, 44_100, 96_000] {
            let path = try dir.soxTone("q-\(rate).wav", rate: rate, channels: 2, seconds: 0.3)
            let cue = try CueLoader.load(path: path, outputRate: .standard, quality: quality)
            let frames = try SndFile.info(path: path).frames
            #expect(cue.frames.value == frames * 48_000 / Int64(rate))
        }
        // Output rates other than 48 kHz too.
        let path = try dir.soxTone("q-48000.wav", rate: 48_000, channels: 1, seconds: 0.3)
        for out in [8_000, 22_050, 44_100, 192_000] {
            let cue = try CueLoader.load(path: path, outputRate: SampleRate(out), quality: quality)
            #expect(cue.frames.value == 14_400 * Int64(out) / 48_000)
            #expect(try CueLoader.length(path: path, outputRate: SampleRate(out)) == cue.frames)
        }
    }

    @Test("quality names match the config's resampler names")
    func quality_rawValues_matchConfig() {
        #expect(ResamplerQuality.allCases.map(\.rawValue) == Config.resamplers)
        #expect(ResamplerQuality.standard == .medium)
        #expect(ResamplerQuality(rawValue: "best") == .best)
    }

    @Test("a 48 kHz 16-bit file loads bit-exactly at 48 kHz (sample / 32768)",
          arguments: [(OutputFileFormat.wav16, 1), (.wav16, 2), (.flac, 1), (.flac, 2)])
    func load_sameRate16Bit_isBitExact(_ format: OutputFileFormat, _ channels: Int) throws {
        let dir = try FixtureDir("exact")
        let pattern = Fixtures.int16Pattern(frames: 10_007, channels: channels)
        let path = try Fixtures.writeInt16(dir.file("exact.\(format == .flac ? "flac" : "wav")"), pattern,
                                           format: format, rate: 48_000, channels: channels)
        let cue = try CueLoader.load(path: path, outputRate: .standard, quality: .best)
        #expect(cue.frames.value == 10_007)
        #expect(cue.channels == channels)
        let expected = pattern.map { Float($0) / 32_768 }
        #expect(cue.array == expected)
        // And back to the same integers.
        #expect(cue.array.map { Int16($0 * 32_768) } == pattern)
    }

    @Test("a sox 48 kHz 16-bit tone loads bit-exactly")
    func load_soxTone48k_isBitExact() throws {
        let dir = try FixtureDir("soxexact")
        let path = try dir.soxTone("t.wav", rate: 48_000, channels: 2, seconds: 0.1)
        let decoded = try SndFile.readFloat(path: path)
        let cue = try CueLoader.load(path: path, outputRate: .standard, quality: .medium)
        #expect(cue.array == decoded.samples)
        #expect(decoded.samples.allSatisfy { ($0 * 32_768).rounded() == $0 * 32_768 }, "whole 16-bit steps")
    }

    @Test("a resampled sine keeps its frequency and level", arguments: [8_000, 16_000, 22_050, 44_100, 96_000, 192_000])
    func load_resampledSine_keepsFrequencyAndRMS(_ rate: Int) throws {
        let dir = try FixtureDir("sine")
        let path = try dir.soxTone("sine-\(rate).wav", rate: rate, channels: 1, seconds: 1, frequency: 1_000)
        for quality in ResamplerQuality.allCases {
            let cue = try CueLoader.load(path: path, outputRate: .standard, quality: quality)
            #expect(cue.frames.value == 48_000)
            let s = cue.array
            let f = Fixtures.estimateFrequency(s, rate: 48_000, skip: 480)
            #expect(abs(f - 1_000) < 0.5, "\(quality): \(f) Hz")
            let level = Fixtures.rms(s[2_400..<45_600])
            // Linear interpolation droops towards Nyquist (about -0.4 dB for 1 kHz from 8 kHz).
            let tolerance = quality == .linear ? 0.03 : 0.005
            #expect(abs(level - 0.5 / 2.0.squareRoot()) < tolerance, "\(quality): rms \(level)")
        }
    }

    @Test("stereo channels stay separate through the resampler")
    func load_stereo_keepsChannelsApart() throws {
        let dir = try FixtureDir("lr")
        // Left: 500 Hz sine; right: silence.
        var samples = Fixtures.sine(frequency: 500, rate: 22_050, frames: 22_050, channels: 2)
        for i in stride(from: 1, to: samples.count, by: 2) { samples[i] = 0 }
        let path = try writeWithLibsndfile(dir.file("lr.wav"), samples, format: Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT),
                                           rate: 22_050, channels: 2)
        let cue = try CueLoader.load(path: path, outputRate: .standard, quality: .medium)
        let left = Fixtures.channel(cue.array, 0, of: 2)
        let right = Fixtures.channel(cue.array, 1, of: 2)
        #expect(abs(Fixtures.estimateFrequency(left, rate: 48_000, skip: 480) - 500) < 0.5)
        #expect(right.allSatisfy { abs($0) < 1e-6 })
    }

    @Test("speech from espeak-ng (22050 Hz) and flite (8000/16000 Hz) loads at the exact length")
    func load_speechGenerators_exactLength() throws {
        let dir = try FixtureDir("speech")
        var paths: [String] = []
        if Fixtures.hasTool("espeak-ng") {
            let out = dir.file("espeak.wav")
            let r = try runProcess(Fixtures.which("espeak-ng"), ["-w", out, "-s", "140", "Slowly arch your back"],
                                   environment: dir.toolEnvironment)
            #expect(r.status == 0, "\(r.stderr)")
            paths.append(out)
        }
        if Fixtures.hasTool("flite") {
            for voice in ["kal", "slt"] {
                let out = dir.file("flite-\(voice).wav")
                let r = try runProcess(Fixtures.which("flite"), ["-voice", voice, "-t", "Breathe in slowly", "-o", out],
                                       environment: dir.toolEnvironment)
                #expect(r.status == 0, "\(r.stderr)")
                paths.append(out)
            }
        }
        try #require(!paths.isEmpty, "neither espeak-ng nor flite is installed")
        for path in paths {
            let info = try SndFile.info(path: path)
            let cue = try CueLoader.load(path: path, outputRate: .standard, quality: .best)
            #expect(cue.frames.value == info.frames * 48_000 / Int64(info.sampleRate.hz))
            #expect(cue.channels == 1)
            #expect(Fixtures.rms(cue.array[...]) > 0.01)
        }
    }

    // MARK: The resample function itself

    @Test("resample returns exactly floor(frames * to / from) frames")
    func resample_lengthIsExact() throws {
        let pairs = [(8_000, 48_000), (22_050, 48_000), (44_100, 48_000), (48_000, 44_100), (192_000, 48_000),
                     (96_000, 22_050), (16_000, 11_025)]
        for (from, to) in pairs {
            for frames in [0, 1, 2, 3, 7, 100, 441, 1_000, 4_097] {
                for channels in [1, 2, 3] {
                    let input = [Float](repeating: 0.25, count: frames * channels)
                    for quality in ResamplerQuality.allCases {
                        let out = try resample(input, channels: channels, from: SampleRate(from), to: SampleRate(to), quality: quality)
                        #expect(out.count == frames * to / from * channels, "\(from)->\(to) \(frames)x\(channels) \(quality)")
                    }
                }
            }
        }
    }

    @Test("resample is the identity when the rates match")
    func resample_sameRate_isIdentity() throws {
        let input = Fixtures.sine(frequency: 123, rate: 44_100, frames: 1_000, channels: 2)
        #expect(try resample(input, channels: 2, from: SampleRate(44_100), to: SampleRate(44_100), quality: .linear) == input)
    }

    @Test("a libsamplerate failure becomes a SampleRateError with its code and text")
    func resample_badRatio_throwsSampleRateError() {
        // libsamplerate accepts ratios up to 256; 1 Hz -> 48 kHz is refused (SRC_ERR_BAD_SRC_RATIO).
        let e = #expect(throws: SampleRateError.self) {
            _ = try resample([0.1, 0.2, 0.3], channels: 1, from: SampleRate(1), to: .standard, quality: .medium)
        }
        #expect(e?.code != 0 && e?.message.isEmpty == false)
        #expect(e?.description.contains("1 Hz to 48000 Hz") == true)
        #expect(e.map { $0.description.contains($0.message) } == true)
    }

    // MARK: Bad files

    /// Checks the error class, that it names the file, and that it carries libsndfile's words.
    func expectError(_ error: CueLoadError?, _ path: String, reasonContains words: [String],
                     sourceLocation: SourceLocation = #_sourceLocation,
                     _ matches: (CueLoadError) -> Bool) {
        guard let error else {
            Issue.record("\(path) loaded, but an error was expected", sourceLocation: sourceLocation)
            return
        }
        #expect(matches(error), "wrong class: \(error)", sourceLocation: sourceLocation)
        #expect(error.path == path, sourceLocation: sourceLocation)
        #expect(error.description.contains("\"\(path)\""), "\(error)", sourceLocation: sourceLocation)
        for w in words {
            #expect(error.reason.contains(w), "reason \"\(error.reason)\" lacks \"\(w)\"", sourceLocation: sourceLocation)
            #expect(error.description.contains(w), sourceLocation: sourceLocation)
        }
    }

    @Test("a missing file is reported as missing, with libsndfile's system error")
    func load_missingFile_throwsMissing() throws {
        let dir = try FixtureDir("missing")
        let path = dir.file("nope.wav")
        for e in [cueLoadError(path), cueLengthError(path)] {
            expectError(e, path, reasonContains: ["No such file or directory", "libsndfile error 2"]) {
                if case .missing = $0 { return true } else { return false }
            }
        }
        // A path through a regular file ("Not a directory") is missing too.
        let file = try dir.soxTone("a.wav", rate: 8_000, channels: 1)
        expectError(cueLoadError(file + "/x.wav"), file + "/x.wav", reasonContains: ["Not a directory"]) {
            if case .missing = $0 { return true } else { return false }
        }
        #expect(cueLoadError(path)?.description.hasPrefix("cue file \"\(path)\" not found:") == true)
    }

    @Test("an empty (0-byte) file, or a header without frames, is reported as empty")
    func load_emptyFile_throwsEmpty() throws {
        let dir = try FixtureDir("empty")
        let zero = try dir.write("zero.wav", bytes: [])
        for e in [cueLoadError(zero), cueLengthError(zero)] {
            expectError(e, zero, reasonContains: ["0 bytes", "Format not recognised"]) {
                if case .empty = $0 { return true } else { return false }
            }
        }
        let tone = try dir.soxTone("full.wav", rate: 16_000, channels: 1)
        let headerOnly = try dir.truncatedCopy(of: tone, to: "header-only.wav", bytes: 44)
        for e in [cueLoadError(headerOnly), cueLengthError(headerOnly)] {
            expectError(e, headerOnly, reasonContains: ["no audio frames", "16000 Hz"]) {
                if case .empty = $0 { return true } else { return false }
            }
        }
        // One frame at 192 kHz is nothing at 48 kHz.
        let blip = try Fixtures.writeInt16(dir.file("blip.wav"), [100], rate: 192_000, channels: 1)
        for e in [cueLoadError(blip), cueLengthError(blip)] {
            expectError(e, blip, reasonContains: ["less than one frame at 48000 Hz"]) {
                if case .empty = $0 { return true } else { return false }
            }
        }
    }

    @Test("a file cut inside its header is reported as truncated, with libsndfile's reason")
    func load_headerCut_throwsTruncated() throws {
        let dir = try FixtureDir("trunc")
        let tone = try dir.soxTone("full.wav", rate: 22_050, channels: 1)
        let cut = try dir.truncatedCopy(of: tone, to: "cut.wav", bytes: 20)
        for e in [cueLoadError(cut), cueLengthError(cut)] {
            expectError(e, cut, reasonContains: ["Malformed", "libsndfile error"]) {
                if case .truncated = $0 { return true } else { return false }
            }
        }
    }

    @Test("a FLAC file cut in its audio data fails at load with the decoder's reason")
    func load_flacDataCut_throwsTruncated() throws {
        let dir = try FixtureDir("truncflac")
        let tone = try dir.soxTone("full.flac", rate: 48_000, channels: 2, seconds: 1)
        let cut = try dir.truncatedCopy(of: tone, to: "cut.flac", bytes: 5_000)
        expectError(cueLoadError(cut), cut, reasonContains: ["decoding stopped after", "of 48000 frames", "libsndfile error"]) {
            if case .truncated = $0 { return true } else { return false }
        }
    }

    @Test("an Ogg stream cut short (length unknown) is reported as truncated by load and length")
    func load_oggCut_throwsTruncated() throws {
        let dir = try FixtureDir("truncogg")
        let tone = try dir.soxTone("full.ogg", rate: 44_100, channels: 2, seconds: 1, options: [])
        let cut = try dir.truncatedCopy(of: tone, to: "cut.ogg", bytes: 5_000)
        for e in [cueLoadError(cut), cueLengthError(cut)] {
            expectError(e, cut, reasonContains: ["cannot tell how long", "44100 Hz"]) {
                if case .truncated = $0 { return true } else { return false }
            }
        }
    }

    @Test("a WAV whose data is cut short loads what is there, at a consistent length")
    func load_wavDataCut_loadsRemainingFrames() throws {
        let dir = try FixtureDir("truncwav")
        let tone = try dir.soxTone("full.wav", rate: 22_050, channels: 1)
        let cut = try dir.truncatedCopy(of: tone, to: "cut.wav", bytes: 10_000)
        // libsndfile trusts the file size over the header's data size (espeak-ng --stdout
        // writes placeholder sizes), so this is a shorter, valid cue.
        let cue = try CueLoader.load(path: cut, outputRate: .standard, quality: .medium)
        #expect(cue.frames == (try CueLoader.length(path: cut, outputRate: .standard)))
        #expect(cue.frames.value == Int64((10_000 - 44) / 2) * 48_000 / 22_050)
    }

    @Test("a text file is reported as not audio, with libsndfile's reason")
    func load_textFile_throwsNotAudio() throws {
        let dir = try FixtureDir("text")
        let path = try dir.write("notes.wav", bytes: Array("Breathe in. Breathe out.\n".utf8))
        for e in [cueLoadError(path), cueLengthError(path)] {
            expectError(e, path, reasonContains: ["Format not recognised", "libsndfile error 1"]) {
                if case .notAudio = $0 { return true } else { return false }
            }
        }
    }

    @Test("unreadable paths (a directory, a symlink loop, mode 000) are reported as unreadable")
    func load_unreadable_throwsUnreadable() throws {
        let dir = try FixtureDir("unreadable")
        let folder = dir.file("folder.wav")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        for e in [cueLoadError(folder), cueLengthError(folder)] {
            expectError(e, folder, reasonContains: ["it is a directory, not a regular file"]) {
                if case .unreadable = $0 { return true } else { return false }
            }
        }

        let loop = dir.file("loop.wav")
        #expect(symlink(loop, loop) == 0)
        for e in [cueLoadError(loop), cueLengthError(loop)] {
            expectError(e, loop, reasonContains: ["Too many levels of symbolic links", "libsndfile error 2"]) {
                if case .unreadable = $0 { return true } else { return false }
            }
        }

        let locked = try dir.soxTone("locked.wav", rate: 8_000, channels: 1)
        #expect(chmod(locked, 0) == 0)
        // Root (CAP_DAC_OVERRIDE), as in the CI container, reads mode-000 files anyway: the
        // permission sub-case can only be checked when the process really cannot read it.
        if access(locked, R_OK) != 0 {
            expectError(cueLoadError(locked), locked, reasonContains: ["Permission denied"]) {
                if case .unreadable = $0 { return true } else { return false }
            }
        }
    }

    @Test("sample rates outside 8-192 kHz are refused, naming the rate and libsndfile's reading",
          arguments: [4_000, 7_999, 192_001, 384_000])
    func load_unsupportedRate_throws(_ rate: Int) throws {
        let dir = try FixtureDir("rate")
        let samples = Fixtures.sine(frequency: 440, rate: rate, frames: rate / 20, channels: 1)
        let path = try Fixtures.writeFloat(dir.file("rate-\(rate).wav"), samples, format: .wav16, rate: rate, channels: 1)
        #expect(try SndFile.info(path: path).sampleRate.hz == rate)
        for e in [cueLoadError(path), cueLengthError(path)] {
            expectError(e, path, reasonContains: ["libsndfile reads \(rate) Hz", "WAV", "16 bit PCM"]) {
                if case .unsupportedRate(_, let r, _) = $0 { return r == rate } else { return false }
            }
            #expect(e?.description.contains("8000-192000 Hz") == true)
        }
    }

    @Test("more than two channels are refused", arguments: [3, 6])
    func load_tooManyChannels_throws(_ channels: Int) throws {
        let dir = try FixtureDir("channels")
        let path = try dir.soxTone("ch\(channels).wav", rate: 48_000, channels: channels)
        for e in [cueLoadError(path), cueLengthError(path)] {
            expectError(e, path, reasonContains: ["\(channels) channel(s)"]) {
                if case .unsupportedChannels(_, let c, _) = $0 { return c == channels } else { return false }
            }
            #expect(e?.description.contains("mono or stereo") == true)
        }
    }

    @Test("a cue longer than ten minutes is refused from its header, before any decoding")
    func load_tooLong_throwsTooLong() throws {
        let dir = try FixtureDir("long")
        // A WAV header with a placeholder data size (as espeak-ng --stdout writes), over a sparse
        // file of 3700 s at 8 kHz mono: libsndfile takes the length from the file size.
        let path = try Fixtures.writeInt16(dir.file("long.wav"), [1, 2], rate: 8_000, channels: 1)
        let fd = open(path, O_RDWR)
        #expect(fd >= 0)
        var placeholder = UInt32(0x7fff_f024).littleEndian
        #expect(pwrite(fd, &placeholder, 4, 4) == 4)
        #expect(pwrite(fd, &placeholder, 4, 40) == 4)
        #expect(ftruncate(fd, off_t(44 + 8_000 * 2 * 3_700)) == 0)
        close(fd)
        #expect(try SndFile.info(path: path).frames == 8_000 * 3_700)
        for e in [cueLoadError(path), cueLengthError(path)] {
            expectError(e, path, reasonContains: ["29600000 frames at 8000 Hz"]) {
                if case .tooLong(_, let s, _) = $0 { return s == 3_700 } else { return false }
            }
            #expect(e?.description.contains("the limit is 600 s") == true)
        }
    }

    // MARK: SndFile

    @Test("SndFile.info reads the header and readFloat decodes every frame")
    func sndFile_infoAndReadFloat() throws {
        let dir = try FixtureDir("sndfile")
        let path = try dir.soxTone("i.flac", rate: 44_100, channels: 2, seconds: 0.5)
        let info = try SndFile.info(path: path)
        #expect(info == AudioFileInfo(frames: 22_050, sampleRate: SampleRate(44_100), channels: 2,
                                      format: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)))
        #expect(info.container == Int32(SF_FORMAT_FLAC))
        let (readInfo, samples) = try SndFile.readFloat(path: path)
        #expect(readInfo == info)
        #expect(samples.count == 44_100)
    }

    @Test("SndFileError names the file, libsndfile's text and code, and what to do")
    func sndFileError_description() {
        let e = #expect(throws: SndFileError.self) {
            _ = try SndFile.readFloat(path: "/nonexistent/cue.wav")
        }
        #expect(e?.code == 2 && e?.isSystemError == true && e?.path == "/nonexistent/cue.wav")
        #expect(e?.description == "cannot open audio file \"/nonexistent/cue.wav\": System error : No such file or "
            + "directory (libsndfile error 2). Check that the file exists and is readable.")
    }

    @Test("a LoadedCue can be made from samples in memory")
    func loadedCue_fromSamples() {
        let cue = LoadedCue(path: "builtin:tick", channels: 2, sampleRate: .standard, samples: [0.1, 0.2, 0.3, 0.4])
        #expect(cue.frames == FrameCount(2))
        // Kept at 16 bits: each value within half a step of the original.
        #expect(zip(cue.array, [Float(0.1), 0.2, 0.3, 0.4]).allSatisfy { abs($0 - $1) <= 0.5 / 32768 })
        #expect(Array(cue.pcm) == [3277, 6554, 9830, 13107])
    }
}
