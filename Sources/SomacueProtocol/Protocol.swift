import SomacueCore

// The control protocol between somacued and its clients: newline-delimited JSON over a Unix
// socket. The daemon greets with `{"somacue": 1, "version": "…"}`; a client sends
// `{"id": N, "cmd": "…", "args": {…}}` and gets exactly one reply per non-empty line,
// `{"id": N, "ok": true, "data": {…}}` or `{"id": N, "ok": false, "error": {"code", "message"}}`;
// subscribed clients also get `{"event": "…", …}` lines.
//
// Choices this module makes where the contract leaves room:
// - A request must have an integer "id": missing -> missing_field, not an integer token ->
//   bad_type, an integral token beyond Int64 -> out_of_range (all with "id": null), checked
//   right after the not_an_object check and before "cmd".
// - Top-level keys other than id/cmd/args -> bad_type (like unknown argument keys).
// - A string argument of the right type but not an allowed value (unknown event name,
//   unknown volume class, a session that is not an id, an unsafe voice name) -> out_of_range.
// - `session` must be a session id (SomacueCore's `isValidID` rule), never a file path;
//   `voice` must be a folder name: non-empty, at most 255 bytes, no '/', '\' or control
//   characters, not starting with '.'. No command takes a filesystem path.
// - Duplicate event names in `subscribe` collapse to the first occurrence.
// - An empty line never reaches the parser (LineFramer drops it); if one does, parseRequest
//   answers invalid_json, as it does for a line of spaces.

/// Bumped when the wire format changes incompatibly.
public let protocolVersion = 1

/// Stable symbolic error codes: clients switch on these, people read the message.
public enum ErrorCode: String, Sendable, CaseIterable {
    case invalidJSON = "invalid_json"
    case invalidUTF8 = "invalid_utf8"
    case notAnObject = "not_an_object"
    case missingField = "missing_field"
    case badType = "bad_type"
    case unknownCommand = "unknown_command"
    case missingArgument = "missing_argument"
    case outOfRange = "out_of_range"
    case wrongState = "wrong_state"
    case noSuchSession = "no_such_session"
    case noSuchVoice = "no_such_voice"
    /// The session, its exercises or its cue audio cannot be used (details in the message).
    case invalidSession = "invalid_session"
    case lineTooLong = "line_too_long"
    case tooManyClients = "too_many_clients"
    case deviceError = "device_error"
    case reloadFailed = "reload_failed"
    case internalError = "internal_error"
}

public struct ProtocolError: Error, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    /// Further members of the `error` object, after `code` and `message` (e.g. `diagnostics`).
    public var extra: [(String, JSON)]

    public init(code: ErrorCode, message: String, extra: [(String, JSON)] = []) {
        self.code = code
        self.message = message
        self.extra = extra
    }

    public init(_ code: ErrorCode, _ message: String, extra: [(String, JSON)] = []) {
        self.init(code: code, message: message, extra: extra)
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The error to send before closing a connection whose line exceeded the limit.
    public static func lineTooLong(maxLineBytes: Int = 4096) -> ProtocolError {
        ProtocolError(.lineTooLong, "request line longer than \(maxLineBytes) bytes; closing the connection")
    }

    /// The error to send to a client beyond the connection limit before closing it.
    public static func tooManyClients(limit: Int) -> ProtocolError {
        ProtocolError(.tooManyClients, "too many clients (limit \(limit)); closing the connection")
    }
}

/// Names of the events a client can subscribe to.
public enum EventName: String, Sendable, CaseIterable {
    case state, exercise, phase, cue, finished, error, tempo, volume
}

/// The volume classes `volume` can set.
public enum VolumeClass: String, Sendable, CaseIterable {
    case master, voice, tone
}

/// An exercise of the session playing: its 1-based position, or its id.
public enum ExerciseTarget: Sendable, Equatable {
    case index(Int)
    case id(String)

    public var json: JSON {
        switch self {
        case .index(let n): .int(Int64(n))
        case .id(let s): .string(s)
        }
    }
}

public struct StartArgs: Sendable, Equatable {
    public var session: String
    public var tempo: Double?
    public var voice: String?
    public var leadIn: Double?
    /// A target length in seconds: the daemon picks the tempo that makes the session last it.
    public var fit: Double?
    public var replace: Bool?
    /// Begin at this exercise instead of the opening.
    public var at: ExerciseTarget?

    public init(session: String, tempo: Double? = nil, voice: String? = nil, leadIn: Double? = nil, replace: Bool? = nil,
                fit: Double? = nil, at: ExerciseTarget? = nil) {
        self.session = session
        self.tempo = tempo
        self.voice = voice
        self.leadIn = leadIn
        self.replace = replace
        self.fit = fit
        self.at = at
    }
}

public enum TempoChange: Sendable, Equatable {
    /// Set the tempo to this value (0.25...2.0).
    case set(Double)
    /// Add this (|step| <= 1.75) to the current tempo; the daemon checks the result's range.
    case step(Double)
}

public enum Command: Sendable, Equatable {
    case start(StartArgs)
    case pause, resume, toggle, stop, next, prev
    /// `stop` with `after_exercise`: the closing follows the current exercise.
    case stopAfterExercise
    /// Jump to an exercise's start (its title and position instructions).
    case goto(ExerciseTarget)
    /// `where`: exercise, side, repetition and time left, spoken in the next quiet spot.
    case whereAmI
    case tempo(TempoChange)
    case volume(VolumeClass, Double)
    /// Seconds from the start of the current exercise (or opening, or closing); the daemon
    /// lands on the start of the repetition containing that point.
    case seek(Double)
    case status, sessions, voices
    /// nil: the default set (every event).
    case subscribe([EventName]?)
    case ping, reload

    /// The wire name (`cmd`).
    public var name: String {
        switch self {
        case .start: "start"
        case .pause: "pause"
        case .resume: "resume"
        case .toggle: "toggle"
        case .stop, .stopAfterExercise: "stop"
        case .goto: "goto"
        case .whereAmI: "where"
        case .next: "next"
        case .prev: "prev"
        case .tempo: "tempo"
        case .volume: "volume"
        case .seek: "seek"
        case .status: "status"
        case .sessions: "sessions"
        case .voices: "voices"
        case .subscribe: "subscribe"
        case .ping: "ping"
        case .reload: "reload"
        }
    }

    /// Every command name, in documentation order.
    public static let names = [
        "start", "pause", "resume", "toggle", "stop", "next", "prev", "goto", "where", "seek", "tempo", "volume",
        "status", "sessions", "voices", "subscribe", "ping", "reload",
    ]
}

/// Argument limits, shared by the parser, the daemon and the CLI.
public enum ArgumentLimits {
    public static let tempo: ClosedRange<Double> = 0.25...2.0
    /// |step| limit for `tempo {step}`: the distance between the tempo bounds.
    public static let tempoStep: ClosedRange<Double> = -1.75...1.75
    /// `fit` of `start`, in seconds (a second to a day; the daemon says what the session can reach).
    public static let fit: ClosedRange<Double> = 1...86_400
    public static let leadIn: ClosedRange<Double> = 0...600
    public static let volume: ClosedRange<Double> = 0...1.5
    /// `seek {position}`: seconds into the current exercise (a day is far past any exercise).
    public static let seekPosition: ClosedRange<Double> = 0...86_400
    /// Exercise numbers for `goto` and `start {at}`.
    public static let exerciseIndex: ClosedRange<Int64> = 1...10_000
}

public struct Request: Sendable, Equatable {
    public var id: Int64
    public var command: Command

    public init(id: Int64, command: Command) {
        self.id = id
        self.command = command
    }
}

/// Why a line is not a valid request, with the id to echo when one could be read.
public struct RequestFailure: Error, Sendable, CustomStringConvertible {
    public var id: Int64?
    public var error: ProtocolError

    public init(id: Int64?, error: ProtocolError) {
        self.id = id
        self.error = error
    }

    /// The reply line to send (without the newline).
    public var reply: String { encodeError(id: id, error) }

    public var description: String { "id \(id.map(String.init) ?? "null"): \(error)" }
}
