import ArgumentParser
import Glibc
import SomacueCore
import SomacueLibrary
import SomacuePlatform
import SomacueProtocol

// somacue: the user's one entry point. It stays light (no audio library, no C++, no
// Foundation, one fully static executable) so it starts about as fast as `mpc`. Engine verbs are
// handed to the sibling `somacued` with the same arguments; exec passes its exit status through.

let version = "0.1.0"
let engineVerbs: [String] = ["play", "render", "timeline", "sessions", "exercises", "devices", "validate", "cues", "voices", "voice"]

let arguments = CommandLine.arguments
// Scripts and status bars call this often; answer before the argument parser is set up.
if arguments.count == 2, arguments[1] == "--version" {
    Platform.writeStdout(version + "\n")
    Platform.exit(0)
}
// `somacue help play` (or `help voice generate`) is `somacue play --help`: the engine verbs' help
// lives in somacued.
var handOver = Array(arguments.dropFirst())
if handOver.count >= 2, handOver[0] == "help", engineVerbs.contains(handOver[1]) {
    handOver = Array(handOver.dropFirst()) + ["--help"]
}
if let verb = handOver.first, engineVerbs.contains(verb) {
    let me = Platform.executablePath()
    guard let engine = Platform.findExecutable("somacued", besides: me) else {
        Platform.writeStderr("somacue: cannot find somacued next to \(me ?? "somacue") or on PATH; build it with `swift build` or install both binaries together")
        Platform.exit(ExitStatus.unavailable)
    }
    // The listing verbs' plain forms are answered here when everything they need is on disk
    // without an audio library: every cue header they ask for is in the cache (and current).
    // The attempt is captured, not printed, and dropped at the first miss: somacued then prints
    // everything (and reads the headers into the cache), exactly as it always does.
    if let request = Listing.Request(handOver) {
        let headers = CueHeaderCache(file: CueHeaderCache.defaultFile, reader: nil)
        // A cue [tts] has not spoken yet is somacued's to speak (`timeline` speaks it).
        let speaker = TTSSpeaker { (_: TTSSynthesizer, id: CueID, _: String, _: String) throws(EngineError) in
            headers.noteMiss()
            throw EngineError("somacue: cue \(id) is somacued's to speak", status: ExitStatus.dataError)
        }
        let output = Console.capturing { () -> Int32 in
            do throws(EngineError) {
                try request.run(executable: Platform.realPath(engine) ?? engine, cueFiles: CueFiles(headers: headers, speaker: speaker))
                return 0
            } catch {
                Console.err(error.message)
                return error.status
            }
        }
        if !headers.missed {
            output.write()
            Platform.exit(output.status)
        }
    }
    // Its usage and help lines then name `somacue`, the command the user typed.
    setenv("SOMACUE_COMMAND_NAME", "somacue", 1)
    let code = Platform.exec(engine, arguments: [engine] + handOver)
    Platform.writeStderr("somacue: cannot run \(engine): \(Platform.errorText(code))")
    Platform.exit(ExitStatus.unavailable)
}

// The verbs status bars and key bindings run most (status, pause, toggle, ...) take nothing but
// --json and --socket: read those by hand, which saves the argument parser's set-up (1.3 ms
// measured, three times the socket round trip). Anything else falls through to the parser.
if arguments.count > 1, let fast = fastCommand(Array(arguments.dropFirst())) {
    switch fast.command {
    case .status: Controller.status(json: fast.json, fast.socket)
    default: Controller.simple(fast.command, fast.socket)
    }
}

func fastCommand(_ words: [String]) -> (command: Command, json: Bool, socket: String?)? {
    let command: Command
    switch words[0] {
    case "status": command = .status
    case "pause": command = .pause
    case "resume": command = .resume
    case "toggle": command = .toggle
    case "stop": command = .stop
    case "next": command = .next
    case "prev": command = .prev
    case "ping": command = .ping
    default: return nil
    }
    var json = false
    var socket: String?
    var i = 1
    while i < words.count {
        let w = words[i]
        if w == "--json", command == .status, !json {
            json = true
        } else if socket == nil, let value = Platform.longOption("--socket", in: words, at: &i) {
            socket = value
        } else {
            return nil
        }
        i += 1
    }
    return (command, json, socket)
}

struct Somacue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "somacue",
        abstract: "Guided somatic-movement sessions, by sound, for eyes-closed practice.",
        discussion: """
            The controller commands talk to the running somacued over its control socket: --socket PATH, else $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket. `start` launches somacued when none is running. The session commands run in the engine, somacued, with the same arguments. Exit statuses: 0 done, 1 refused by the daemon, 64 bad arguments, 69 no daemon answers.

            `somacue help VERB` (or `somacue VERB --help`) shows a verb's options.
            """,
        version: version,
        groupedSubcommands: [
            CommandGroup(name: "Controller", subcommands: [
                Start.self, Pause.self, Resume.self, Toggle.self, Stop.self, Next.self, Prev.self, Goto.self, Where.self,
                TempoVerb.self, VolumeVerb.self, Status.self, Follow.self, Ping.self, Reload.self,
            ]),
            CommandGroup(name: "Session", subcommands: engineCommands),
            CommandGroup(name: "Practice", subcommands: [History.self]),
            CommandGroup(name: "Setup", subcommands: [Service.self]),
        ]
    )
}

Somacue.main()
