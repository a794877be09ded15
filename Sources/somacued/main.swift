import ArgumentParser
import SomacueAudio
import SomacueCore
import SomacueEngine
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

/// Says which tempo `--fit` chose, on stderr (stdout may be JSON).
func reportFit(_ planned: PlannedSession) {
    if let report = planned.fitReport { Platform.writeStderr("somacue: " + report) }
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
        reportFit(planned)
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
        try Self.show(session, options: SessionFlagsOptions(flags), json: json, configPath: common.config)
    }

    static func show(_ session: String, options: SessionFlagsOptions, json: Bool, configPath: String?) throws {
        try reporting { () throws(EngineError) in
            let ctx = try Context(configPath: configPath)
            let s = try ctx.library.session(session)
            let planned = try plan(session: s, library: ctx.library, config: ctx.config, options: try options.get(), paths: ctx.paths)
            reportFit(planned)
            if json {
                Platform.writeStdout(planned.timeline.json.pretty + "\n")
            } else {
                Platform.writeStdout(timelineTable(planned.timeline))
            }
        }
    }
}

struct Sessions: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sessions", abstract: "List the available sessions.")
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var common: Common

    func run() throws {
        try Self.list(json: json, configPath: common.config)
    }

    static func list(json: Bool, configPath: String?) throws {
        try reporting { () throws(EngineError) in
            let ctx = try Context(configPath: configPath)
            var rows: [JSON] = []
            var table: [[String]] = [["ID", "DURATION", "TEMPO", "POSTURE", "TITLE"]]
            for id in ctx.library.sessions.keys.sorted() {
                let s = ctx.library.sessions[id]!
                let duration = listedDuration(of: s, library: ctx.library, config: ctx.config, paths: ctx.paths)
                let tempo = s.tempo ?? ctx.config.tempo
                rows.append(sessionSummary(s, duration: duration, tempo: tempo))
                let stepTempos = s.steps.contains { $0.tempo != nil } ? "*" : ""
                table.append([s.id, duration.map(formatClock) ?? "?", "\(tempo)\(stepTempos)", s.posture.rawValue, s.title])
            }
            let note = table.contains { $0[2].hasSuffix("*") } ? "* some steps have a tempo of their own\n" : ""
            Platform.writeStdout(json ? JSON.array(rows).pretty + "\n" : formatTable(table) + note)
            reportLibraryProblems(ctx.library)
        }
    }
}

struct Exercises: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exercises", abstract: "List the available exercises.")
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var common: Common

    func run() throws {
        try Self.list(json: json, configPath: common.config)
    }

    static func list(json: Bool, configPath: String?) throws {
        try reporting { () throws(EngineError) in
            let ctx = try Context(configPath: configPath)
            let list = ctx.library.exercises.keys.sorted().map { ctx.library.exercises[$0]! }
            if json {
                Platform.writeStdout(JSON.array(list.map { e in
                    var o = JSONObject()
                    o.set("id", e.id)
                    o.set("title", e.title)
                    o.set("sides", e.sides)
                    o.set("posture", e.posture.rawValue)
                    return o.json
                }).pretty + "\n")
            } else {
                Platform.writeStdout(formatTable([["ID", "SIDES", "POSTURE", "TITLE"]]
                    + list.map { [$0.id, $0.sides ? "yes" : "no", $0.posture.rawValue, $0.title] }))
            }
            reportLibraryProblems(ctx.library)
        }
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

func reportLibraryProblems(_ library: Library) {
    for d in library.diagnostics.sortedByPosition() { Platform.writeStderr(d.description) }
}

func formatTable(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    var widths = [Int](repeating: 0, count: first.count)
    for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
    var out = ""
    for row in rows {
        var line = ""
        for (i, c) in row.enumerated() {
            line += i == row.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count + 2)
        }
        out += line + "\n"
    }
    return out
}

func timelineTable(_ t: Timeline) -> String {
    var rows: [[String]] = [["TIME", "FRAME", "PHASE", "EXERCISE", "SIDE", "REP", "CUE"]]
    for e in t.events {
        rows.append([formatClock(t.sampleRate.seconds(e.frame)) + "." + String(Int(saturating: t.sampleRate.seconds(e.frame) * 10, rounding: .down) % 10),
                     "\(e.frame)", e.phase.rawValue, e.exercise ?? "", e.side?.rawValue ?? "",
                     e.rep.map(String.init) ?? "", e.cue.rawValue])
    }
    let total = t.sampleRate.seconds(t.frames)
    return formatTable(rows) + "\(t.events.count) cues, \(formatClock(total)) (\(t.frames) frames at \(t.sampleRate.hz) Hz, tempo \(t.tempo))\n"
}

/// The timeline's session flags as plain values (the fast path below has none).
struct SessionFlagsOptions {
    var flags: SessionFlags?
    init(_ flags: SessionFlags?) { self.flags = flags }
    func get() throws(EngineError) -> SessionOptions { try flags?.options() ?? SessionOptions() }
}

/// `sessions`, `exercises`, `voices` and `timeline SESSION`, each with nothing but `--json` and
/// `--config PATH`: the commands `somacue` and shell completions run most. They run here without
/// the argument parser, whose set-up (reflection over every command's properties, the
/// completion-script checks) costs about 3 ms, a sixth of `somacue sessions`. Anything else
/// (another flag, help, a typo, a second `--json`) returns nil and goes through the parser.
func fastListing(_ words: [String]) -> (() throws -> Void)? {
    guard let verb = words.first else { return nil }
    var json = false
    var configPath: String?
    var positional: [String] = []
    var i = 1
    while i < words.count {
        let w = words[i]
        if w == "--json", !json {
            json = true
        } else if configPath == nil, let value = Platform.longOption("--config", in: words, at: &i) {
            configPath = value
        } else if !w.hasPrefix("-"), !w.isEmpty {
            positional.append(w)
        } else {
            return nil
        }
        i += 1
    }
    switch (verb, positional.count) {
    case ("sessions", 0): return { try Sessions.list(json: json, configPath: configPath) }
    case ("exercises", 0): return { try Exercises.list(json: json, configPath: configPath) }
    case ("voices", 0): return { try Voices.list(json: json, configPath: configPath) }
    case ("timeline", 1):
        return { try TimelineCommand.show(positional[0], options: SessionFlagsOptions(nil), json: json, configPath: configPath) }
    default: return nil
    }
}

if let fast = fastListing(Array(CommandLine.arguments.dropFirst())) {
    do { try fast() } catch { Somacued.exit(withError: error) }
    Platform.exit(0)
}
Somacued.main()
