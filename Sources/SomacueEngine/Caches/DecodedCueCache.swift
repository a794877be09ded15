import SomacueAudio
import SomacueCore
import SomacueLibrary
import SomacuePlatform
#if canImport(Glibc)
import Glibc
#endif

/// Decoded cues on disk: each cue at the output rate as 16-bit samples, exactly as the mixer
/// reads them, so a warm `start` maps the files instead of decoding (see `CueArena`).
///
/// One file per cue in `$XDG_CACHE_HOME/somacue/decoded/`, named by a hash of its key: the
/// source path, size and modification time, the output rate, the resampler quality and the
/// libsndfile and libsamplerate versions. Any of them changing gives another file, so a stale
/// entry is never read. A file is a 4096-byte header (magic, format version, the full key,
/// frames, channels, a checksum of the samples) followed by the samples, so the samples start
/// on a page boundary and can be mapped. Every entry is checked before use (header, key, size,
/// checksum); a damaged one is ignored and rebuilt. Entries are written to a temporary file and
/// renamed, never changed in place, so a mapped entry is never rewritten under the player.
public struct DecodedCueCache: Sendable {
    public let directory: String

    static let magic: [UInt8] = Array("somacue-pcm16\n\0\0".utf8)  // 16 bytes
    static let formatVersion: UInt32 = 1
    public static let headerBytes = 4096
    static let maximumKeyBytes = 3_000

    public init(directory: String) {
        self.directory = directory
    }

    /// `$XDG_CACHE_HOME/somacue/decoded`, or nil without a cache directory.
    public static var standard: DecodedCueCache? {
        Platform.cacheDirectory().map { DecodedCueCache(directory: $0 + "/decoded") }
    }

    /// The identity of a decoded cue: everything the samples depend on.
    public static func key(source: String, stamp: FileStamp, rate: SampleRate, quality: ResamplerQuality) -> String {
        "\(source)\n\(stamp.size)\n\(stamp.modified)\n\(rate.hz)\n\(quality.rawValue)\n\(CueLoader.decoderVersion)\n\(ResamplerQuality.libraryVersion)"
    }

    public func path(forKey key: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for b in key.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return directory + "/" + String(repeating: "0", count: 16 - hex.count) + hex + ".pcm"
    }

    /// Maps a valid entry for `key` over `slot` (page-aligned, `count` samples). False when there
    /// is no entry or it does not check out; `slot` is then left as it was.
    func map(key: String, frames: Int64, channels: Int, over slot: UnsafeMutableRawPointer, count: Int) -> Bool {
        let file = path(forKey: key)
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        let payload = count * 2
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) == Self.headerBytes + payload else { return false }
        var header = [UInt8](repeating: 0, count: Self.headerBytes)
        let got = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, Self.headerBytes, 0) }
        guard got == Self.headerBytes, let stored = Self.parseHeader(header), stored.key == key, stored.frames == frames,
              stored.channels == channels else { return false }
        guard payload > 0 else { return false }
        let mapped = mmap(slot, payload, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, off_t(Self.headerBytes))
        guard mapped == slot else { return false }
        if Self.checksum(UnsafeRawBufferPointer(start: slot, count: payload)) != stored.checksum { return false }
        return true
    }

    /// Writes an entry for `key` with `count` samples from `samples`. Failures are ignored (the
    /// cache only saves time).
    func store(key: String, frames: Int64, channels: Int, samples: UnsafeRawPointer, count: Int) {
        let keyBytes = Array(key.utf8)
        guard keyBytes.count <= Self.maximumKeyBytes else { return }
        let payload = count * 2
        let total = Self.headerBytes + payload
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        var w = 0
        func put(_ bytes: [UInt8]) { for b in bytes { buffer[w] = b; w += 1 } }
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { for b in $0 { buffer[w] = b; w += 1 } } }
        put(Self.magic)
        put(Self.formatVersion)
        put(UInt64(bitPattern: frames))
        put(UInt32(channels))
        let body = UnsafeRawBufferPointer(start: samples, count: payload)
        put(Self.checksum(body))
        put(UInt32(keyBytes.count))
        put(keyBytes)
        (buffer.baseAddress! + Self.headerBytes).copyMemory(from: samples, byteCount: payload)
        try? Platform.replaceFile(path(forKey: key), bytes: UnsafeRawBufferPointer(buffer))
    }

    struct Header {
        var frames: Int64
        var channels: Int
        var checksum: UInt64
        var key: String
    }

    static func parseHeader(_ h: [UInt8]) -> Header? {
        guard h.count == headerBytes, Array(h[0..<16]) == magic else { return nil }
        var r = 16
        func get<T: FixedWidthInteger>(_: T.Type) -> T {
            var v: T = 0
            withUnsafeMutableBytes(of: &v) { for i in 0..<MemoryLayout<T>.size { $0[i] = h[r + i] } }
            r += MemoryLayout<T>.size
            return T(littleEndian: v)
        }
        guard get(UInt32.self) == formatVersion else { return nil }
        let frames = Int64(bitPattern: get(UInt64.self))
        let channels = Int(get(UInt32.self))
        let sum = get(UInt64.self)
        let keyCount = Int(get(UInt32.self))
        guard keyCount <= maximumKeyBytes, r + keyCount <= headerBytes else { return nil }
        guard let key = String(validating: h[r..<(r + keyCount)], as: UTF8.self) else { return nil }
        return Header(frames: frames, channels: channels, checksum: sum, key: key)
    }

    /// A fast 64-bit checksum of the samples (8 bytes at a time; catches truncation, zeroed
    /// pages and bit rot, not an attacker).
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        let words = bytes.count / 8
        if let base = bytes.baseAddress {
            for i in 0..<words {
                h = (h ^ base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
                h ^= h >> 32
            }
            for i in (words * 8)..<bytes.count {
                h = (h ^ UInt64(base.load(fromByteOffset: i, as: UInt8.self))) &* 0xC4CE_B9FE_1A85_EC53
            }
        }
        return h
    }
}
