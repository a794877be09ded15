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

extension LivePlayer {
    /// Reads the library again when a session, exercise or voice manifest was added, changed or
    /// removed since it was last read. A broken file is skipped and logged with its diagnostics;
    /// the others stay available. The configuration is not touched (that takes `reload`).
    /// Returns whether anything changed.
    @discardableResult
    public func refreshLibrary() -> Bool {
        let now = LibraryFiles.scan(paths: paths)
        let changed = now.changes(since: libraryFiles)
        guard !changed.isEmpty else { return false }
        libraryFiles = now
        let fresh = Library.load(paths: paths)
        let touched = Set(changed)
        for d in fresh.diagnostics where touched.contains(d.file) { log("library: \(d)") }
        let skipped = Set(fresh.diagnostics.filter { $0.severity == .error }.map(\.file)).intersection(touched)
        adoptLibrary(fresh)
        var line = "library: \(changed.count) file\(changed.count == 1 ? "" : "s") added, changed or removed ("
            + changed.map(Platform.basename).joined(separator: ", ") + "); \(fresh.sessions.count) sessions, \(fresh.exercises.count) exercises"
        if !skipped.isEmpty { line += "; skipped as broken: " + skipped.sorted().map(Platform.basename).joined(separator: ", ") }
        log(line)
        return true
    }
}
