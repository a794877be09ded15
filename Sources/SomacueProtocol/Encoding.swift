import SomacueCore

// Writers for every line of the protocol. Each returns one compact JSON line WITHOUT the
// trailing newline; the caller appends "\n" when it sends.

private func idJSON(_ id: Int64?) -> JSON { id.map(JSON.int) ?? .null }

/// Appends `fields` to `members`, skipping keys already present (a line never repeats a key).
private func appendUnique(_ fields: [(String, JSON)], to members: inout [(String, JSON)]) {
    for (key, value) in fields where !members.contains(where: { $0.0 == key }) {
        members.append((key, value))
    }
}

/// `{"somacue": <protocolVersion>, "version": "<appVersion>"}`, sent by the daemon on connect.
public func greeting(appVersion: String) -> String {
    JSON.object([("somacue", .int(Int64(protocolVersion))), ("version", .string(appVersion))]).compact
}

/// `{"id": id, "ok": true, "data": data}`; `.null` data is written as `{}`.
public func encodeReply(id: Int64?, data: JSON) -> String {
    let payload: JSON = if case .null = data { .object([]) } else { data }
    return JSON.object([("id", idJSON(id)), ("ok", .bool(true)), ("data", payload)]).compact
}

/// `{"id": id, "ok": false, "error": {"code": …, "message": …, …extra}}`. Extra members named
/// `code` or `message`, or repeating an earlier key, are left out.
public func encodeError(id: Int64?, _ error: ProtocolError) -> String {
    var members: [(String, JSON)] = [("code", .string(error.code.rawValue)), ("message", .string(error.message))]
    appendUnique(error.extra, to: &members)
    return JSON.object([("id", idJSON(id)), ("ok", .bool(false)), ("error", .object(members))]).compact
}

/// `{"event": name, …fields}`. A field named `event`, or repeating an earlier key, is left out.
public func encodeEvent(_ name: EventName, _ fields: [(String, JSON)]) -> String {
    var members: [(String, JSON)] = [("event", .string(name.rawValue))]
    appendUnique(fields, to: &members)
    return JSON.object(members).compact
}

/// `{"id": id, "cmd": …, "args": {…}}` for clients; `args` is left out when there are none.
public func encodeRequest(id: Int64, command: Command) -> String {
    var members: [(String, JSON)] = [("id", .int(id)), ("cmd", .string(command.name))]
    let args = arguments(of: command)
    if !args.isEmpty { members.append(("args", .object(args))) }
    return JSON.object(members).compact
}

/// The `args` members of a command, as `parseRequest` reads them.
public func arguments(of command: Command) -> [(String, JSON)] {
    var a = JSONObject()
    switch command {
    case .start(let s):
        a.set("session", s.session)
        a.set("tempo", s.tempo)
        a.set("voice", s.voice)
        a.set("lead_in", s.leadIn)
        a.set("replace", s.replace)
        a.set("fit", s.fit)
        a.set("at", s.at?.json)
    case .stopAfterExercise:
        a.set("after_exercise", true)
    case .goto(let target):
        a.set("exercise", target.json)
    case .tempo(.set(let v)):
        a.set("value", v)
    case .tempo(.step(let v)):
        a.set("step", v)
    case .volume(let c, let v):
        a.set("class", c.rawValue)
        a.set("value", v)
    case .seek(let position):
        a.set("position", position)
    case .subscribe(let events?):
        a.set("events", JSON.array(events.map { .string($0.rawValue) }))
    case .subscribe(nil), .pause, .resume, .toggle, .stop, .next, .prev, .whereAmI, .status, .sessions, .voices, .ping, .reload:
        break
    }
    return a.members
}
