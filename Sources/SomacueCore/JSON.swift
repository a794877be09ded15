/// A small JSON value type with ordered object keys and a writer, so that outputs need no
/// Foundation (which would cost the daemon ~11 MB of resident memory and the CLI start-up time).
public indirect enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case let (.bool(x), .bool(y)): x == y
        case let (.int(x), .int(y)): x == y
        case let (.double(x), .double(y)): x == y
        case let (.string(x), .string(y)): x == y
        case let (.array(x), .array(y)): x == y
        case let (.object(x), .object(y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    public subscript(key: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// Compact single-line form (the protocol's wire form).
    public var compact: String {
        var out = ""
        write(into: &out, indent: nil, level: 0)
        return out
    }

    /// Indented form for people.
    public var pretty: String {
        var out = ""
        write(into: &out, indent: "  ", level: 0)
        return out
    }

    private func write(into out: inout String, indent: String?, level: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += JSON.format(d)
        case .string(let s): JSON.escape(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                JSON.newline(&out, indent, level + 1)
                item.write(into: &out, indent: indent, level: level + 1)
            }
            JSON.newline(&out, indent, level)
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                JSON.newline(&out, indent, level + 1)
                JSON.escape(key, into: &out)
                out += indent == nil ? ":" : ": "
                value.write(into: &out, indent: indent, level: level + 1)
            }
            JSON.newline(&out, indent, level)
            out += "}"
        }
    }

    private static func newline(_ out: inout String, _ indent: String?, _ level: Int) {
        guard let indent else { return }
        out += "\n"
        for _ in 0..<level { out += indent }
    }

    /// Doubles: integral values keep a ".0"-free integer form only when exact; non-finite
    /// values are not representable in JSON and become null.
    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == d.rounded(), abs(d) < 1e15, let i = Int64(checked: d) { return String(i) }
        return d.description
    }

    static func escape(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

/// Builds objects while leaving out keys whose value is nil (never `null` for "unknown").
public struct JSONObject {
    public private(set) var members: [(String, JSON)] = []
    public init() {}
    public mutating func set(_ key: String, _ value: JSON?) {
        if let value { members.append((key, value)) }
    }
    public mutating func set(_ key: String, _ value: String?) { set(key, value.map(JSON.string)) }
    public mutating func set(_ key: String, _ value: Int?) { set(key, value.map { JSON.int(Int64($0)) }) }
    public mutating func set(_ key: String, _ value: Int64?) { set(key, value.map(JSON.int)) }
    public mutating func set(_ key: String, _ value: Double?) { set(key, value.map(JSON.double)) }
    public mutating func set(_ key: String, _ value: Bool?) { set(key, value.map(JSON.bool)) }
    public var json: JSON { .object(members) }
}

extension Timeline {
    /// The `timeline --json` object.
    public var json: JSON {
        var root = JSONObject()
        root.set("session", sessionID)
        root.set("title", sessionTitle)
        root.set("sampleRate", sampleRate.hz)
        root.set("tempo", tempo.value)
        root.set("frames", frames.value)
        root.set("seconds", sampleRate.seconds(frames))
        root.set("events", JSON.array(events.map { e in
            var o = JSONObject()
            o.set("frame", e.frame.value)
            o.set("frames", e.frames.value)
            o.set("cue", e.cue.rawValue)
            o.set("kind", e.kind.rawValue)
            o.set("source", e.source)
            o.set("gain", e.gain)
            o.set("exercise", e.exercise)
            o.set("phase", e.phase.rawValue)
            o.set("side", e.side?.rawValue)
            o.set("rep", e.rep)
            return o.json
        }))
        root.set("segments", JSON.array(segments.map { s in
            var o = JSONObject()
            o.set("frame", s.frame.value)
            o.set("frames", s.frames.value)
            o.set("exercise", s.exercise)
            o.set("phase", s.phase.rawValue)
            o.set("side", s.side?.rawValue)
            o.set("rep", s.rep)
            o.set("tempo", s.tempo.value)
            return o.json
        }))
        return root.json
    }
}
