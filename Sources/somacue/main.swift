import ArgumentParser
import SomacuePlatform

// somacue: the user's one entry point. It stays light (no audio library, no C++, no
// Foundation, static Swift stdlib) so it starts about as fast as `mpc`. Engine verbs are
// handed to the sibling `somacued` with the same arguments; exec passes its exit status through.

let version = "0.1.0"
let engineVerbs: Set<String> = ["play", "render", "timeline", "sessions", "exercises", "devices", "validate", "cues"]

let arguments = CommandLine.arguments
// Scripts and status bars call this often; answer before the argument parser is set up.
if arguments.count == 2, arguments[1] == "--version" {
    Platform.writeStdout(version + "\n")
    Platform.exit(0)
}
if arguments.count > 1, engineVerbs.contains(arguments[1]) {
    let me = Platform.executablePath()
    guard let engine = Platform.findExecutable("somacued", besides: me) else {
        Platform.writeStderr("somacue: cannot find somacued next to \(me ?? "somacue") or on PATH; build it with `swift build` or install both binaries together")
        Platform.exit(ExitStatus.unavailable)
    }
    let code = Platform.exec(engine, arguments: [engine] + arguments.dropFirst())
    Platform.writeStderr("somacue: cannot run \(engine): \(Platform.errorText(code))")
    Platform.exit(ExitStatus.unavailable)
}

struct Somacue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "somacue",
        abstract: "Guided somatic-movement sessions, by sound, for eyes-closed practice.",
        discussion: """
            Session commands (run by somacued):
              play SESSION [--tempo T] [--voice NAME] [--device NAME] [--lead-in S]
                                       play a session in the foreground (Ctrl-C stops)
              render SESSION -o FILE   write a session to .wav, .flac, .ogg or .opus
              timeline SESSION [--json]
                                       show when every cue plays
              sessions [--json]        list sessions
              exercises [--json]       list exercises
              devices [--json]         list audio output devices
              validate FILE...         check session, exercise, manifest and config files
              cues [SESSION...]        list the cues sessions need and whether the voice has them

            `somacue VERB --help` shows a verb's options.
            """,
        version: version
    )
}

Somacue.main()
