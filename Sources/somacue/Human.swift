import SomacueCore

// The human forms of replies and events: short, calm lines. Every key may be absent (the daemon
// leaves out what it does not know), so each reader returns an optional.

extension JSON {
    var asString: String? { if case .string(let s) = self { s } else { nil } }
    var asNumber: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
    var asInt: Int? {
        switch self {
        case .int(let i): Int(exactly: i)
        case .double(let d): d == d.rounded() ? Int(checked: d) : nil
        default: nil
        }
    }
    subscript(path first: String, _ rest: String...) -> JSON? {
        var value = self[first]
        for key in rest { value = value?[key] }
        return value
    }
}

enum Human {
    /// 0:00, 12:04, 1:02:03 (seconds rounded down).
    static func clock(_ seconds: Double) -> String {
        let s = seconds.isFinite ? max(0, Int(saturating: seconds, rounding: .down)) : 0
        func two(_ x: Int) -> String { x < 10 ? "0\(x)" : "\(x)" }
        if s >= 3600 { return "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" }
        return "\(s / 60):\(two(s % 60))"
    }

    /// 1, 0.9, 1.25: the shortest form of a number.
    static func number(_ x: Double) -> String { JSON.double(x).compact }

    /// `[#########-------------------]` for a fraction of 0...1.
    static func bar(_ fraction: Double, width: Int = 28) -> String {
        let f = fraction.isFinite ? min(1, max(0, fraction)) : 0
        let filled = Int(saturating: f * Double(width))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    /// "Back Lift (2/10)", or nil without an exercise title.
    static func exercise(_ e: JSON?) -> String? {
        guard let title = e?["title"]?.asString else { return nil }
        if let index = e?["index"]?.asInt, let count = e?["count"]?.asInt { return "\(title) (\(index)/\(count))" }
        return title
    }

    /// "rep 2/3", "rep 2", or nil.
    static func rep(_ rep: JSON?, _ reps: JSON?) -> String? {
        guard let r = rep?.asInt else { return nil }
        if let n = reps?.asInt { return "rep \(r)/\(n)" }
        return "rep \(r)"
    }

    /// The human `status`, fitted to `width` columns (no line ever reaches the last column, so a
    /// terminal never wraps it): state and session, a progress bar with the times, where in the
    /// session, then the voice and volumes. While idle: "idle", then the voice, volumes and tempo
    /// the next session gets.
    static func status(_ s: JSON, width: Int = 80) -> String {
        let state = s["state"]?.asString ?? "unknown"
        var sound: [String] = []
        if let voice = s["voice"]?.asString { sound.append("voice \(voice)") }
        if let v = volumes(s["volume"], separator: ", ") { sound.append("volume " + v) }
        if state == "idle" {
            if let tempo = s["tempo"]?.asNumber { sound.append("tempo \(number(tempo))") }
            return "idle\n" + wrap(sound, width)
        }
        var out = fit(state.padding(to: 7) + "  " + (s[path: "session", "title"]?.asString ?? s[path: "session", "id"]?.asString ?? ""), width) + "\n"
        let elapsed = s[path: "session", "elapsed"]?.asNumber
        let duration = s[path: "session", "duration"]?.asNumber
        let remaining = s[path: "session", "remaining"]?.asNumber ?? {
            if let elapsed, let duration { return max(0, duration - elapsed) }
            return nil
        }()
        if let elapsed, let duration {
            let fraction = duration > 0 ? elapsed / duration : 0
            out += fit(barLine(fraction, elapsed: elapsed, duration: duration, remaining: remaining, width: width), width) + "\n"
        } else if let remaining {
            out += "\(clock(remaining)) left\n"
        }
        var parts: [String] = []
        if let e = exercise(s["exercise"]) { parts.append(e) }
        if let phase = s[path: "phase", "name"]?.asString { parts.append(phase) }
        if let r = rep(s["rep"], s["reps"]) { parts.append(r) }
        if let side = s["side"]?.asString { parts.append(side) }
        if let tempo = s["tempo"]?.asNumber { parts.append("tempo \(number(tempo))") }
        out += wrap(parts, width)
        if let then = s[path: "waiting", "then"]?.asString {
            out += wrap(["The audio device is gone;", "\(then == "paused" ? "staying paused" : "playing on") from this phase's start once it is back."], width, separator: " ")
        }
        if s["restored"] == .bool(true) {
            out += wrap(["Brought back after the daemon restarted;", "`somacue resume` continues."], width, separator: " ")
        }
        return out + wrap(sound, width)
    }

    /// `[#####-----]  10:02 / 33:17  (23:15 left)` in at most `width - 1` columns: the bar takes
    /// what the times leave (up to 28 columns inside the brackets); on a narrow terminal the
    /// time left goes first, then the bar.
    static func barLine(_ fraction: Double, elapsed: Double, duration: Double, remaining: Double?, width: Int) -> String {
        let room = width - 1
        var times = "\(clock(elapsed)) / \(clock(duration))"
        if let remaining { times += "  (\(clock(remaining)) left)" }
        if room - 4 - times.count < 10 { times = "\(clock(elapsed)) / \(clock(duration))" }
        let barWidth = min(28, room - 4 - times.count)
        return barWidth >= 4 ? bar(fraction, width: barWidth) + "  " + times : times
    }

    /// `text` cut to `width - 1` columns, ending in "…" when it was cut (counted in characters;
    /// the texts are short and have no wide characters).
    static func fit(_ text: String, _ width: Int) -> String {
        let room = max(8, width - 1)
        return text.count <= room ? text : String(text.prefix(room - 1)) + "…"
    }

    /// The parts joined by " · ", broken between parts into lines of at most `width - 1`
    /// columns (a part longer than that alone is cut); "" for no parts.
    static func wrap(_ parts: [String], _ width: Int, separator: String = " · ") -> String {
        var out = ""
        var line = ""
        for part in parts {
            if line.isEmpty {
                line = part
            } else if line.count + separator.count + part.count <= max(8, width - 1) {
                line += separator + part
            } else {
                out += fit(line, width) + "\n"
                line = part
            }
        }
        return line.isEmpty ? out : out + fit(line, width) + "\n"
    }

    /// "Back Lift (2/10) · contract · rep 1/3 · left", from a status object (for next/prev).
    static func position(_ s: JSON) -> String? {
        var parts: [String] = []
        if let e = exercise(s["exercise"]) { parts.append(e) }
        if let phase = s[path: "phase", "name"]?.asString { parts.append(phase) }
        if let r = rep(s["rep"], s["reps"]) { parts.append(r) }
        if let side = s["side"]?.asString { parts.append(side) }
        return parts.isEmpty ? nil : parts.joined(separator: " · ")
    }

    /// "master 1 · voice 0.8 · tone 0.6" from an object with those keys.
    static func volumes(_ v: JSON?, separator: String = " · ") -> String? {
        let parts = ["master", "voice", "tone"].compactMap { key in v?[key]?.asNumber.map { "\(key) \(number($0))" } }
        return parts.isEmpty ? nil : parts.joined(separator: separator)
    }

    /// One line per event for `follow`.
    static func event(_ e: JSON) -> String {
        let name = e["event"]?.asString ?? "?"
        var text: String?
        switch name {
        case "state":
            text = e["state"]?.asString
        case "exercise":
            text = exercise(e["exercise"])
        case "phase":
            var parts: [String] = []
            if let ex = exercise(e["exercise"]) { parts.append(ex) }
            if let phase = e["phase"]?.asString { parts.append(phase) }
            if let r = rep(e["rep"], e["reps"] ?? e[path: "exercise", "reps"]) { parts.append(r) }
            if let side = e["side"]?.asString { parts.append(side) }
            if !parts.isEmpty {
                text = parts.joined(separator: " · ")
                if let elapsed = e["elapsed"]?.asNumber { text! += "  (at \(clock(elapsed)))" }
            }
        case "cue":
            if let cue = e["cue"]?.asString {
                text = cue + (e["kind"]?.asString.map { " (\($0))" } ?? "")
            }
        case "finished":
            let reason = e["reason"]?.asString.map { " (\($0))" } ?? ""
            text = (e["session"]?.asString ?? "session") + reason
        case "error":
            if let code = e["code"]?.asString { text = code + (e["message"]?.asString.map { ": " + $0 } ?? "") }
        case "tempo":
            text = e["tempo"]?.asNumber.map(number)
        case "volume":
            text = volumes(e)
        default:
            break
        }
        if text == nil {
            // Unknown events, or known ones with unexpected fields: show the fields as JSON.
            guard case .object(let members) = e else { return name }
            let rest = JSON.object(members.filter { $0.0 != "event" })
            text = rest.compact
        }
        return name.padding(to: 8) + " " + text!
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
