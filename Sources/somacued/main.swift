import ArgumentParser
import SomacueAudio
import SomacueCore
import SomacueEngine
import SomacueLibrary
import SomacuePlatform

let somacueVersion = "0.1.0"

// Every command names itself: without a `commandName`, ArgumentParser derives it from the
// type name with `String(describing:)`, whose dynamic casts scan every protocol conformance in
// the (statically linked) binary, about 1.5 ms of every engine verb's start-up.
struct Somacued: ParsableCommand {
    static let configuration = CommandConfiguration(
        // Run through `somacue VERB`, usage and help lines name `somacue`, the command typed.
        commandName: Platform.env("SOMACUE_COMMAND_NAME") == "somacue" ? "somacue" : "somacued",
        abstract: "somacue's engine: plays, renders and checks guided somatic-movement sessions.",
        discussion: "Usually run through `somacue VERB`, which passes its arguments here.",
        version: somacueVersion,
        subcommands: [Serve.self, Play.self, Render.self, TimelineCommand.self, Sessions.self, Exercises.self, Devices.self,
                      Validate.self, Cues.self, Voices.self, Voice.self],
        defaultSubcommand: Serve.self
    )
}

struct Common: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file (default: ~/.config/somacue/config.toml).", valueName: "path"))
    var config: String?
}

struct SessionFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Pace multiplier for every step: 1.0 default, 0.5 twice as slow, 2.0 twice as fast (0.25 to 2.0). Default: the steps' and the session's own tempo, else the config's.", valueName: "T"))
    var tempo: Double?
    @Option(help: ArgumentHelp("Target length (600, 10m, 1h5m): choose the tempo that makes the session last this long.", valueName: "length"))
    var fit: String?
    @Option(help: ArgumentHelp("Voice pack name (default: from config, else \"default\").", valueName: "name"))
    var voice: String?
    @Option(name: .customLong("lead-in"), help: ArgumentHelp("Seconds of silence after the opening, to get down onto the floor (0 to 600).", valueName: "S"))
    var leadIn: Double?

    func options() throws(EngineError) -> SessionOptions {
        SessionOptions(tempo: tempo, voice: voice, leadIn: leadIn, fit: try fit.map(checkedLength))
    }
}

/// Runs a command body, turning an EngineError into its message and exit status.
func reporting(_ body: () throws(EngineError) -> Void) throws {
    do { try body() } catch {
        Platform.writeStderr(error.message)
        throw ExitCode(error.status)
    }
}

struct Context {
    var paths: Paths
    var config: Config
    var library: Library

    init(_ common: Common) throws(EngineError) {
        try self.init(configPath: common.config)
    }

    init(configPath: String?) throws(EngineError) {
        paths = try Paths.discover()
        (config, _) = try loadConfig(explicitPath: configPath, paths: paths)
        library = Library.load(paths: paths)
    }

    func loaded(_ sessionArg: String, _ flags: SessionFlags, extraCues: [CueRequirement] = []) throws(EngineError) -> LoadedSession {
        let session = try library.session(sessionArg)
        let planned = try plan(session: session, library: library, config: config, options: try flags.options(), paths: paths,
                               extraCues: extraCues)
        Listing.reportFit(planned)
        let loaded = try LoadedSession(plan: planned, quality: ResamplerQuality(config: config),
                                       voiceLUFS: config.voiceLUFS, toneLUFS: config.toneLUFS)
        try loaded.waitUntilDecoded()
        return loaded
    }
}

struct Play: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "play",
        abstract: "Play a session in the foreground (Ctrl-C fades out and stops).",
        discussion: "On a terminal it shows a progress bar with the elapsed and remaining time, and takes keys: space pauses and resumes, n skips to the next exercise, p restarts this one (or goes back one), the right and left arrows make the tempo 0.1 faster or slower from the next phase, q stops, ? lists the keys. A second Ctrl-C aborts at once. While somacued plays a session on the same device, play refuses to start (exit status 75) unless --force is given.")
    @Argument(help: ArgumentHelp("A session id, or a session file path.", valueName: "session")) var session: String
    @OptionGroup var flags: SessionFlags
    @Option(help: ArgumentHelp("Output device: \"default\", an exact name or a unique part of one.", valueName: "name"))
    var device: String?
    @Flag(help: "Play even while somacued plays a session on the same device.") var force = false
    @OptionGroup var common: Common

    func run() throws {
        try reporting { () throws(EngineError) in
            let ctx = try Context(common)
            // Before anything is loaded: is somacued playing on the same device?
            if let daemon = loadedDaemonSession() {
                try checkSharedDevice(daemon, requested: device, config: ctx.config, force: force)
            }
            // The pause, resume and stop sounds come along for the keys.
            let loaded = try ctx.loaded(session, flags, extraCues: LivePlayer.overlayCues)
            try playForeground(loaded, config: ctx.config, device: device, showProgress: Platform.isTerminal(1))
        }
    }
}

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "render", abstract: "Render a session to an audio file (.wav, .flac, .ogg, .opus).")
    @Argument(help: ArgumentHelp("A session id, or a session file path.", valueName: "session")) var session: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Output file; the format comes from the extension.", valueName: "file"))
    var output: String
    @Flag(help: "Write a 32-bit float WAV instead of 16-bit.") var float = false
    @OptionGroup var flags: SessionFlags
    @OptionGroup var common: Common

    func run() throws {
        try reporting { () throws(EngineError) in
            let ctx = try Context(common)
            if float && !output.lowercased().hasSuffix(".wav") {
                throw EngineError("somacue: --float writes a WAV file; name the output *.wav", status: ExitStatus.usage)
            }
            let loaded = try ctx.loaded(session, flags)
            try renderToFile(loaded, config: ctx.config, path: output, float: float, progress: Platform.isTerminal(2))
        }
    }
}

struct TimelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "timeline", abstract: "Show when every cue of a session plays.")
    @Argument(help: ArgumentHelp("A session id, or a session file path.", valueName: "session")) var session: String
    @OptionGroup var flags: SessionFlags
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var common: Common

    func run() throws {
        try reporting { () throws(EngineError) in
            try Listing.timeline(session, options: { () throws(EngineError) in try flags.options() }, json: json,
                                 configPath: common.config, cueFiles: CueFiles(headers: .shared, speaker: .command))
        }
    }
}

struct Sessions: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sessions", abstract: "List the available sessions.")
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var common: Common

    func run() throws {
        try reporting { () throws(EngineError) in try Listing.sessions(json: json, configPath: common.config, headers: .shared) }
    }
}

struct Exercises: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exercises", abstract: "List the available exercises.")
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var common: Common

    func run() throws {
        try reporting { () throws(EngineError) in try Listing.exercises(json: json, configPath: common.config) }
    }
}

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "devices", abstract: "List the audio output devices PortAudio sees.")
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try reporting { () throws(EngineError) in
            do { try PortAudio.initialize() } catch {
                throw EngineError("somacue: cannot start PortAudio: \(error)", status: ExitStatus.unavailable)
            }
            defer { PortAudio.terminate() }
            let devices = PortAudio.outputDevices()
            if json {
                Platform.writeStdout(JSON.array(devices.map { d in
                    var o = JSONObject()
                    o.set("name", d.name)
                    o.set("index", d.index)
                    o.set("default", d.isDefault)
                    o.set("channels", d.channels)
                    o.set("sampleRate", d.sampleRate)
                    return o.json
                }).pretty + "\n")
            } else if devices.isEmpty {
                Platform.writeStdout("No output devices. (`somacue render` writes sessions to files instead.)\n")
            } else {
                Platform.writeStdout(formatTable([["INDEX", "DEFAULT", "CHANNELS", "RATE", "NAME"]]
                    + devices.map { ["\($0.index)", $0.isDefault ? "*" : "", "\($0.channels)", formatNumber($0.sampleRate), $0.name] }))
            }
        }
    }
}

// `sessions`, `exercises`, `voices` and `timeline SESSION`, each with nothing but `--json` and
// `--config PATH` (`Listing.Request`): the commands `somacue` and shell completions run most.
// They run here without the argument parser, whose set-up (reflection over every command's
// properties, the completion-script checks) costs about 3 ms. Anything else goes through it.
if let request = Listing.Request(Array(CommandLine.arguments.dropFirst())) {
    do {
        try request.run(executable: Platform.executablePath(), cueFiles: CueFiles(headers: .shared, speaker: .command))
    } catch {
        Platform.writeStderr(error.message)
        Platform.exit(error.status)
    }
    Platform.exit(0)
}
Somacued.main()
