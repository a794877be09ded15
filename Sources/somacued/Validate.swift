import ArgumentParser
import SomacueAudio
import SomacueCore
import SomacueLibrary
import SomacueEngine
import SomacuePlatform

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check session, exercise, voice manifest or config files.",
        discussion: "Prints every problem as file:line:col: error|warning: message. Exit status 1 if any error.")
    @Option(help: ArgumentHelp("File kind (default: from the file's top-level table).", valueName: "session|exercise|manifest|config"))
    var kind: String?
    @Argument(help: ArgumentHelp("Files to check.", valueName: "file")) var files: [String]

    func validate() throws {
        if let kind, FileKind(rawValue: kind) == nil {
            throw ValidationError("--kind must be one of: session, exercise, manifest, config")
        }
        if files.isEmpty { throw ValidationError("name at least one file to check") }
    }

    func run() throws {
        let paths = try? Paths.discover()
        let library = paths.map(Library.load(paths:)) ?? Library()
        var diagnostics: [Diagnostic] = []
        var missingFile = false
        for file in files {
            let text: String
            do { text = try Platform.readFile(file) } catch {
                diagnostics.append(Diagnostic(file: file, position: nil, message: "cannot read: \(error.reason)"))
                missingFile = missingFile || error.isNotFound
                continue
            }
            let root: TOMLTable
            switch parseTOMLFile(text, file: file) {
            case .failure(let e): diagnostics += e.diagnostics; continue
            case .success(let r): root = r
            }
            var reader = SchemaReader(file: file)
            let base = Platform.basename(file)
            // Only library files must be named after their id; a file elsewhere may be called anything.
            let folder = Platform.basename(Platform.dirname(Platform.absolute(file)))
            let stem = base.hasSuffix(".toml") && (folder == "sessions" || folder == "exercises") ? String(base.dropLast(5)) : nil
            switch kind.flatMap(FileKind.init) ?? detectKind(root) {
            case .exercise:
                _ = readExercise(root, reader: &reader, expectedID: stem)
            case .session:
                if let s = readSession(root, reader: &reader, expectedID: stem) {
                    diagnostics += library.checkReferences(s)
                }
            case .config:
                _ = readConfig(root, reader: &reader)
            case .manifest:
                let pack = VoicePack(name: "", directory: Platform.dirname(Platform.absolute(file)),
                                     manifest: readManifest(root, reader: &reader, strictKinds: true))
                for cue in pack.manifest.cues {
                    do {
                        if try CueHeaderCache.shared.length(path: pack.path(of: cue), rate: .standard) == .zero {
                            reader.error("cue \"\(cue.id)\": \(pack.path(of: cue)) holds less than one frame at 48000 Hz", at: cue.position)
                        }
                    } catch {
                        reader.error("cue \"\(cue.id)\": \(error)", at: cue.position)
                    }
                }
                CueHeaderCache.shared.save()
            }
            diagnostics += reader.diagnostics
        }
        for d in diagnostics.sortedByPosition() { Platform.writeStderr(d.description) }
        if missingFile { throw ExitCode(ExitStatus.noInput) }
        if diagnostics.hasErrors { throw ExitCode(ExitStatus.refused) }
    }
}

struct Cues: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cues",
        abstract: "List the cues sessions need, with their text and whether the voice has audio for them.",
        discussion: "PACK is the pack that supplies each cue (the chosen voice, its base, or the default). cues/generate.py uses this to make a voice pack.")
    @Argument(help: ArgumentHelp("Sessions to consider (default: all).", valueName: "session")) var sessions: [String] = []
    @Option(help: ArgumentHelp("Voice pack to check against.", valueName: "name")) var voice: String?
    @Flag(help: "Only the cues the voice lacks.") var missing = false
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var common: Common

    func run() throws {
        try reporting { () throws(EngineError) in
            let ctx = try Context(common)
            let chosen = try VoiceCatalog.sessions(sessions, library: ctx.library)
            // Every built-in cue is listed even when no session uses it (pause, resume ...).
            let required = try VoiceCatalog.requiredCues(for: chosen, library: ctx.library)
            // An unknown voice is exit 66 and a broken manifest exit 65, never an empty list.
            let source = try CueSource.resolve(voice: voice ?? ctx.config.voice, paths: ctx.paths)
            var rows: [JSON] = []
            var table: [[String]] = [["ID", "KIND", "AUDIO", "PACK", "TEXT"]]
            for r in required {
                // A short prompt counts as present only where it would be spoken: from the pack
                // that supplies its full cue or one before it (never another voice's).
                let usable = r.shortFor.map { source.usesShort(r.id, for: $0, tts: false) } ?? true
                let entry = usable ? source.entry(r.id) : nil
                let path = entry.map { $0.0.path(of: $0.1) }
                let present = path.map { Platform.exists($0) } ?? false
                let stale = entry?.1.text != nil && r.text != nil && entry?.1.text != r.text
                if missing && present && !stale { continue }
                var o = JSONObject()
                o.set("id", r.id.rawValue)
                o.set("kind", r.kind.rawValue)
                o.set("text", r.text)
                o.set("file", path)
                o.set("pack", entry?.0.name)
                o.set("present", present)
                o.set("stale", stale)
                if let full = r.shortFor { o.set("short_for", full.rawValue) }
                rows.append(o.json)
                table.append([r.id.rawValue, r.kind.rawValue, present ? (stale ? "stale" : "yes") : (r.shortFor != nil ? "optional" : "MISSING"),
                              entry?.0.name ?? "-", r.text ?? ""])
            }
            Platform.writeStdout(json ? JSON.array(rows).pretty + "\n" : formatTable(table))
        }
    }
}
