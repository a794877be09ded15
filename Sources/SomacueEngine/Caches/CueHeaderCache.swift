import SomacueAudio
import SomacueCore
import SomacuePlatform
import Synchronization

/// Every cue file's header (frames, sample rate, channels, format), keyed by path, size and
/// modification time, so that listing sessions, planning a timeline and checking a `start` need
/// no decoder: a hit costs one `stat`. The cache is authoritative for a file whose size and
/// modification time are unchanged; anything else is read from the file again.
///
/// Kept in memory for the life of the process and persisted in
/// `$XDG_CACHE_HOME/somacue/cue-headers` (a small text file, replaced atomically), so a fresh
/// `somacue sessions` starts warm. A missing, unreadable or damaged cache file is ignored and
/// rebuilt; a line that does not parse is dropped. Only headers that passed
/// `CueLoader.header`'s checks are kept.
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
    }

    /// The cache file, or nil for an in-memory cache.
    public let file: String?
    private let state = Mutex(State())

    static let magic = "somacue-cue-headers 1"
    /// Beyond this many entries, a save keeps only those this process used.
    static let maximumEntries = 20_000
    /// A cache file larger than this is not read (it is rebuilt).
    static let maximumFileBytes: Int64 = 4 << 20

    public init(file: String?) {
        self.file = file
    }

    /// The process-wide cache, persisted under the user's cache directory.
    public static let shared = CueHeaderCache(file: Platform.cacheDirectory().map { $0 + "/cue-headers" })

    /// The header of `path`: from the cache when the file's size and modification time match,
    /// else read from the file (and remembered). Throws what `CueLoader.header` throws.
    public func header(path: String) throws(CueLoadError) -> AudioFileInfo {
        let stamp = Platform.stamp(path)
        if let stamp {
            let hit: AudioFileInfo? = state.withLock { s in
                loadIfNeeded(&s)
                guard var e = s.entries[path], e.stamp == stamp else { return nil }
                e.used = true
                s.entries[path] = e
                return e.info
            }
            if let hit { return hit }
        }
        let info = try CueLoader.header(path: path)
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
    public func length(path: String, rate: SampleRate) throws(CueLoadError) -> FrameCount {
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

    /// Entries from a cache file; anything malformed is skipped.
    static func parse(_ text: String) -> [String: Entry] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)[...]
        guard lines.first == Substring(magic) else { return [:] }
        lines = lines.dropFirst()
        var out: [String: Entry] = [:]
        for line in lines {
            let f = line.split(separator: "\t", maxSplits: 6, omittingEmptySubsequences: false)
            guard f.count == 7, let size = Int64(f[0]), let modified = Int64(f[1]), let frames = Int64(f[2]),
                  let rate = Int(f[3]), let channels = Int(f[4]), let format = Int32(f[5]),
                  size >= 0, frames > 0, SampleRate.supported.contains(rate), (1...2).contains(channels),
                  frames / Int64(rate) <= Int64(CueLoader.maximumSeconds),
                  f[6].hasPrefix("/") else { continue }
            out[String(f[6])] = Entry(stamp: FileStamp(size: size, modified: modified),
                                      info: AudioFileInfo(frames: frames, sampleRate: SampleRate(rate), channels: channels, format: format),
                                      used: false)
        }
        return out
    }
}
