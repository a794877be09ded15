import SomacueCore
import SomacuePlatform
import Synchronization

/// Why a cue file's header could not be had: the reader's words (`CueLoadError`'s text), or, for
/// a cache without a reader, that the cache does not know the file as it is now.
public struct CueHeaderError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads one file's header (the engine's, with libsndfile: `CueLoader.header`).
public typealias CueHeaderReader = @Sendable (_ path: String) throws(CueHeaderError) -> AudioFileInfo

/// Every cue file's header (frames, sample rate, channels, format), keyed by path, size and
/// modification time, so that listing sessions, planning a timeline and checking a `start` need
/// no decoder: a hit costs one `stat`. The cache is authoritative for a file whose size and
/// modification time are unchanged; anything else is read from the file again by the `reader`.
///
/// Kept in memory for the life of the process and persisted in
/// `$XDG_CACHE_HOME/somacue/cue-headers` (a small text file, replaced atomically), so a fresh
/// `somacue sessions` starts warm. A missing, unreadable or damaged cache file is ignored and
/// rebuilt; a line that does not parse is dropped. Only headers that passed
/// `CueLoader.header`'s checks are kept.
///
/// Without a reader (the light `somacue`, which links no audio library) a file the cache does not
/// know as it is now is a miss: `header` throws and `missed` turns true, and the caller hands
/// the whole command to somacued, which reads the header and fills the cache. A length is never
/// guessed.
public final class CueHeaderCache: Sendable {
    struct Entry {
        var stamp: FileStamp
        var info: AudioFileInfo
        var used: Bool
    }

    struct State {
        var entries: [String: Entry] = [:]
        var loaded = false
        var dirty = false
        var missed = false
    }

    /// The cache file, or nil for an in-memory cache.
    public let file: String?
    let reader: CueHeaderReader?
    private let state = Mutex(State())

    static let magic = "somacue-cue-headers 1"
    /// Beyond this many entries, a save keeps only those this process used.
    static let maximumEntries = 20_000
    /// A cache file larger than this is not read (it is rebuilt).
    static let maximumFileBytes: Int64 = 4 << 20

    public init(file: String?, reader: CueHeaderReader?) {
        self.file = file
        self.reader = reader
    }

    /// The persisted cache's file, under the user's cache directory (nil without
    /// `$XDG_CACHE_HOME` and `$HOME`).
    public static var defaultFile: String? { Platform.cacheDirectory().map { $0 + "/cue-headers" } }

    /// Whether a header was asked for that this cache, having no reader, did not have (or
    /// something else that only the engine can do was needed: `noteMiss`).
    public var missed: Bool { state.withLock { $0.missed } }

    /// Records that the command needs what only the engine can do.
    public func noteMiss() { state.withLock { $0.missed = true } }

    /// The header of `path`: from the cache when the file's size and modification time match,
    /// else read from the file by the reader (and remembered). Throws what the reader throws;
    /// without a reader, a miss.
    public func header(path: String) throws(CueHeaderError) -> AudioFileInfo {
        let stamp = Platform.stamp(path)
        if let stamp {
            let hit: AudioFileInfo? = state.withLock { s in
                loadIfNeeded(&s)
                guard var e = s.entries[path], e.stamp == stamp else { return nil }
                if !e.used {
                    e.used = true
                    s.entries[path] = e
                }
                return e.info
            }
            if let hit { return hit }
        }
        guard let reader else {
            state.withLock { $0.missed = true }
            throw CueHeaderError("\(path): not in the cue-header cache")
        }
        let info = try reader(path)
        // Only a file that is still the one we read (same stamp after the read) is cached.
        if let stamp, Platform.stamp(path) == stamp, !path.contains("\n") {
            state.withLock { s in
                s.entries[path] = Entry(stamp: stamp, info: info, used: true)
                s.dirty = true
            }
        }
        return info
    }

    /// The length of `path` at `rate`, from its header: floor(frames x rate / file rate).
    public func length(path: String, rate: SampleRate) throws(CueHeaderError) -> FrameCount {
        let info = try header(path: path)
        return rate.convertedLength(sourceFrames: info.frames, sourceRate: info.sampleRate)
    }

    /// Writes the cache file if anything changed. Failures are ignored: the cache only saves
    /// time, and the next run rebuilds it.
    public func save() {
        guard let file else { return }
        let text: String? = state.withLock { s in
            guard s.dirty else { return nil }
            s.dirty = false
            var entries = s.entries
            if entries.count > Self.maximumEntries { entries = entries.filter { $0.value.used } }
            var out = Self.magic + "\n"
            for (path, e) in entries.sorted(by: { $0.key < $1.key }) {
                out += "\(e.stamp.size)\t\(e.stamp.modified)\t\(e.info.frames)\t\(e.info.sampleRate.hz)\t\(e.info.channels)\t\(e.info.format)\t\(path)\n"
            }
            return out
        }
        guard var text else { return }
        text.withUTF8 { bytes in
            try? Platform.replaceFile(file, bytes: UnsafeRawBufferPointer(bytes))
        }
    }

    /// Forgets everything (tests).
    public func clear() {
        state.withLock { s in
            s.entries = [:]
            s.loaded = true
            s.dirty = true
        }
    }

    private func loadIfNeeded(_ s: inout State) {
        guard !s.loaded else { return }
        s.loaded = true
        guard let file, let stamp = Platform.stamp(file), stamp.size <= Self.maximumFileBytes,
              let text = try? Platform.readFile(file, maxBytes: Int(Self.maximumFileBytes)) else { return }
        s.entries = Self.parse(text)
    }

    /// Entries from a cache file; anything malformed is skipped. Works on the UTF-8 bytes (one
    /// pass, no substrings): `sessions` and `timeline` read this file on every run.
    static func parse(_ text: String) -> [String: Entry] {
        var text = text
        return text.withUTF8 { bytes in
            var out: [String: Entry] = [:]
            var lineStart = 0
            var sawMagic = false
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd])
                lineStart = lineEnd + 1
                if line.isEmpty { continue }
                if !sawMagic {
                    guard line.elementsEqual(magic.utf8) else { return [:] }
                    sawMagic = true
                    continue
                }
                if let (path, entry) = parseLine(line) { out[path] = entry }
            }
            return out
        }
    }

    /// `size TAB modified TAB frames TAB rate TAB channels TAB format TAB path`.
    static func parseLine(_ line: UnsafeBufferPointer<UInt8>) -> (String, Entry)? {
        var i = 0
        // A decimal integer (optionally signed) and the tab after it.
        func field() -> Int64? {
            var negative = false
            if i < line.count, line[i] == UInt8(ascii: "-") || line[i] == UInt8(ascii: "+") {
                negative = line[i] == UInt8(ascii: "-")
                i += 1
            }
            let digits = i
            var value: Int64 = 0
            while i < line.count, line[i] != UInt8(ascii: "\t") {
                let d = line[i] &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(d))
                guard !o1, !o2 else { return nil }
                value = a
                i += 1
            }
            guard i > digits, i < line.count else { return nil }
            i += 1
            return negative ? -value : value
        }
        guard let size = field(), let modified = field(), let frames = field(), let rate64 = field(),
              let channels64 = field(), let format64 = field(), let format = Int32(exactly: format64) else { return nil }
        let rate = Int(rate64), channels = Int(channels64)
        let path = String(decoding: UnsafeBufferPointer(rebasing: line[i...]), as: UTF8.self)
        guard size >= 0, frames > 0, SampleRate.supported.contains(rate), (1...2).contains(channels),
              frames / Int64(rate) <= Int64(AudioFileInfo.maximumCueSeconds),
              path.hasPrefix("/") else { return nil }
        return (path, Entry(stamp: FileStamp(size: size, modified: modified),
                            info: AudioFileInfo(frames: frames, sampleRate: SampleRate(rate), channels: channels, format: format),
                            used: false))
    }
}
