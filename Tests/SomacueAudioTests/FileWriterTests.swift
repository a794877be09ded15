import CSndFile
import Foundation
import SomacueAudio
import SomacueCore
import Testing

/// Reads a file back as Int16 with libsndfile (`sf_readf_short`), for exactness checks that do
/// not depend on the float normalisation.
func readInt16(_ path: String) throws -> (info: SF_INFO, samples: [Int16]) {
    var info = SF_INFO()
    guard let f = sf_open(path, Int32(SFM_READ), &info) else {
        throw FixtureError("sf_open(\(path)): \(String(cString: sf_strerror(nil)))")
    }
    defer { sf_close(f) }
    var samples = [Int16](repeating: 0, count: Int(info.frames) * Int(info.channels))
    let got = samples.withUnsafeMutableBufferPointer { sf_readf_short(f, $0.baseAddress, info.frames) }
    guard got == info.frames else { throw FixtureError("read \(got) of \(info.frames) frames") }
    return (info, samples)
}

@Suite("Audio file writer")
struct FileWriterTests {
    @Test("the output format follows the extension, case-insensitively")
    func outputFormat_fromPath() {
        #expect(OutputFileFormat(path: "out.wav", float: false) == .wav16)
        #expect(OutputFileFormat(path: "out.WAV", float: true) == .wavFloat)
        #expect(OutputFileFormat(path: "/tmp/x.y/out.Flac", float: false) == .flac)
        #expect(OutputFileFormat(path: "out.flac", float: true) == .flac)
        #expect(OutputFileFormat(path: "a.OGG", float: false) == .oggVorbis)
        #expect(OutputFileFormat(path: "a.opus", float: false) == .opus)
        #expect(OutputFileFormat(path: "a.mp3", float: false) == nil)
        #expect(OutputFileFormat(path: "wav", float: false) == nil)
        #expect(OutputFileFormat(path: ".wav", float: false) == nil, "a hidden file named .wav has no extension")
        #expect(OutputFileFormat(path: "dir.wav/out", float: false) == nil)
        #expect(OutputFileFormat.wav16.isExact16Bit && OutputFileFormat.flac.isExact16Bit)
        #expect(!OutputFileFormat.oggVorbis.isExact16Bit)
    }

    @Test("Int16 samples survive a 16-bit WAV or FLAC round trip bit for bit",
          arguments: [(OutputFileFormat.wav16, "wav"), (.flac, "flac")], [1, 2])
    func write_int16_roundTripIsBitExact(_ format: (OutputFileFormat, String), _ channels: Int) throws {
        let dir = try FixtureDir("w16")
        let path = dir.file("render.\(format.1)")
        let pattern = Fixtures.int16Pattern(frames: 48_013, channels: channels)
        let w = try AudioFileWriter(path: path, format: format.0, sampleRate: .standard, channels: channels)
        // Several blocks of odd sizes, as the renderer writes them.
        var offset = 0
        var block = 1
        while offset < pattern.count {
            let n = min(block * channels, pattern.count - offset)
            try pattern[offset..<(offset + n)].withUnsafeBufferPointer { try w.write($0) }
            offset += n
            block = block * 3 % 4_099 + 1
        }
        #expect(w.framesWritten == 48_013)
        try w.close()
        try w.close()  // a second close does nothing

        let (info, back) = try readInt16(path)
        #expect(info.samplerate == 48_000)
        #expect(Int(info.channels) == channels)
        #expect(info.format == format.0.sndfileFormat)
        #expect(back == pattern)
    }

    @Test("32-bit float WAV keeps float samples exactly")
    func write_wavFloat_roundTripIsExact() throws {
        let dir = try FixtureDir("wf")
        var samples = Fixtures.sine(frequency: 1_234.5, rate: 44_100, frames: 10_000, channels: 2, amplitude: 0.9)
        samples[0] = 1.25  // float files may exceed full scale
        samples[1] = -1e-30
        samples[2] = .leastNonzeroMagnitude
        let path = try Fixtures.writeFloat(dir.file("f.wav"), samples, format: .wavFloat, rate: 44_100, channels: 2)
        let (info, back) = try SndFile.readFloat(path: path)
        #expect(info.sampleRate.hz == 44_100 && info.channels == 2)
        #expect(info.format == Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT))
        #expect(back == samples)
    }

    @Test("Float samples written to 16-bit WAV are scaled by 32767 and clipped, not wrapped")
    func write_floatTo16Bit_clips() throws {
        let dir = try FixtureDir("clip")
        let path = try Fixtures.writeFloat(dir.file("c.wav"), [0, 0.5, -0.5, 1, -1, 1.5, -3], format: .wav16,
                                           rate: 48_000, channels: 1)
        let (_, back) = try readInt16(path)
        #expect(back[0] == 0)
        #expect(abs(Int(back[1]) - 16_384) <= 1)
        #expect(abs(Int(back[2]) + 16_384) <= 1)
        #expect(back[3] == 32_767)
        #expect(back[5] == 32_767)
        #expect(back[6] <= -32_767)
    }

    @Test("Ogg Vorbis and Opus files read back with the right rate, channels and length",
          arguments: [(OutputFileFormat.oggVorbis, "ogg", 44_100, 1), (.oggVorbis, "ogg", 48_000, 2),
                      (.opus, "opus", 48_000, 1), (.opus, "opus", 48_000, 2)])
    func write_lossy_readsBack(_ format: OutputFileFormat, _ ext: String, _ rate: Int, _ channels: Int) throws {
        let dir = try FixtureDir("lossy")
        let frames = rate * 3 / 2
        let samples = Fixtures.sine(frequency: 440, rate: rate, frames: frames, channels: channels)
        let path = try Fixtures.writeFloat(dir.file("out.\(ext)"), samples, format: format, rate: rate, channels: channels)
        let info = try SndFile.info(path: path)
        #expect(info.sampleRate.hz == rate)
        #expect(info.channels == channels)
        #expect(info.format == format.sndfileFormat)
        #expect(abs(info.frames - Int64(frames)) <= Int64(rate / 50), "\(info.frames) frames for \(frames) written")
        let (_, decoded) = try SndFile.readFloat(path: path)
        let level = Fixtures.rms(decoded[(decoded.count / 4)..<(3 * decoded.count / 4)])
        #expect(abs(level - 0.3536) < 0.02, "rms \(level)")
        // The Int16 entry point works for lossy formats too.
        let w = try AudioFileWriter(path: dir.file("ints.\(ext)"), format: format, sampleRate: SampleRate(rate), channels: channels)
        let ints = [Int16](repeating: 1_000, count: 960 * channels)
        try ints.withUnsafeBufferPointer { try w.write($0) }
        try w.close()
        #expect(try SndFile.info(path: dir.file("ints.\(ext)")).channels == channels)
    }

    @Test("Opus at 44.1 kHz is refused with a clear error before any file is made")
    func write_opusAt44k_isRefused() throws {
        let dir = try FixtureDir("opus44")
        let path = dir.file("out.opus")
        let e = #expect(throws: SndFileError.self) {
            _ = try AudioFileWriter(path: path, format: .opus, sampleRate: SampleRate(44_100), channels: 2)
        }
        #expect(e?.operation == .openForWriting && e?.path == path)
        #expect(e?.description.contains("\"\(path)\"") == true)
        #expect(e?.description.contains("48000 Hz") == true && e?.description.contains("44100 Hz") == true)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("a file in a missing directory fails with the system's reason and the path")
    func write_missingDirectory_throws() throws {
        let dir = try FixtureDir("nodir")
        let path = dir.file("no/such/dir/out.wav")
        let e = #expect(throws: SndFileError.self) {
            _ = try AudioFileWriter(path: path, format: .wav16, sampleRate: .standard, channels: 2)
        }
        #expect(e?.isSystemError == true && e?.operation == .openForWriting)
        #expect(e?.description == "cannot create audio file \"\(path)\": No such file or directory. Check that the directory exists and is writable.")
    }

    @Test("a full disk is reported on write or close, naming the file")
    func write_fullDisk_throws() throws {
        // /dev/full accepts open and fails every write with ENOSPC.
        try #require(FileManager.default.fileExists(atPath: "/dev/full"))
        // libsndfile writes the WAV header at open, so the error may come from init.
        let block = [Int16](repeating: 7, count: 65_536 * 2)
        var failure: SndFileError?
        do {
            let w = try AudioFileWriter(path: "/dev/full", format: .wav16, sampleRate: .standard, channels: 2)
            for _ in 0..<4 { try block.withUnsafeBufferPointer { try w.write($0) } }
            try w.close()
        } catch {
            failure = error as? SndFileError
        }
        let e = try #require(failure)
        #expect(e.path == "/dev/full")
        #expect(e.description.contains("\"/dev/full\""))
        #expect(e.description.contains("No space left on device"))
    }
}
