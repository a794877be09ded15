import SomacueCore

// Reading one request line. Classification order (the first that applies wins):
//   invalid UTF-8                         -> invalid_utf8
//   NUL byte, any JSON syntax error       -> invalid_json
//   top level not an object               -> not_an_object
//   -- from here on the reply carries the id when it is a valid Int64 --
//   "id" missing                          -> missing_field
//   "id" not an integer token             -> bad_type  (1.0, 1e2, "1", true, null, …)
//   "id" integral but beyond Int64        -> out_of_range
//   "cmd" missing                         -> missing_field
//   "cmd" not a string, "args" not object -> bad_type
//   other top-level key                   -> bad_type
//   unknown command                       -> unknown_command
//   arguments: unknown key -> bad_type; required one missing -> missing_argument;
//   then each argument in declaration order: wrong type -> bad_type, bad value -> out_of_range.

/// Parses one line (without the newline; a trailing `\r` is harmless). On failure the result
/// carries the id when one could be read.
public func parseRequest(_ line: some Collection<UInt8>) -> Result<Request, RequestFailure> {
    withContiguousBytes(line) { parseRequestBytes($0) }
}

/// Longest piece of client text echoed back in a message.
private let echoLimit = 32

/// A client-supplied string as a quoted JSON literal, cut to `echoLimit` Unicode scalars.
func quoted(_ s: String) -> String {
    let scalars = s.unicodeScalars
    guard s.utf8.count > echoLimit, let end = scalars.index(scalars.startIndex, offsetBy: echoLimit, limitedBy: scalars.endIndex),
          end != scalars.endIndex else { return JSON.string(s).compact }
    var cut = String.UnicodeScalarView(scalars[..<end])
    cut.append("…")
    return JSON.string(String(cut)).compact
}

func describeType(_ v: JSON) -> String {
    switch v {
    case .null: "null"
    case .bool: "a boolean"
    case .int: "an integer"
    case .double: "a number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
}

private func parseRequestBytes(_ b: UnsafeBufferPointer<UInt8>) -> Result<Request, RequestFailure> {
    func fail(_ id: Int64?, _ code: ErrorCode, _ message: String) -> Result<Request, RequestFailure> {
        .failure(RequestFailure(id: id, error: ProtocolError(code, message)))
    }
    if let bad = firstInvalidUTF8(b) {
        return fail(nil, .invalidUTF8, "request is not valid UTF-8 (\(describeByte(b[bad])) at byte \(bad))")
    }
    if let nul = firstNulByte(b) {
        return fail(nil, .invalidJSON, "invalid JSON: NUL byte at byte \(nul)")
    }
    var parser = StrictJSONParser(b)
    let root: JSON
    do {
        root = try parser.parseDocument()
    } catch {
        return fail(nil, .invalidJSON, "invalid JSON: \(error)")
    }
    guard case .object(let members) = root else {
        return fail(nil, .notAnObject, "a request must be a JSON object, not \(describeType(root))")
    }

    let id: Int64
    switch root["id"] {
    case .int(let value)?:
        id = value
    case nil:
        return fail(nil, .missingField, "request has no \"id\" (an integer the reply will echo)")
    case _? where parser.bigIntegerKeys.contains("id"):
        return fail(nil, .outOfRange, "\"id\" is beyond the 64-bit integer range")
    case let other?:
        let what = if case .double = other { "a number with a fraction or exponent" } else { describeType(other) }
        return fail(nil, .badType, "\"id\" must be an integer (digits only, no fraction or exponent), not \(what)")
    }

    let name: String
    switch root["cmd"] {
    case .string(let s)?: name = s
    case nil: return fail(id, .missingField, "request has no \"cmd\"")
    case let other?: return fail(id, .badType, "\"cmd\" must be a string, not \(describeType(other))")
    }
    let args: [(String, JSON)]
    switch root["args"] {
    case nil: args = []
    case .object(let m)?: args = m
    case let other?: return fail(id, .badType, "\"args\" must be an object, not \(describeType(other))")
    }
    if let (key, _) = members.first(where: { $0.0 != "id" && $0.0 != "cmd" && $0.0 != "args" }) {
        return fail(id, .badType, "unknown request field \(quoted(key)); fields: id, cmd, args")
    }

    do {
        let command = try parseCommand(name, args)
        return .success(Request(id: id, command: command))
    } catch {
        return .failure(RequestFailure(id: id, error: error))
    }
}

private func parseCommand(_ name: String, _ members: [(String, JSON)]) throws(ProtocolError) -> Command {
    switch name {
    case "start":
        let a = try Arguments("start", members, accepted: ["session", "tempo", "voice", "lead_in", "replace", "fit", "at"], required: ["session"])
        let session = try a.string("session")!
        guard isSessionID(session) else {
            throw ProtocolError(.outOfRange, "argument \"session\" of start must be a session id (lowercase letters, digits and single dashes), not \(quoted(session))")
        }
        let tempo = try a.number("tempo", in: ArgumentLimits.tempo)
        let voice = try a.string("voice")
        if let voice, !isAcceptableVoiceName(voice) {
            throw ProtocolError(.outOfRange, "argument \"voice\" of start must be a voice name (1 to 255 bytes, no '/' or '\\', no control characters, not starting with '.'), not \(quoted(voice))")
        }
        let leadIn = try a.number("lead_in", in: ArgumentLimits.leadIn)
        let replace = try a.bool("replace")
        let fit = try a.length("fit", in: ArgumentLimits.fit)
        if fit != nil && tempo != nil {
            throw ProtocolError(.badType, "start takes either \"tempo\" or \"fit\", not both (fit chooses the tempo)")
        }
        let at = try a.exercise("at")
        return .start(StartArgs(session: session, tempo: tempo, voice: voice, leadIn: leadIn, replace: replace, fit: fit, at: at))
    case "pause": try Arguments.none(name, members); return .pause
    case "resume": try Arguments.none(name, members); return .resume
    case "toggle": try Arguments.none(name, members); return .toggle
    case "stop":
        let a = try Arguments("stop", members, accepted: ["after_exercise"], required: [])
        return try a.bool("after_exercise") == true ? .stopAfterExercise : .stop
    case "goto":
        let a = try Arguments("goto", members, accepted: ["exercise"], required: ["exercise"])
        return .goto(try a.exercise("exercise")!)
    case "next": try Arguments.none(name, members); return .next
    case "where": try Arguments.none(name, members); return .whereAmI
    case "prev": try Arguments.none(name, members); return .prev
    case "status": try Arguments.none(name, members); return .status
    case "sessions": try Arguments.none(name, members); return .sessions
    case "voices": try Arguments.none(name, members); return .voices
    case "ping": try Arguments.none(name, members); return .ping
    case "reload": try Arguments.none(name, members); return .reload
    case "tempo":
        let a = try Arguments("tempo", members, accepted: ["value", "step"], required: [])
        switch (a["value"], a["step"]) {
        case (nil, nil):
            throw ProtocolError(.missingArgument, "tempo needs an argument: \"value\" (0.25 to 2) or \"step\" (-1.75 to 1.75)")
        case (_?, _?):
            throw ProtocolError(.badType, "tempo takes either \"value\" or \"step\", not both")
        case (_?, nil):
            return .tempo(.set(try a.number("value", in: ArgumentLimits.tempo)!))
        case (nil, _?):
            return .tempo(.step(try a.number("step", in: ArgumentLimits.tempoStep)!))
        }
    case "volume":
        let a = try Arguments("volume", members, accepted: ["class", "value"], required: ["value"])
        var volumeClass = VolumeClass.master
        if let text = try a.string("class") {
            guard let c = VolumeClass(rawValue: text) else {
                throw ProtocolError(.outOfRange, "argument \"class\" of volume must be one of master, voice, tone, not \(quoted(text))")
            }
            volumeClass = c
        }
        return .volume(volumeClass, try a.number("value", in: ArgumentLimits.volume)!)
    case "seek":
        let a = try Arguments("seek", members, accepted: ["position"], required: ["position"])
        return .seek(try a.number("position", in: ArgumentLimits.seekPosition)!)
    case "subscribe":
        let a = try Arguments("subscribe", members, accepted: ["events"], required: [])
        guard let list = a["events"] else { return .subscribe(nil) }
        guard case .array(let items) = list else {
            throw ProtocolError(.badType, "argument \"events\" of subscribe must be an array of event names, not \(describeType(list))")
        }
        var events: [EventName] = []
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item else {
                throw ProtocolError(.badType, "events[\(index)] of subscribe must be a string, not \(describeType(item))")
            }
            guard let event = EventName(rawValue: text) else {
                let all = EventName.allCases.map(\.rawValue)
                var message = "unknown event \(quoted(text)) in events[\(index)]"
                if text.utf8.count <= 64, let near = closestMatch(text, in: all) { message += "; did you mean \"\(near)\"?" }
                message += " (events: \(all.joined(separator: ", ")))"
                throw ProtocolError(.outOfRange, message)
            }
            if !events.contains(event) { events.append(event) }
        }
        return .subscribe(events)
    default:
        var message = "unknown command \(quoted(name))"
        if let near = nearestCommand(name) {
            message += "; did you mean \"\(near)\"?"
        } else {
            message += "; commands: " + Command.names.joined(separator: ", ")
        }
        throw ProtocolError(.unknownCommand, message)
    }
}

/// The known command closest to `name` when it is plausibly a typo or an abbreviation.
func nearestCommand(_ name: String) -> String? {
    guard !name.isEmpty, name.utf8.count <= 64 else { return nil }
    if let near = closestMatch(name, in: Command.names) { return near }
    if name.count >= 2 { return Command.names.first { $0.hasPrefix(name.lowercased()) } }
    return nil
}

/// The rule of SomacueCore's `isValidID` (`word(-word)*` in lowercase ASCII letters and
/// digits), checked on bytes so that a 4 KB argument costs microseconds.
func isSessionID(_ s: String) -> Bool {
    func check(_ bytes: some Sequence<UInt8>) -> Bool {
        var previous: UInt8 = 0x2D  // as if after a dash: a leading dash fails
        var any = false
        for c in bytes {
            switch c {
            case 0x61...0x7A, 0x30...0x39: break
            case 0x2D: if previous == 0x2D { return false }
            default: return false
            }
            previous = c
            any = true
        }
        return any && previous != 0x2D
    }
    return s.utf8.withContiguousStorageIfAvailable { check($0) } ?? check(s.utf8)
}

/// Voice names pick a folder; refuse anything that could leave the voice directories.
func isAcceptableVoiceName(_ s: String) -> Bool {
    !s.isEmpty && s.utf8.count <= 255 && !s.hasPrefix(".")
        && !s.unicodeScalars.contains { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }
}

/// Typed access to one command's `args` members.
private struct Arguments {
    let command: String
    let members: [(String, JSON)]

    init(_ command: String, _ members: [(String, JSON)], accepted: [String], required: [String]) throws(ProtocolError) {
        self.command = command
        self.members = members
        for (key, _) in members where !accepted.contains(key) {
            let list = accepted.isEmpty ? "\(command) takes no arguments" : "\(command) accepts: " + accepted.joined(separator: ", ")
            throw ProtocolError(.badType, "unknown argument \(quoted(key)) for \(command); \(list)")
        }
        for key in required where self[key] == nil {
            throw ProtocolError(.missingArgument, "\(command) needs argument \"\(key)\"")
        }
    }

    static func none(_ command: String, _ members: [(String, JSON)]) throws(ProtocolError) {
        _ = try Arguments(command, members, accepted: [], required: [])
    }

    subscript(key: String) -> JSON? { members.first { $0.0 == key }?.1 }

    private func typeError(_ key: String, _ expected: String, _ got: JSON) -> ProtocolError {
        ProtocolError(.badType, "argument \"\(key)\" of \(command) must be \(expected), not \(describeType(got))")
    }

    /// Integers are accepted where a number is expected.
    func number(_ key: String, in range: ClosedRange<Double>) throws(ProtocolError) -> Double? {
        guard let v = self[key] else { return nil }
        let d: Double
        switch v {
        case .int(let i): d = Double(i)
        case .double(let x): d = x
        default: throw typeError(key, "a number", v)
        }
        guard d.isFinite, range.contains(d) else {
            let got: String
            switch v {
            case .int(let i): got = String(i)
            default: got = d.isFinite ? JSON.double(d).compact : "a number beyond the floating-point range"
            }
            throw ProtocolError(.outOfRange, "argument \"\(key)\" of \(command) must be between \(JSON.double(range.lowerBound).compact) and \(JSON.double(range.upperBound).compact), got \(got)")
        }
        return d
    }

    /// A length: a number of seconds, or a string such as "600", "10m", "1h5m".
    func length(_ key: String, in range: ClosedRange<Double>) throws(ProtocolError) -> Double? {
        guard let v = self[key] else { return nil }
        guard case .string(let text) = v else { return try number(key, in: range) }
        guard let seconds = parseLength(text) else {
            throw ProtocolError(.badType, "argument \(quoted(key)) of \(command) must be seconds or a length such as \"10m\" or \"1h5m\", not \(quoted(text))")
        }
        guard range.contains(seconds) else {
            throw ProtocolError(.outOfRange, "argument \(quoted(key)) of \(command) must be \(formatNumber(range.lowerBound)) to \(formatNumber(range.upperBound)) seconds, not \(quoted(text))")
        }
        return seconds
    }

    func string(_ key: String) throws(ProtocolError) -> String? {
        guard let v = self[key] else { return nil }
        guard case .string(let s) = v else { throw typeError(key, "a string", v) }
        return s
    }

    /// An exercise number (1-based) or an exercise id.
    func exercise(_ key: String) throws(ProtocolError) -> ExerciseTarget? {
        guard let v = self[key] else { return nil }
        switch v {
        case .int(let n):
            guard ArgumentLimits.exerciseIndex.contains(n) else {
                throw ProtocolError(.outOfRange, "argument \"\(key)\" of \(command) must be an exercise number from 1, or an exercise id, not \(n)")
            }
            return .index(Int(n))
        case .string(let s):
            guard isSessionID(s) else {
                throw ProtocolError(.outOfRange, "argument \"\(key)\" of \(command) must be an exercise id (lowercase letters, digits and single dashes), not \(quoted(s))")
            }
            return .id(s)
        default:
            throw typeError(key, "an exercise number or id", v)
        }
    }

    func bool(_ key: String) throws(ProtocolError) -> Bool? {
        guard let v = self[key] else { return nil }
        guard case .bool(let b) = v else { throw typeError(key, "true or false", v) }
        return b
    }
}
