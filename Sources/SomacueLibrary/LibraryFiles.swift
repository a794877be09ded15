import SomacueCore
import SomacuePlatform

/// What the daemon's library was read from: every session and exercise file (shipped and the
/// user's) and every voice pack's manifest, each with its size and modification time.
///
/// The daemon compares a fresh scan with the one its library was read from before it answers
/// `start` and `sessions`; when any file was added, changed or removed it reads the library
/// again. A scan lists six folders and stats the files in them (no file is opened), so it is
/// cheap enough for the control loop; the re-read happens only after a change and parses the
/// small TOML files (each at most 1 MiB).
public struct LibraryFiles: Equatable, Sendable {
    /// Path -> stamp; a present file that is not a regular file (a FIFO, a device) has a stamp
    /// of size -1, so it is still seen (and skipped by the reader with a diagnostic).
    public private(set) var stamps: [String: FileStamp]

    public init(stamps: [String: FileStamp] = [:]) { self.stamps = stamps }

    public static func scan(paths: Paths) -> LibraryFiles {
        var stamps: [String: FileStamp] = [:]
        func add(_ path: String) {
            stamps[path] = Platform.stamp(path) ?? FileStamp(size: -1, modified: -1)
        }
        for dir in [paths.shippedExercises, paths.userExercises, paths.shippedSessions, paths.userSessions] {
            for name in Platform.listDirectory(dir) where name.hasSuffix(".toml") { add(dir + "/" + name) }
        }
        // Voice packs: a pack counts as changed when its manifest does (the generator and
        // `voice check --write` rewrite it whenever they touch the pack).
        let manifest = paths.defaultVoiceDir + "/manifest.toml"
        if Platform.exists(manifest) { add(manifest) }
        for dir in VoicePack.directories(paths: paths) {
            for name in Platform.listDirectory(dir) where Platform.exists("\(dir)/\(name)/manifest.toml") {
                add("\(dir)/\(name)/manifest.toml")
            }
        }
        return LibraryFiles(stamps: stamps)
    }

    /// The files added, changed or removed since `old`, sorted.
    public func changes(since old: LibraryFiles) -> [String] {
        var out: [String] = []
        for (path, stamp) in stamps where old.stamps[path] != stamp { out.append(path) }
        for path in old.stamps.keys where stamps[path] == nil { out.append(path) }
        return out.sorted()
    }
}
