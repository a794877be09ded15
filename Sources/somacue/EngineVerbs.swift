import ArgumentParser
import SomacuePlatform

// The engine verbs as this parser knows them. `main.swift` hands `somacue play ...` (and every
// other engine verb) to somacued before any parsing, so these declarations are never used to
// run anything: they exist so that `somacue --help`, the shell completions and the man page
// know every verb and flag. Their texts and arguments copy somacued's exactly;
// `scripts/cli-docs.py --check` (run by the tests) compares the two parsers and fails on any
// difference, naming it. What only this side adds is how a value completes (session ids and
// voice names asked from somacued, files, fixed lists).

/// What runs if the parser ever reaches an engine verb: the same hand-over as main.swift's.
func handToEngine() -> Never {
    let me = Platform.executablePath()
    guard let engine = Platform.findExecutable("somacued", besides: me) else {
        Platform.writeStderr("somacue: cannot find somacued next to \(me ?? "somacue") or on PATH; build it with `swift build` or install both binaries together")
        Platform.exit(ExitStatus.unavailable)
    }
    let code = Platform.exec(engine, arguments: [engine] + CommandLine.arguments.dropFirst())
    Platform.writeStderr("somacue: cannot run \(engine): \(Platform.errorText(code))")
    Platform.exit(ExitStatus.unavailable)
}

struct EngineCommon: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file (default: ~/.config/somacue/config.toml).", valueName: "path"),
            completion: .file(extensions: ["toml"]))
    var config: String?
}

struct EngineSessionFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Pace multiplier for every step: 1.0 default, 0.5 twice as slow, 2.0 twice as fast (0.25 to 2.0). Default: the steps' and the session's own tempo, else the config's.", valueName: "T"))
    var tempo: Double?
    @Option(help: ArgumentHelp("Target length (600, 10m, 1h5m): choose the tempo that makes the session last this long.", valueName: "length"))
    var fit: String?
    @Option(help: ArgumentHelp("Voice pack name (default: from config, else \"default\").", valueName: "name"), completion: .voiceName)
    var voice: String?
    @Option(name: .customLong("lead-in"), help: ArgumentHelp("Seconds of silence after the opening, to get down onto the floor (0 to 600).", valueName: "S"))
    var leadIn: Double?
}

struct EnginePlay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "play",
        abstract: "Play a session in the foreground (Ctrl-C fades out and stops).",
        discussion: "On a terminal it shows a progress bar with the elapsed and remaining time, and takes keys: space pauses and resumes, n skips to the next exercise, p restarts this one (or goes back one), the right and left arrows make the tempo 0.1 faster or slower from the next phase, q stops, ? lists the keys. A second Ctrl-C aborts at once. While somacued plays a session on the same device, play refuses to start (exit status 75) unless --force is given.")
    @Argument(help: ArgumentHelp("A session id, or a session file path.", valueName: "session"), completion: .sessionID) var session: String
    @OptionGroup var flags: EngineSessionFlags
    @Option(help: ArgumentHelp("Output device: \"default\", an exact name or a unique part of one.", valueName: "name"), completion: .deviceName)
    var device: String?
    @Flag(help: "Play even while somacued plays a session on the same device.") var force = false
    @OptionGroup var common: EngineCommon
    func run() { handToEngine() }
}

struct EngineRender: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render", abstract: "Render a session to an audio file (.wav, .flac, .ogg, .opus).")
    @Argument(help: ArgumentHelp("A session id, or a session file path.", valueName: "session"), completion: .sessionID) var session: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Output file; the format comes from the extension.", valueName: "file"),
            completion: .file(extensions: ["wav", "flac", "ogg", "opus"]))
    var output: String
    @Flag(help: "Write a 32-bit float WAV instead of 16-bit.") var float = false
    @OptionGroup var flags: EngineSessionFlags
    @OptionGroup var common: EngineCommon
    func run() { handToEngine() }
}

struct EngineTimeline: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "timeline", abstract: "Show when every cue of a session plays.")
    @Argument(help: ArgumentHelp("A session id, or a session file path.", valueName: "session"), completion: .sessionID) var session: String
    @OptionGroup var flags: EngineSessionFlags
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var common: EngineCommon
    func run() { handToEngine() }
}

struct EngineSessions: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sessions", abstract: "List the available sessions.")
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var common: EngineCommon
    func run() { handToEngine() }
}

struct EngineExercises: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exercises", abstract: "List the available exercises.")
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var common: EngineCommon
    func run() { handToEngine() }
}

struct EngineDevices: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "devices", abstract: "List the audio output devices PortAudio sees.")
    @Flag(help: "Print JSON.") var json = false
    func run() { handToEngine() }
}

struct EngineValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check session, exercise, voice manifest or config files.",
        discussion: "Prints every problem as file:line:col: error|warning: message. Exit status 1 if any error.")
    @Option(help: ArgumentHelp("File kind (default: from the file's top-level table).", valueName: "session|exercise|manifest|config"),
            completion: .list(["session", "exercise", "manifest", "config"]))
    var kind: String?
    @Argument(help: ArgumentHelp("Files to check.", valueName: "file"), completion: .file(extensions: ["toml"])) var files: [String]
    func run() { handToEngine() }
}

struct EngineCues: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cues",
        abstract: "List the cues sessions need, with their text and whether the voice has audio for them.",
        discussion: "PACK is the pack that supplies each cue (the chosen voice, its base, or the default). cues/generate.py uses this to make a voice pack.")
    @Argument(help: ArgumentHelp("Sessions to consider (default: all).", valueName: "session"), completion: .sessionID) var sessions: [String] = []
    @Option(help: ArgumentHelp("Voice pack to check against.", valueName: "name"), completion: .voiceName) var voice: String?
    @Flag(help: "Only the cues the voice lacks.") var missing = false
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var common: EngineCommon
    func run() { handToEngine() }
}

struct EngineVoices: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voices",
        abstract: "List the voice packs: the shipped ones, then yours (~/.config/somacue/voices/).",
        discussion: "For each pack: how many cues it has, how many the sessions need that it takes from its base or the default voice (fallback), and how many no pack supplies (missing).")
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var common: EngineCommon
    func run() { handToEngine() }
}

struct EngineVoice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voice",
        abstract: "Make, check and generate voice packs.",
        subcommands: [EngineVoiceInit.self, EngineVoiceCheck.self, EngineVoiceGenerate.self])
}

struct EngineVoiceInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Start a voice pack to record yourself: a manifest and a script to read from.",
        discussion: "Writes DIR/manifest.toml (every cue, files voice/<id>.wav, based on the default voice) and DIR/script.txt (cue id, delivery hint, text). Never overwrites: DIR must not hold a manifest yet. `somacue voice check DIR` shows what is left to record; remove the entries you will not record, and those cues come from the base pack.")
    @Argument(help: ArgumentHelp("The new pack's folder (e.g. ~/.config/somacue/voices/mine).", valueName: "dir"), completion: .directory) var dir: String
    @Option(parsing: .upToNextOption, help: ArgumentHelp("Only the cues of these sessions (ids or files); default: every session.", valueName: "session"),
            completion: .sessionID)
    var from: [String] = []
    @OptionGroup var common: EngineCommon
    func run() { handToEngine() }
}

struct EngineVoiceCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a voice pack: every cue's file, length, peak and loudness.",
        discussion: "Errors: missing, unreadable, silent, clipped or overlong files, and cues whose kind differs from the engine's. Exit status 1 if any error. --write stores each cue's loudness in the manifest (lufs), so the engine never measures it again.")
    @Argument(help: ArgumentHelp("The pack's folder (holding manifest.toml).", valueName: "dir"), completion: .directory) var dir: String
    @Flag(help: "Store the measured loudness in the manifest (lufs).") var write = false
    @Flag(help: "Print JSON.") var json = false
    func run() { handToEngine() }
}

/// somacued passes these words to the generator script untouched; here they are spelled out so
/// that a shell completes them (the parity check allows this one difference).
struct EngineVoiceGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Make or extend a voice pack with a speech engine (runs the shipped cues/generate.py).",
        discussion: "Usage: somacue voice generate [--engine piper|espeak|flite] --out DIR [--only-missing] [--force] [SESSION...]. Your own sessions and exercises are included. Existing files are kept unless --force. `--help-generator` shows every option.")
    @Option(help: ArgumentHelp("Speech engine (default: piper).", valueName: "engine"), completion: .list(["piper", "espeak", "flite"]))
    var engine: String?
    @Option(help: ArgumentHelp("The voice pack's folder (created if needed).", valueName: "dir"), completion: .directory)
    var out: String?
    @Option(help: ArgumentHelp("voice.name of a new pack (default: the folder name).", valueName: "name")) var name: String?
    @Option(help: ArgumentHelp("voice.title of a new pack.", valueName: "title")) var title: String?
    @Option(help: ArgumentHelp("Ogg Vorbis quality for voices (sox -C).", valueName: "quality")) var quality: String?
    @Flag(name: .customLong("only-missing"), help: "Only the cues the pack (with its base and the default voice) lacks.") var onlyMissing = false
    @Flag(help: "Remake stale files and files this generator did not make, and remove files of cues no session needs.") var force = false
    @Flag(help: "Also make the tones (the default pack has them).") var tones = false
    @Option(help: ArgumentHelp("Configuration file.", valueName: "path"), completion: .file(extensions: ["toml"])) var config: String?
    @Flag(name: .customLong("help-generator"), help: "Show every option of the generator.") var helpGenerator = false
    @Argument(help: ArgumentHelp("Sessions whose cues to speak (default: every session).", valueName: "session"), completion: .sessionID)
    var sessions: [String] = []
    func run() { handToEngine() }
}

/// The engine verbs in the order `somacue --help` lists them.
let engineCommands: [ParsableCommand.Type] = [
    EnginePlay.self, EngineRender.self, EngineTimeline.self, EngineSessions.self, EngineExercises.self, EngineDevices.self,
    EngineValidate.self, EngineCues.self, EngineVoices.self, EngineVoice.self,
]
