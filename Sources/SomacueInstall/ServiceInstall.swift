#if canImport(Glibc)
import Glibc
#endif
import SomacuePlatform

// `somacue service install` and `uninstall`: copies the binaries, the shipped data, the systemd
// user units, shell completions and man pages into their places, and records every file and
// folder it created in a manifest, so that uninstall removes exactly that and nothing of the
// user's. Glibc-level only (through SomacuePlatform): the light somacue links no audio library.

/// Where things go. All paths are absolute.
public struct InstallLayout: Sendable, Equatable {
    public var prefix: String
    public var configHome: String
    public var dataHome: String

    public var binDir: String { prefix + "/bin" }
    public var shareDir: String { prefix + "/share/somacue" }
    public var manDir: String { prefix + "/share/man" }
    public var unitDir: String { configHome + "/systemd/user" }
    public var manifest: String { shareDir + "/install-manifest.txt" }
    public var bashCompletion: String { dataHome + "/bash-completion/completions/somacue" }
    public var zshCompletion: String { dataHome + "/zsh/site-functions/_somacue" }
    public var fishCompletion: String { configHome + "/fish/completions/somacue.fish" }
    /// D-Bus activation files (the MPRIS name), where the session bus looks for them.
    public var dbusServiceDir: String { dataHome + "/dbus-1/services" }

    /// `--prefix DIR` (default `~/.local`), `$XDG_CONFIG_HOME` (default `~/.config`),
    /// `$XDG_DATA_HOME` (default `~/.local/share`).
    public static func current(prefix: String?) -> Result<InstallLayout, InstallError> {
        guard let home = Platform.env("HOME"), home.hasPrefix("/") else {
            return .failure(InstallError("HOME is not set to an absolute path; set it (the units go to ~/.config/systemd/user)", status: ExitStatus.usage))
        }
        // HOME is absolute, so the base directories are known.
        func xdg(_ kind: Platform.BaseDirectory) -> String { trimmed(Platform.baseDirectory(kind) ?? home) }
        let chosen = prefix.map { trimmed(Platform.absolute($0)) } ?? home + "/.local"
        return .success(InstallLayout(prefix: chosen, configHome: xdg(.config), dataHome: xdg(.data)))
    }

    static func trimmed(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }
}

public struct InstallError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var status: Int32
    public init(_ message: String, status: Int32) {
        self.message = message
        self.status = status
    }
    public var description: String { message }
}

/// One file to put in place.
struct InstallItem {
    var source: String
    var destination: String
    var mode: mode_t
    /// The bytes to write (the source's, or a unit with its ExecStart rewritten).
    var bytes: [UInt8]
}

/// What a previous install recorded: files with the fingerprint of what was written, and the
/// folders it created.
struct Manifest: Equatable {
    var files: [String: UInt64] = [:]
    var directories: [String] = []

    static let header = "# somacue service install: files and folders it created (uninstall removes exactly these)"

    var text: String {
        var lines = [Self.header]
        for d in directories { lines.append("d " + d) }
        for (path, hash) in files.sorted(by: { $0.key < $1.key }) {
            lines.append("f " + String(hash, radix: 16) + " " + path)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func parse(_ text: String) -> Manifest {
        var m = Manifest()
        for line in text.split(separator: "\n") {
            if line.hasPrefix("d /") {
                m.directories.append(String(line.dropFirst(2)))
            } else if line.hasPrefix("f ") {
                let parts = line.dropFirst(2).split(separator: " ", maxSplits: 1)
                if parts.count == 2, let hash = UInt64(parts[0], radix: 16), parts[1].hasPrefix("/") {
                    m.files[String(parts[1])] = hash
                }
            }
        }
        return m
    }

    static func read(_ path: String) -> Manifest? {
        guard let text = try? Platform.readFile(path) else { return nil }
        return parse(text)
    }
}

public enum ServiceInstaller {
    /// The unit files the repository ships in `systemd/`.
    public static let unitNames = ["somacued.service", "somacued.socket"]
    /// Top-level entries of the data folder copied into PREFIX/share/somacue.
    static let dataEntries = ["sessions", "exercises", "cues", "voices", "config.toml", "systemd", "completions", "man"]

    /// Installs (or refreshes) everything. `force` replaces files somacue did not install.
    /// Returns the lines to print.
    public static func install(layout: InstallLayout, force: Bool, enable: Bool) -> Result<[String], InstallError> {
        let exe = Platform.executablePath() ?? "somacue"
        let binSource = Platform.dirname(exe)
        guard Platform.fileType(binSource + "/somacued") == .regular else {
            return .failure(InstallError("cannot install: somacued is not next to \(exe); build both (`swift build -c release`) and run the somacue beside it", status: ExitStatus.noInput))
        }
        let dataSource: String
        switch DataDirectory.locate() {
        case .success(let dir): dataSource = dir
        case .failure(let notFound): return .failure(InstallError("cannot install: \(notFound)", status: ExitStatus.noInput))
        }
        for unit in unitNames where Platform.fileType(dataSource + "/systemd/" + unit) != .regular {
            return .failure(InstallError("cannot install: \(dataSource)/systemd/\(unit) is missing (the data folder must hold the units)", status: ExitStatus.noInput))
        }

        var items: [InstallItem] = []
        do throws(Platform.IOError) {
            for name in ["somacue", "somacued"] {
                let src = binSource + "/" + name
                items.append(InstallItem(source: src, destination: layout.binDir + "/" + name, mode: 0o755, bytes: try Platform.readBytes(src)))
            }
            for entry in dataEntries {
                let src = dataSource + "/" + entry
                switch Platform.fileType(src) {
                case .regular?:
                    items.append(InstallItem(source: src, destination: layout.shareDir + "/" + entry, mode: 0o644, bytes: try Platform.readBytes(src)))
                case .directory?:
                    for rel in walk(src) {
                        let file = src + "/" + rel
                        let executable = access(file, X_OK) == 0
                        items.append(InstallItem(source: file, destination: layout.shareDir + "/" + entry + "/" + rel,
                                                 mode: executable ? 0o755 : 0o644, bytes: try Platform.readBytes(file)))
                    }
                default:
                    continue
                }
            }
            for unit in unitNames {
                let src = dataSource + "/systemd/" + unit
                let text = try Platform.readFile(src)
                items.append(InstallItem(source: src, destination: layout.unitDir + "/" + unit, mode: 0o644,
                                         bytes: Array(unitText(text, binDir: layout.binDir).utf8)))
            }
            // D-Bus activation files shipped in systemd/, with Exec= naming the installed somacued.
            for name in Platform.listDirectory(dataSource + "/systemd") where name.hasSuffix(".service") && !unitNames.contains(name) {
                let src = dataSource + "/systemd/" + name
                let text = try Platform.readFile(src)
                guard text.contains("[D-BUS Service]") else { continue }
                items.append(InstallItem(source: src, destination: layout.dbusServiceDir + "/" + name, mode: 0o644,
                                         bytes: Array(dbusServiceText(text, binDir: layout.binDir).utf8)))
            }
            for (name, destination) in completionFiles(layout) {
                let src = dataSource + "/completions/" + name
                if Platform.fileType(src) == .regular {
                    items.append(InstallItem(source: src, destination: destination, mode: 0o644, bytes: try Platform.readBytes(src)))
                }
            }
            for page in Platform.listDirectory(dataSource + "/man") {
                guard let section = page.split(separator: ".").last, section == "1" || section == "5" else { continue }
                let src = dataSource + "/man/" + page
                guard Platform.fileType(src) == .regular else { continue }
                items.append(InstallItem(source: src, destination: layout.manDir + "/man\(section)/" + page, mode: 0o644,
                                         bytes: try Platform.readBytes(src)))
            }
        } catch {
            return .failure(InstallError("cannot install: cannot read \(error)", status: ExitStatus.noInput))
        }

        let previous = Manifest.read(layout.manifest) ?? Manifest()
        // Refuse to replace what somacue did not put there, unless asked to.
        var foreign: [String] = []
        for item in items {
            guard let existing = try? Platform.readBytes(item.destination) else { continue }
            let hash = Platform.fingerprint(existing)
            if Platform.sameBytes(existing, item.bytes) || previous.files[item.destination] == hash { continue }
            foreign.append(item.destination)
        }
        if !foreign.isEmpty && !force {
            return .failure(InstallError("cannot install: these files exist and were not installed by somacue (or were changed since):\n"
                + foreign.map { "  " + $0 }.joined(separator: "\n")
                + "\nmove them away, or run `somacue service install --force` to replace them", status: ExitStatus.cannotCreate))
        }

        var manifest = Manifest()
        manifest.directories = previous.directories
        var written = 0
        do throws(Platform.IOError) {
            for item in items {
                try makeDirectories(Platform.dirname(item.destination), recordingIn: &manifest)
                let same = (try? Platform.readBytes(item.destination)).map { Platform.sameBytes($0, item.bytes) } == true && currentMode(item.destination) == item.mode
                if !same {
                    try Platform.writeAtomically(item.destination, item.bytes, mode: item.mode)
                    written += 1
                }
                manifest.files[item.destination] = Platform.fingerprint(item.bytes)
            }
            // Files of an earlier install that this one no longer ships (unless the user changed them).
            for (path, hash) in previous.files where manifest.files[path] == nil {
                if let bytes = try? Platform.readBytes(path), Platform.fingerprint(bytes) == hash { Platform.removeFile(path) }
            }
            try makeDirectories(layout.shareDir, recordingIn: &manifest)
            try Platform.writeAtomically(layout.manifest, Array(manifest.text.utf8), mode: 0o644)
        } catch {
            return .failure(InstallError("cannot install: cannot write \(error)", status: ExitStatus.cannotCreate))
        }

        var lines = ["Installed somacue into \(layout.prefix) (\(items.count) files, \(written) changed): binaries in \(layout.binDir), data in \(layout.shareDir), units in \(layout.unitDir)."]
        let pathDirs = (Platform.env("PATH") ?? "").split(separator: ":").map(String.init)
        if !pathDirs.contains(layout.binDir) { lines.append("Note: \(layout.binDir) is not on your PATH; add it to use `somacue` from anywhere.") }
        let commands = ["systemctl --user daemon-reload", "systemctl --user enable --now somacued.socket"]
        if enable {
            guard let systemctl = Platform.findExecutable("systemctl", besides: nil), userManagerAnswers(systemctl) else {
                lines.append("No systemd user manager answers, so nothing was enabled; on a machine with one, run:")
                lines += commands.map { "  " + $0 }
                return .success(lines)
            }
            for command in commands {
                let args = Array(command.split(separator: " ").dropFirst().map(String.init))
                guard Platform.runAndWait(systemctl, args) == 0 else {
                    return .failure(InstallError("installed, but `\(command)` failed; see `systemctl --user status somacued.socket`", status: ExitStatus.unavailable))
                }
            }
            lines.append("Enabled: somacued starts when a client first connects (`somacue start SESSION`).")
        } else {
            lines.append("To run somacued as a systemd user service (started when a client first connects):")
            lines += commands.map { "  " + $0 }
            lines.append("(`somacue service install --enable` runs these for you.)")
        }
        return .success(lines)
    }

    /// Removes exactly what the manifest lists: files only while they are unchanged, folders
    /// only when empty. Nothing of the user's (config, own sessions, voices, state) is in it.
    public static func uninstall(layout: InstallLayout) -> Result<[String], InstallError> {
        guard let manifest = Manifest.read(layout.manifest) else {
            return .success(["Nothing to uninstall: no somacue install under \(layout.prefix) (\(layout.manifest) is missing)."])
        }
        var lines: [String] = []
        let unitsInstalled = unitNames.contains { manifest.files[layout.unitDir + "/" + $0] != nil }
        if unitsInstalled, let systemctl = Platform.findExecutable("systemctl", besides: nil), userManagerAnswers(systemctl) {
            _ = Platform.runAndWait(systemctl, ["--user", "disable", "--now", "somacued.socket", "somacued.service"], quiet: true)
        }
        var kept: [String] = []
        var removed = 0
        for (path, hash) in manifest.files.sorted(by: { $0.key < $1.key }) where path != layout.manifest {
            guard let bytes = try? Platform.readBytes(path) else { continue }
            if Platform.fingerprint(bytes) == hash {
                if Platform.removeFile(path) { removed += 1 }
            } else {
                kept.append(path)
            }
        }
        Platform.removeFile(layout.manifest)
        // Deepest first, and only the empty ones: a folder that now holds the user's files stays.
        for dir in manifest.directories.sorted(by: { $0.count > $1.count }) { Platform.removeEmptyDirectory(dir) }
        if unitsInstalled, let systemctl = Platform.findExecutable("systemctl", besides: nil), userManagerAnswers(systemctl) {
            _ = Platform.runAndWait(systemctl, ["--user", "daemon-reload"], quiet: true)
        }
        lines.append("Removed somacue from \(layout.prefix) (\(removed) files). Your config, sessions, voices and history are untouched.")
        if !kept.isEmpty {
            lines.append("Kept, because they were changed after the install:")
            lines += kept.map { "  " + $0 }
        }
        return .success(lines)
    }

    /// The shipped unit with `ExecStart=` pointing at the installed somacued.
    static func unitText(_ text: String, binDir: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.hasPrefix("ExecStart=") else { return String(line) }
            let command = line.dropFirst("ExecStart=".count)
            let words = command.split(separator: " ", maxSplits: 1)
            guard let program = words.first, Platform.basename(String(program)) == "somacued" else { return String(line) }
            return "ExecStart=" + binDir + "/somacued" + (words.count > 1 ? " " + words[1] : "")
        }.joined(separator: "\n")
    }

    /// A D-Bus activation file with `Exec=` starting the installed somacued.
    static func dbusServiceText(_ text: String, binDir: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            line.hasPrefix("Exec=") && line.contains("somacued") ? "Exec=" + binDir + "/somacued serve" : String(line)
        }.joined(separator: "\n")
    }

    /// Completion files in the repository's `completions/` and where each goes.
    static func completionFiles(_ layout: InstallLayout) -> [(String, String)] {
        [("somacue.bash", layout.bashCompletion), ("_somacue", layout.zshCompletion), ("somacue.fish", layout.fishCompletion)]
    }

    /// Files under `root`, relative, sorted; hidden entries and Python caches are skipped.
    static func walk(_ root: String, _ prefix: String = "") -> [String] {
        var out: [String] = []
        for name in Platform.listDirectory(root + (prefix.isEmpty ? "" : "/" + prefix)) {
            if name.hasPrefix(".") || name == "__pycache__" { continue }
            let rel = prefix.isEmpty ? name : prefix + "/" + name
            switch Platform.fileType(root + "/" + rel) {
            case .regular?: out.append(rel)
            case .directory?: out += walk(root, rel)
            default: continue
            }
        }
        return out
    }

    /// mkdir -p, recording each folder it creates.
    static func makeDirectories(_ path: String, recordingIn manifest: inout Manifest) throws(Platform.IOError) {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            if Platform.fileType(current) == .directory { continue }
            if mkdir(current, 0o755) != 0 && errno != EEXIST { throw Platform.IOError(path: current, errno: errno) }
            if !manifest.directories.contains(current) { manifest.directories.append(current) }
        }
    }

    static func currentMode(_ path: String) -> mode_t? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mode & 0o7777
    }

    /// Whether `systemctl --user` reaches a running user manager.
    static func userManagerAnswers(_ systemctl: String) -> Bool {
        Platform.runAndWait(systemctl, ["--user", "show-environment"], quiet: true) == 0
    }
}
