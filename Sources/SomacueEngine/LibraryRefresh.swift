import SomacueCore
import SomacueLibrary
import SomacuePlatform

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
