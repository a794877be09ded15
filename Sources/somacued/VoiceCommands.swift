import ArgumentParser
import SomacueAudio
import SomacueCore
import SomacueLibrary
import SomacueEngine
import SomacuePlatform

struct Voices: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voices",
        abstract: "List the voice packs: the shipped ones, then yours (~/.config/somacue/voices/).",
        discussion: "For each pack: how many cues it has, how many the sessions need that it takes from its base or the default voice (fallback), and how many no pack supplies (missing).")
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var common: Common

    func run() throws {
        try reporting { () throws(EngineError) in try Listing.voices(json: json, configPath: common.config) }
    }
}

struct Voice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voice",
        abstract: "Make, check and generate voice packs.",
        subcommands: [VoiceInit.self, VoiceCheck.self, VoiceGenerate.self])
}

/// How a cue is best spoken, for a person recording a pack.
func deliveryHint(_ id: CueID) -> String {
    let s = id.rawValue
    func ends(_ x: String) -> Bool { s.hasSuffix("." + x) }
    if ends("title") { return "clear and unhurried, like announcing a chapter" }
    if ends("position") || ends("opening") { return "calm and plain; leave room to follow along" }
    if ends("contract") { return "slow and inviting, as the movement begins" }
    if ends("hold") { return "quiet, almost still" }
    if ends("release") { return "slower still, letting go as you speak" }
    if ends("rest") || s == "rest" || s == "integrate" { return "soft and settled" }
    if s.hasSuffix("-short") { return "a brief reminder for later repetitions, same pace as the full one; optional" }
    if ends("closing") || s == "session-end" { return "warm, unhurried close" }
    if s.hasSuffix(".focus") { return "thoughtful, a gentle reminder" }
    if ["paused", "resumed", "stopped", "last-rep", "only-rep", "begin", "next-exercise"].contains(s) { return "short and clear" }
    if s == "safety" { return "calm and clear, not alarming" }
    return "calm, at an easy pace"
}

struct VoiceInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Start a voice pack to record yourself: a manifest and a script to read from.",
        discussion: "Writes DIR/manifest.toml (every cue, files voice/<id>.wav, based on the default voice) and DIR/script.txt (cue id, delivery hint, text). Never overwrites: DIR must not hold a manifest yet. `somacue voice check DIR` shows what is left to record; remove the entries you will not record, and those cues come from the base pack.")
    @Argument(help: ArgumentHelp("The new pack's folder (e.g. ~/.config/somacue/voices/mine).", valueName: "dir")) var dir: String
    @Option(parsing: .upToNextOption, help: ArgumentHelp("Only the cues of these sessions (ids or files); default: every session.", valueName: "session"))
    var from: [String] = []
    @OptionGroup var common: Common

    func run() throws {
        try reporting { () throws(EngineError) in
            let ctx = try Context(common)
            let manifest = dir + "/manifest.toml", script = dir + "/script.txt"
            for f in [manifest, script] where Platform.exists(f) {
                throw EngineError("somacue: \(f) already exists; voice init never overwrites a pack (use another folder, or `somacue voice check \(dir)`)",
                                  status: ExitStatus.cannotCreate)
            }
            let sessions = try VoiceCatalog.sessions(from, library: ctx.library)
            let cues = try VoiceCatalog.requiredCues(for: sessions, library: ctx.library).filter { $0.kind == .voice }
            let name = Platform.basename(Platform.absolute(dir))
            var m = "# somacue voice pack \"\(name)\", started by `somacue voice init`.\n"
                + "# Record each cue into the file named here (any format libsndfile reads; mono is fine).\n"
                + "# Remove the entries you will not record: those cues then come from the base pack.\n"
                + "[voice]\nname = \(tomlQuoted(name))\ntitle = \(tomlQuoted("\(name) (recorded)"))\nbase = \"default\"\n"
            var text = "Script for the voice pack \"\(name)\": one cue per block. Record each into the file named\n"
                + "in manifest.toml (voice/<cue id>.wav), leaving about a quarter second of quiet at each end.\n\n"
            for c in cues {
                m += "\n[[cue]]\nid = \(tomlQuoted(c.id.rawValue))\nfile = \(tomlQuoted("voice/\(c.id.rawValue).wav"))\n"
                if let t = c.text { m += "text = \(tomlQuoted(t))\n" }
                text += "\(c.id)  (\(deliveryHint(c.id)))\n    \(c.text ?? "")\n\n"
            }
            do {
                try Platform.makeDirectories(dir + "/voice")
                try Platform.writeFile(manifest, m)
                try Platform.writeFile(script, text)
            } catch {
                throw EngineError("somacue: cannot write the pack in \(dir): \(error)", status: ExitStatus.cannotCreate)
            }
            Platform.writeStdout("Wrote \(manifest) and \(script): \(cues.count) cues to record into \(dir)/voice/.\n"
                                 + "Then: somacue voice check \(dir) --write, and play with --voice \(dir.contains("/voices/") ? name : dir)\n")
        }
    }
}

func tomlQuoted(_ s: String) -> String {
    var out = "\""
    for ch in s.unicodeScalars {
        switch ch {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default:
            if ch.value < 0x20 || ch.value == 0x7F {
                let hex = String(ch.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(ch)
            }
        }
    }
    return out + "\""
}

struct VoiceCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a voice pack: every cue's file, length, peak and loudness.",
        discussion: "Errors: missing, unreadable, silent, clipped or overlong files, and cues whose kind differs from the engine's. Exit status 1 if any error. --write stores each cue's loudness in the manifest (lufs), so the engine never measures it again.")
    @Argument(help: ArgumentHelp("The pack's folder (holding manifest.toml).", valueName: "dir")) var dir: String
    @Flag(help: "Store the measured loudness in the manifest (lufs).") var write = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try reporting { () throws(EngineError) in
            let path = dir + "/manifest.toml"
            guard Platform.exists(path) else {
                throw EngineError("somacue: no voice pack at \(dir) (expected \(path))", status: ExitStatus.noInput)
            }
            // Strict read: a wrongly kinded cue is an error here.
            let text: String
            do { text = try Platform.readFile(path) } catch {
                throw EngineError("somacue: cannot read \(path): \(error)", status: ExitStatus.noInput)
            }
            var diagnostics: [Diagnostic] = []
            var manifest = VoiceManifest(cues: [], file: path)
            switch parseTOMLFile(text, file: path) {
            case .failure(let e): diagnostics = e.diagnostics
            case .success(let root):
                var reader = SchemaReader(file: path)
                manifest = readManifest(root, reader: &reader, strictKinds: true)
                diagnostics = reader.diagnostics
            }
            let pack = VoicePack(name: Platform.basename(dir), directory: Platform.absolute(dir), manifest: manifest)
            let checks = VoiceCatalog.check(pack)
            var errors = diagnostics.filter { $0.severity == .error }.count
            for d in diagnostics.sortedByPosition() { Platform.writeStderr(d.description) }
            var rows: [JSON] = []
            var table: [[String]] = [["ID", "KIND", "SECONDS", "PEAK", "LUFS", "STATUS"]]
            for (c, cue) in zip(checks, manifest.cues) {
                for e in c.errors { Platform.writeStderr("\(path):\(cue.position.map { "\($0.line):\($0.column):" } ?? "") error: cue \"\(c.id)\": \(e)") }
                errors += c.errors.count
                var o = JSONObject()
                o.set("id", c.id.rawValue)
                o.set("kind", c.kind.rawValue)
                o.set("file", c.file)
                o.set("seconds", c.seconds.map { ($0 * 1000).rounded() / 1000 })
                o.set("peak", c.peakDB.flatMap { $0.isFinite ? ($0 * 10).rounded() / 10 : nil })
                o.set("lufs", c.lufs.flatMap { $0.isFinite ? ($0 * 100).rounded() / 100 : nil })
                o.set("errors", JSON.array(c.errors.map(JSON.string)))
                rows.append(o.json)
                func f(_ x: Double?) -> String { x.map { $0.isFinite ? formatNumber(($0 * 10).rounded() / 10) : "-inf" } ?? "-" }
                table.append([c.id.rawValue, c.kind.rawValue, f(c.seconds), f(c.peakDB), f(c.lufs),
                              c.errors.isEmpty ? "ok" : c.errors.map { String($0.prefix { $0 != ":" }) }.joined(separator: ",")])
            }
            Platform.writeStdout(json ? JSON.array(rows).pretty + "\n" : formatTable(table))
            if write {
                var values: [CueID: Double] = [:]
                for c in checks { if let l = c.lufs, l.isFinite { values[c.id] = l } }
                try VoiceCatalog.writeLoudness(manifest: path, values: values)
                if !json { Platform.writeStdout("Stored the loudness of \(values.count) cues in \(path).\n") }
            }
            if !json {
                Platform.writeStdout("\(manifest.cues.count) cues, \(errors) error\(errors == 1 ? "" : "s")\n")
            }
            if errors > 0 { throw EngineError("somacue: \(path): \(errors) error\(errors == 1 ? "" : "s") in the voice pack", status: ExitStatus.refused) }
        }
    }
}

struct VoiceGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Make or extend a voice pack with a speech engine (runs the shipped cues/generate.py).",
        discussion: "Usage: somacue voice generate [--engine piper|espeak|flite] --out DIR [--only-missing] [--force] [SESSION...]. Your own sessions and exercises are included. Existing files are kept unless --force. `--help-generator` shows every option.")
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Options and sessions for the generator.", valueName: "args"))
    var args: [String] = []

    func run() throws {
        try reporting { () throws(EngineError) in
            let paths = try Paths.discover()
            let script = paths.defaultVoiceDir + "/generate.py"
            guard Platform.exists(script) else {
                throw EngineError("somacue: the voice generator is not installed (expected \(script))", status: ExitStatus.unavailable)
            }
            guard let python = Platform.findExecutable("python3", besides: nil) else {
                throw EngineError("somacue: voice generate needs python3 (apt-get install python3 python3-venv)", status: ExitStatus.unavailable)
            }
            var argv = ["python3", script]
            if let me = Platform.executablePath() { argv += ["--somacued", me] }
            argv += args.map { $0 == "--help-generator" ? "--help" : $0 }
            let e = Platform.exec(python, arguments: argv)
            throw EngineError("somacue: cannot run \(python): \(Platform.errorText(e))", status: ExitStatus.unavailable)
        }
    }
}
