import ArgumentParser
import Glibc
import SomacueCore
import SomacuePlatform
import SomacueProtocol

// The controller verbs: each sends one request to the running somacued and prints the answer.
// Exit statuses: 0 done, 1 the daemon refused (its code and message are printed), 64 bad
// arguments, 69 no daemon answers. Fixed ranges (tempo 0.25 to 2, step ±1.75, volume 0 to 1.5,
// lead-in 0 to 600 s) are checked here with the daemon's own table (ArgumentLimits), so a typo
// never needs a daemon; what depends on the daemon's state (a step past the range, a session
// it does not have, nothing playing) comes back as a refusal.

/// Seconds to wait for the greeting and for most replies.
let replyTimeout = 5.0
/// `start` loads and decodes a whole session and `reload` rereads everything: allow longer.
let slowReplyTimeout = 30.0

struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).", valueName: "path"), completion: .file())
    var socket: String?

    func path() -> String { Controller.socketPath(socket) }
}

enum Controller {
    /// The socket path; exits 64 when there is none.
    static func socketPath(_ explicit: String?) -> String {
        switch Platform.controlSocketPath(explicit: explicit) {
        case .success(let path): return path
        case .failure(let error): exit(ExitStatus.usage, error.message)
        }
    }

    static func exit(_ status: Int32, _ message: String) -> Never {
        Platform.writeStderr("somacue: " + message)
        Platform.exit(status)
    }

    static func notRunningMessage(_ path: String) -> String {
        "somacued is not running (nothing answers on \(path)); `somacue start SESSION` starts it, or run `systemctl --user start somacued`"
    }

    /// Prints the failure and exits with its status.
    static func fail(_ error: ClientError) -> Never {
        switch error {
        case .notRunning(let path):
            exit(error.status, notRunningMessage(path))
        case .cannotConnect(let path, let reason):
            exit(error.status, "cannot connect to somacued on \(path): \(reason)")
        case .timeout(let path, let seconds):
            exit(error.status, "somacued did not answer on \(path) within \(Human.number(seconds)) s")
        case .closed(let path):
            exit(error.status, "somacued closed the connection on \(path) before answering")
        case .badPeer(let path, let reason):
            exit(error.status, "cannot talk to the daemon on \(path): \(reason)")
        case .otherUser(let path, let uid):
            exit(error.status, "the server on \(path) runs as \(Platform.userDescription(uid)), not as you "
                 + "(\(Platform.userDescription(getuid()))); refusing to talk to it. Find out who created that socket, "
                 + "or pass --socket PATH in a directory of your own")
        case .refused(let code, let message, let details):
            var text = "somacue: \(code): \(Start.flagWords(message))"
            if case .array(let diagnostics)? = details["diagnostics"] {
                for d in diagnostics { text += "\n" + diagnosticLine(d) }
            }
            Platform.writeStderr(text)
            Platform.exit(error.status)
        }
    }

    /// A `reload_failed` diagnostic: a string as it is, an object as `file:line:col: severity: message`.
    static func diagnosticLine(_ d: JSON) -> String {
        if let s = d.asString { return s }
        guard let message = d["message"]?.asString else { return d.compact }
        var location = d["file"]?.asString ?? ""
        if let line = d["line"]?.asInt {
            location += ":\(line)"
            if let column = (d["column"] ?? d["col"])?.asInt { location += ":\(column)" }
        }
        let severity = d["severity"]?.asString ?? "error"
        return (location.isEmpty ? "" : location + ": ") + severity + ": " + message
    }

    /// Checks a request the way the daemon will (the same parser), so that a bad argument is a
    /// usage error (64) here rather than a refusal later.
    static func checkArguments(_ command: Command) {
        switch command {
        case .start, .tempo, .volume, .subscribe: break
        default: return  // nothing to check, and the parser costs start-up time
        }
        if case .failure(let failure) = parseRequest(Array(encodeRequest(id: 1, command: command).utf8)) {
            exit(ExitStatus.usage, failure.error.message)
        }
    }

    static func connect(_ path: String, timeout: Double = replyTimeout) -> ControlClient {
        switch ControlClient.connect(path, timeout: timeout) {
        case .success(let client): return client
        case .failure(let error): fail(error)
        }
    }

    /// One request on a fresh connection: the reply (the greeting is read on the way).
    static func send(_ command: Command, _ socket: String?, timeout: Double = replyTimeout) -> (ControlClient, Message) {
        checkArguments(command)
        var client = connect(socketPath(socket), timeout: timeout)
        do {
            let reply = try client.request(command)
            return (client, reply)
        } catch {
            fail(error)
        }
    }

    /// Sends a command and prints one line made from its reply's data.
    static func control(_ command: Command, _ socket: String?, _ line: (JSON) -> String) {
        let (client, reply) = send(command, socket)
        client.close()
        Platform.writeStdout(line(reply.json["data"] ?? .object([])) + "\n")
    }

    /// Session seconds played, from a status object or from a short reply (`elapsed`).
    static func elapsed(_ s: JSON) -> String? {
        (s[path: "session", "elapsed"] ?? s["elapsed"])?.asNumber.map(Human.clock)
    }

    static func pausedOrPlaying(_ s: JSON) -> String {
        switch s["state"]?.asString {
        case "paused": elapsed(s).map { "Paused at \($0)." } ?? "Paused."
        case "playing": elapsed(s).map { "Playing from \($0)." } ?? "Playing."
        case "idle": "Nothing is playing."
        case "waiting_for_device":
            s["then"]?.asString == "paused"
                ? "Waiting for the audio device; it will stay paused when it is back."
                : "Waiting for the audio device; it will play on when it is back."
        case let other?: other.prefix(1).uppercased() + other.dropFirst() + "."
        case nil: "Done."
        }
    }

    /// Where next/prev landed: "Now: Back Lift (2/10)." or "Now at 31:40."
    static func landed(_ s: JSON) -> String {
        if let position = Human.position(s) { return "Now: \(position)." }
        if let at = elapsed(s) { return "Now at \(at)." }
        return pausedOrPlaying(s)
    }
}

// MARK: - Verbs

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a session in somacued (starting somacued when none is running).",
        discussion: """
            Without a running daemon, start launches the somacued next to this program (or on
            PATH) as `somacued serve --socket PATH`, detached, logging to
            $XDG_STATE_HOME/somacue/somacued.log, and waits up to 5 s for it to answer.
            --no-spawn or SOMACUE_NO_SPAWN=1 turns this off.
            """)

    @Argument(help: ArgumentHelp("A session id (see `somacue sessions`).", valueName: "session"), completion: .sessionID)
    var session: String
    @Option(help: ArgumentHelp("Pace multiplier for every step, 0.25 to 2.0 (default: the session's own tempo, else the config's).", valueName: "T"))
    var tempo: Double?
    @Option(help: ArgumentHelp("Target length (600, 10m, 1h5m): the daemon chooses the tempo that makes the session last this long.", valueName: "length"))
    var fit: String?
    @Option(help: ArgumentHelp("Voice pack name.", valueName: "name"), completion: .voiceName)
    var voice: String?
    @Option(name: .customLong("lead-in"), help: ArgumentHelp("Seconds of silence after the opening (0 to 600).", valueName: "S"))
    var leadIn: Double?
    @Flag(help: "Replace the session that is playing or paused.")
    var replace = false
    @Option(help: ArgumentHelp("Begin at this exercise: its number in the session, or its id.", valueName: "N|exercise"), completion: .exerciseID)
    var at: String?
    @Flag(name: .customLong("no-spawn"), help: "Never start somacued; fail when none answers (also SOMACUE_NO_SPAWN=1).")
    var noSpawn = false
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard isValidID(session) else {
            throw ValidationError("start takes a session id such as release-the-lower-back (see `somacue sessions`), not \"\(session)\"; a session file plays in the foreground with `somacue play FILE`")
        }
        if let tempo, !(tempo.isFinite && ArgumentLimits.tempo.contains(tempo)) {
            throw ValidationError("--tempo must be between 0.25 and 2.0, not \(Human.number(tempo))")
        }
        if let leadIn, !(leadIn.isFinite && ArgumentLimits.leadIn.contains(leadIn)) {
            throw ValidationError("--lead-in must be between 0 and 600 seconds, not \(Human.number(leadIn))")
        }
        if let fit {
            guard let seconds = parseLength(fit) else {
                throw ValidationError("--fit \(fit) is not a length; write seconds (600) or minutes and hours (10m, 1h5m, 45m30s)")
            }
            guard ArgumentLimits.fit.contains(seconds) else {
                throw ValidationError("--fit must be between 1 second and 24 hours, not \(fit)")
            }
            if tempo != nil { throw ValidationError("--fit chooses the tempo itself; give either --fit or --tempo, not both") }
        }
        if let at, exerciseTarget(at) == nil {
            throw ValidationError("--at takes an exercise number (1, 2, ...) or an exercise id (see `somacue exercises`), not \"\(at)\"")
        }
    }

    func run() {
        let command = Command.start(StartArgs(session: session, tempo: tempo, voice: voice, leadIn: leadIn, replace: replace ? true : nil,
                                              fit: fit.flatMap(parseLength), at: at.flatMap(exerciseTarget)))
        Controller.checkArguments(command)
        let path = connection.path()
        var client: ControlClient
        switch ControlClient.connect(path, timeout: slowReplyTimeout) {
        case .success(let c):
            client = c
        case .failure(.notRunning):
            if noSpawn || spawningDisabledByEnvironment() {
                let how = noSpawn ? "--no-spawn forbids starting it; run `systemctl --user start somacued`, or leave out --no-spawn"
                                  : "SOMACUE_NO_SPAWN forbids starting it; run `systemctl --user start somacued`, or unset SOMACUE_NO_SPAWN"
                Controller.exit(ExitStatus.unavailable, "somacued is not running (nothing answers on \(path)) and \(how)")
            }
            do {
                client = try spawnDaemon(socketPath: path)
            } catch {
                Controller.exit(ExitStatus.unavailable, error.message)
            }
            client.setReadTimeout(slowReplyTimeout)
        case .failure(let error):
            Controller.fail(error)
        }
        let status: JSON
        do { status = try client.request(command).json["data"] ?? .object([]) } catch {
            // A length the session cannot reach is a bad argument (the message gives the range).
            if fit != nil, case .refused(let code, let message, _) = error, code == "out_of_range" {
                Controller.exit(ExitStatus.usage, message)
            }
            // The daemon names its protocol argument (`replace`); the user types flags.
            if !replace, case .refused(let code, let message, _) = error, code == "wrong_state" {
                var text = Start.flagWords(message)
                while text.hasSuffix(".") { text.removeLast() }
                Platform.writeStderr("somacue: wrong_state: \(text): `somacue start \(session) --replace`")
                Platform.exit(ExitStatus.refused)
            }
            Controller.fail(error)
        }
        // Standing sessions must not be told to close their eyes: when the reply does not name
        // the posture, the session list does.
        var posture = status[path: "session", "posture"]?.asString
        if posture == nil, case .array(let list)? = (try? client.request(.sessions))?.json[path: "data", "sessions"] {
            posture = list.first { $0["id"]?.asString == session }?["posture"]?.asString
        }
        client.close()
        let title = status[path: "session", "title"]?.asString ?? session
        let duration = status[path: "session", "duration"]?.asNumber.map { " (\(Human.clock($0)))" } ?? ""
        let chosen = fit != nil ? status["tempo"]?.asNumber.map { " at tempo \(Human.number($0))" } ?? "" : ""
        if let old = status["replacing"]?.asString {
            // The session there goes on until this one is ready to sound.
            Platform.writeStdout("\(title)\(duration)\(chosen) replaces \(old) as soon as its audio is ready. \(Start.settle(posture))\n")
            return
        }
        let verb = status["state"]?.asString == "paused" ? "Loaded" : "Playing"
        Platform.writeStdout("\(verb) \(title)\(duration)\(chosen). \(Start.settle(posture))\n")
    }

    /// The daemon's sentence with its protocol words ("start with replace") turned into the
    /// flag the user types ("start with --replace").
    static func flagWords(_ message: String) -> String {
        var out = ""
        var rest = Substring(message)
        while let r = rest.firstRange(of: "with replace") {
            out += rest[..<r.lowerBound] + "with --replace"
            rest = rest[r.upperBound...]
        }
        return out + rest
    }

    /// What to do before the first cue, by the session's starting posture.
    static func settle(_ posture: String?) -> String {
        switch posture {
        case "lying", nil: "Lie down and close your eyes."
        case "seated": "Sit comfortably and close your eyes."
        case "standing": "Stand beside a chair or a wall to hold, and keep your eyes open."
        default: "Get into position and listen."
        }
    }
}

struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pause the session (fades out).")
    @OptionGroup var connection: ConnectionOptions
    func run() { Controller.simple(.pause, connection.socket) }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resume a paused session.")
    @OptionGroup var connection: ConnectionOptions
    func run() { Controller.simple(.resume, connection.socket) }
}

struct Toggle: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pause when playing, resume when paused.")
    @OptionGroup var connection: ConnectionOptions
    func run() { Controller.simple(.toggle, connection.socket) }
}

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "End the session.",
        discussion: "--after-exercise lets the current exercise finish, then plays the closing words and the end chime.")
    @Flag(name: .customLong("after-exercise"), help: "End gracefully once the current exercise is done.")
    var afterExercise = false
    @OptionGroup var connection: ConnectionOptions
    func run() {
        guard afterExercise else { Controller.simple(.stop, connection.socket) }
        Controller.control(.stopAfterExercise, connection.socket) { s in
            s["closingAt"]?.asNumber.map { "The session ends after this exercise (closing at \(Human.clock($0)))." }
                ?? "The session ends after this exercise."
        }
    }
}

struct Goto: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Jump to an exercise of the session: its number or its id.",
        discussion: "The exercise starts from its title and position instructions.")
    @Argument(help: ArgumentHelp("The exercise's number in the session (1, 2, ...) or its id.", valueName: "N|exercise"), completion: .exerciseID)
    var exercise: String
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if exerciseTarget(exercise) == nil {
            throw ValidationError("goto takes an exercise number (1, 2, ...) or an exercise id, not \"\(exercise)\"")
        }
    }

    func run() {
        guard let target = exerciseTarget(exercise) else { return }
        Controller.control(.goto(target), connection.socket, Controller.landed)
    }
}

struct Where: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say where you are: exercise, side, repetition and time left.",
        discussion: "Spoken in the next pause between instructions (never over another voice); the session does not move.")
    @OptionGroup var connection: ConnectionOptions
    func run() {
        Controller.control(.whereAmI, connection.socket) { s in
            s["at"]?.asNumber.map { "Where you are is said at \(Human.clock($0))." } ?? "Where you are is said in the next pause."
        }
    }
}

/// "3" is the third exercise; anything else must be an exercise id.
func exerciseTarget(_ text: String) -> ExerciseTarget? {
    if let n = Int(text) { return n >= 1 && n <= 10_000 ? .index(n) : nil }
    return isValidID(text) ? .id(text) : nil
}

struct Next: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Skip ahead to the next step of the session.")
    @OptionGroup var connection: ConnectionOptions
    func run() { Controller.simple(.next, connection.socket) }
}

struct Prev: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Go back to the previous step of the session.")
    @OptionGroup var connection: ConnectionOptions
    func run() { Controller.simple(.prev, connection.socket) }
}

extension Controller {
    /// The verbs that take no arguments: pause, resume, toggle, stop, next, prev, ping.
    static func simple(_ command: Command, _ socket: String?) -> Never {
        switch command {
        case .stop:
            // As `mpc stop` does, nothing to stop is not a failure: the daemon answers wrong_state
            // (other clients switch on that), and the command line says so calmly.
            checkArguments(.stop)
            var client = connect(socketPath(socket))
            do {
                let reply = try client.request(.stop)
                client.close()
                let s = reply.json["data"] ?? .object([])
                Platform.writeStdout((elapsed(s).map { "Stopped at \($0)." } ?? "Stopped.") + "\n")
            } catch {
                client.close()
                guard case .refused(let code, _, _) = error, code == "wrong_state" else { fail(error) }
                Platform.writeStdout("Nothing is playing.\n")
            }
        case .next, .prev:
            control(command, socket, landed)
        case .resume:
            resumeStartingDaemon(socket)
        case .ping:
            let (client, _) = send(.ping, socket)
            client.close()
            let version = client.greeting?["version"]?.asString.map { " (somacued \($0))" } ?? ""
            Platform.writeStdout("pong\(version)\n")
        default:
            control(command, socket, pausedOrPlaying)
        }
        Platform.exit(ExitStatus.ok)
    }

    /// `resume` starts somacued when none answers, as `start` does: a daemon that comes back
    /// after a crash or a reboot restores the interrupted session paused, and this resumes it.
    static func resumeStartingDaemon(_ socket: String?) {
        let path = socketPath(socket)
        var client: ControlClient
        switch ControlClient.connect(path, timeout: replyTimeout) {
        case .success(let c):
            client = c
        case .failure(.notRunning):
            guard !spawningDisabledByEnvironment() else { fail(.notRunning(path: path)) }
            do { client = try spawnDaemon(socketPath: path) } catch { exit(ExitStatus.unavailable, error.message) }
            client.setReadTimeout(slowReplyTimeout)
        case .failure(let error):
            fail(error)
        }
        do {
            let reply = try client.request(.resume)
            client.close()
            Platform.writeStdout(pausedOrPlaying(reply.json["data"] ?? .object([])) + "\n")
        } catch {
            fail(error)
        }
    }

    static func status(json: Bool, _ socket: String?) -> Never {
        let (client, reply) = send(.status, socket)
        client.close()
        if json {
            let raw = rawMember("data", of: reply.raw) ?? ArraySlice("{}".utf8)
            Platform.writeStdout(String(decoding: raw, as: UTF8.self) + "\n")
        } else {
            Platform.writeStdout(Human.status(reply.json["data"] ?? .object([]), width: Platform.terminalWidth()))
        }
        Platform.exit(ExitStatus.ok)
    }
}

struct TempoVerb: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tempo",
        abstract: "Set the pace (0.25 to 2.0), or change it by a step: +0.1, -0.1.",
        usage: "somacue tempo <value>|+<step>|-<step> [--socket <path>]")

    // Taken as raw words so that "-0.1" is a value, not an option.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp(
        "A tempo (1.0 is the default pace), or a step with its sign (+0.1 faster, -0.1 slower).", valueName: "value"))
    var words: [String] = []
    @OptionGroup var connection: ConnectionOptions

    func change() throws -> TempoChange {
        guard words.count == 1, let text = words.first else {
            throw ValidationError(words.isEmpty ? "tempo needs a value (0.25 to 2.0) or a step (+0.1, -0.1)"
                                                : "tempo takes one value, not \(words.joined(separator: " "))")
        }
        guard let value = parseDecimal(text) else {
            throw ValidationError("tempo must be a number such as 0.8, or a step such as +0.1 or -0.1, not \"\(text)\"")
        }
        if text.hasPrefix("+") || text.hasPrefix("-") {
            guard ArgumentLimits.tempoStep.contains(value) else {
                throw ValidationError("a tempo step must be between -1.75 and +1.75, not \(text)")
            }
            return .step(value)
        }
        guard ArgumentLimits.tempo.contains(value) else {
            throw ValidationError("tempo must be between 0.25 and 2.0, not \(text)")
        }
        return .set(value)
    }

    func validate() throws { _ = try change() }

    func run() throws {
        let requested = try change()
        Controller.control(.tempo(requested), connection.socket) { s in
            // While playing, the new pace starts with the next phase (the reply says from which frame).
            let when = s["fromFrame"] != nil ? ", from the next phase" : ""
            if let t = s["tempo"]?.asNumber { return "Tempo \(Human.number(t))\(when)." }
            if case .set(let v) = requested { return "Tempo \(Human.number(v))\(when)." }
            return "Tempo changed."
        }
    }
}

struct VolumeVerb: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume",
        abstract: "Show the volumes, or set one: master (the default), voice or tone, 0 to 1.5.",
        usage: "somacue volume [[master|voice|tone] <value>] [--socket <path>]")

    @Argument(help: ArgumentHelp("Optionally master, voice or tone, then a value from 0 to 1.5 (1 is unchanged); nothing shows the levels.", valueName: "value"),
              completion: .list(["master", "voice", "tone"]))
    var words: [String] = []
    @OptionGroup var connection: ConnectionOptions

    func change() throws -> (VolumeClass, Double) {
        var volumeClass = VolumeClass.master
        let valueText: String
        switch words.count {
        case 1:
            valueText = words[0]
        case 2:
            guard let c = VolumeClass(rawValue: words[0]) else {
                throw ValidationError("the volume to set is master, voice or tone, not \"\(words[0])\"")
            }
            volumeClass = c
            valueText = words[1]
        default:
            throw ValidationError(words.isEmpty ? "volume needs a value from 0 to 1.5 (after master, voice or tone)"
                                                : "volume takes [master|voice|tone] and one value, not \(words.joined(separator: " "))")
        }
        guard let value = parseDecimal(valueText) else {
            if VolumeClass(rawValue: valueText) != nil {
                throw ValidationError("volume \(valueText) needs a value from 0 to 1.5")
            }
            throw ValidationError("a volume is a number from 0 to 1.5, not \"\(valueText)\"")
        }
        guard ArgumentLimits.volume.contains(value) else {
            throw ValidationError("a volume is between 0 and 1.5, not \(valueText)")
        }
        return (volumeClass, value)
    }

    func validate() throws { if !words.isEmpty { _ = try change() } }

    func run() throws {
        if words.isEmpty {
            Controller.control(.status, connection.socket) { s in
                "Volume: " + (Human.volumes(s["volume"], separator: ", ") ?? "not reported by somacued") + "."
            }
            return
        }
        let (volumeClass, value) = try change()
        Controller.control(.volume(volumeClass, value), connection.socket) { s in
            let now = s[path: "volume", volumeClass.rawValue]?.asNumber ?? value
            return volumeClass.rawValue.prefix(1).uppercased() + volumeClass.rawValue.dropFirst() + " volume \(Human.number(now))."
        }
    }
}

/// A finite decimal number with an optional sign: "1", "0.8", "+0.1", "-.5". No hex, no
/// exponent, no nan or inf.
func parseDecimal(_ text: String) -> Double? {
    var digits = 0
    var dots = 0
    for (i, c) in text.utf8.enumerated() {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
        case UInt8(ascii: "."): dots += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"): if i != 0 { return nil }
        default: return nil
        }
    }
    guard digits > 0, dots <= 1, let value = Double(text), value.isFinite else { return nil }
    return value
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what is playing: session progress, exercise, phase, rep and side.",
        discussion: "--json prints the daemon's status object exactly as it sent it (keys are documented in docs/PROTOCOL.md).")
    @Flag(help: "Print the status object as JSON.")
    var json = false
    @OptionGroup var connection: ConnectionOptions

    func run() { Controller.status(json: json, connection.socket) }
}

struct Follow: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print events (state, exercise, phase, cue, ...) as they happen, until interrupted.",
        discussion: "--json prints each event line exactly as the daemon sent it.")
    @Flag(help: "Print events as JSON lines.")
    var json = false
    @OptionGroup var connection: ConnectionOptions

    func run() {
        // Ctrl-C (or a TERM from a script) ends a follow normally. The signals are unblocked
        // first: a parent may hand down a mask that blocks them, and follow would never end.
        var stopping = sigset_t()
        sigemptyset(&stopping)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&stopping, s) }
        sigprocmask(SIG_UNBLOCK, &stopping, nil)
        signal(SIGINT) { _ in _exit(0) }
        signal(SIGTERM) { _ in _exit(0) }
        // Where things stand now, then every change as it happens. The status is asked right
        // after subscribing, so no change falls between the two; events that arrive before its
        // reply are printed after it. With --json the first line is a `state` event made from it.
        var client = Controller.connect(connection.path())
        var early: [Message] = []
        var now: JSON?
        do throws(ClientError) {
            let subscribed = try client.send(.subscribe(nil))
            // A daemon that already closed the connection may still have sent events: they are
            // read below either way.
            let asked = try? client.send(.status)
            _ = try client.reply(to: subscribed)
            if let asked {
                do throws(ClientError) {
                    now = try client.reply(to: asked) { early.append($0) }.json["data"]
                } catch {
                    guard case .closed = error else { throw error }
                }
            }
        } catch {
            Controller.fail(error)
        }
        if let now, let state = now["state"]?.asString {
            var first: String
            if json {
                first = JSON.object([("event", .string("state")), ("state", .string(state))]).compact
            } else {
                first = "state".padding(to: 8) + " " + state
                if let title = now[path: "session", "title"]?.asString { first += " · " + title }
                if let position = Human.position(now) { first += " · " + position }
                if let elapsed = now[path: "session", "elapsed"]?.asNumber { first += "  (at \(Human.clock(elapsed)))" }
            }
            if !writeAll(1, first + "\n") { Platform.exit(ExitStatus.ok) }
        }
        print(early)
        client.setReadTimeout(nil)
        while true {
            let m: Message
            do { m = try client.nextMessage() } catch {
                if case .closed = error { Controller.exit(ExitStatus.unavailable, "somacued closed the connection") }
                Controller.fail(error)
            }
            print([m])
        }
    }

    /// Prints events, one line each; exits 0 when nobody reads any more (a closed pipe or terminal).
    func print(_ messages: [Message]) {
        for m in messages where m.json["event"]?.asString != nil && m.json["id"] == nil {
            let line = json ? String(decoding: m.raw, as: UTF8.self) : Human.event(m.json)
            if !writeAll(1, line + "\n") { Platform.exit(ExitStatus.ok) }
        }
    }
}

struct Ping: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check that somacued answers.")
    @OptionGroup var connection: ConnectionOptions
    func run() { Controller.simple(.ping, connection.socket) }
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reread the config, sessions and voices (the session that is playing is kept).")
    @OptionGroup var connection: ConnectionOptions
    func run() {
        let (client, reply) = Controller.send(.reload, connection.socket, timeout: slowReplyTimeout)
        client.close()
        var counts: [String] = []
        for key in ["sessions", "exercises"] {
            if let n = reply.json[path: "data", key]?.asInt { counts.append("\(n) \(key)") }
        }
        Platform.writeStdout("Reloaded" + (counts.isEmpty ? "" : ": " + counts.joined(separator: ", ")) + ".\n")
    }
}

/// Writes all of `text` to `fd`; false when the other end is gone (or another write error).
func writeAll(_ fd: Int32, _ text: String) -> Bool {
    var bytes = Array(text.utf8)
    return bytes.withUnsafeMutableBytes { buffer -> Bool in
        var sent = 0
        while sent < buffer.count {
            let n = write(fd, buffer.baseAddress! + sent, buffer.count - sent)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            sent += n
        }
        return true
    }
}
