/// TTS on demand: the config's `[tts]` table. `command` is an argument vector (never a shell
/// string) with placeholders `{text}`, `{out}` and `{model}`; `stdin`, when given, is written to
/// the program's standard input after the same substitution.
public struct TTSConfig: Sendable, Equatable {
    public var command: [String]
    public var stdin: String?
    public var model: String?

    public init(command: [String], stdin: String? = nil, model: String? = nil) {
        self.command = command
        self.stdin = stdin
        self.model = model
    }

    public static let placeholders = ["text", "out", "model"]

    /// Text as TTS programs should get it: one line (Piper reads each line as an utterance),
    /// runs of whitespace as one space, no control characters.
    public static func oneLine(_ text: String) -> String {
        var out = ""
        var space = false
        for ch in text.unicodeScalars {
            if ch.properties.isWhitespace || ch.value < 0x20 || ch.value == 0x7F {
                space = !out.isEmpty
            } else {
                if space { out += " " }
                space = false
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Substitutes the placeholders in one template string, in a single pass over the template,
    /// so text that itself contains "{out}" is never substituted again.
    public static func substitute(_ template: String, text: String, out: String, model: String?) -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let after = rest[rest.index(after: open)...]
            if let close = after.firstIndex(of: "}") {
                let name = after[..<close]
                let value: String? = switch name {
                case "text": text
                case "out": out
                case "model": model
                default: nil
                }
                if let value {
                    result += value
                    rest = after[after.index(after: close)...]
                    continue
                }
            }
            result += "{"
            rest = after
        }
        return result + rest
    }

    /// The argument vector and standard input for one utterance. Spoken text that would start
    /// with "-" as an argument gets a leading space, so no program can take it for an option.
    public func expand(text: String, out: String) -> (argv: [String], stdin: String?) {
        let line = Self.oneLine(text)
        let asArgument = line.hasPrefix("-") ? " " + line : line
        let argv = command.map { Self.substitute($0, text: asArgument, out: out, model: model) }
        let input = stdin.map { Self.substitute($0, text: line, out: out, model: model) + "\n" }
        return (argv, input)
    }

    /// The cache key: the template, the voice, and the text (FNV-1a, 64 bits, hex).
    public func cacheKey(voice: String, text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ s: String) {
            for b in s.utf8 { h ^= UInt64(b); h = h &* 0x0000_0100_0000_01B3 }
            h ^= 0xFF; h = h &* 0x0000_0100_0000_01B3  // separator
        }
        for part in command { mix(part) }
        mix("stdin:" + (stdin ?? "-"))
        mix("model:" + (model ?? "-"))
        mix("voice:" + voice)
        mix(Self.oneLine(text))
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Reads `[tts]`: `command` (array of strings, needs `{out}`), `stdin`, `model`.
func readTTS(_ t: TOMLTable, reader r: inout SchemaReader) -> TTSConfig? {
    r.rejectUnknownKeys(in: t, path: "tts", known: ["command", "stdin", "model"])
    var command: [String] = []
    guard let node = t["command"] else {
        r.error("tts.command: missing; give the program and its arguments as an array, e.g. [\"espeak-ng\", \"-w\", \"{out}\", \"--\", \"{text}\"]", at: t.position)
        return nil
    }
    guard case .array(let items) = node.value, !items.isEmpty else {
        r.error("tts.command: expected a non-empty array of strings (an argument vector, never a shell line)", at: node.position)
        return nil
    }
    for item in items {
        guard case .string(let s) = item.value else {
            r.error("tts.command: every element must be a string, found \(item.value.typeName)", at: item.position)
            return nil
        }
        command.append(s)
    }
    let stdin = r.string(t, "stdin", path: "tts")
    let model = r.string(t, "model", path: "tts")
    let all = command + (stdin.map { [$0] } ?? [])
    func uses(_ p: String) -> Bool { all.contains { $0.contains("{\(p)}") } }
    if command[0].isEmpty || command[0].contains("{") {
        r.error("tts.command: the first element must be the program, not a placeholder", at: items[0].position)
    }
    if !command.contains(where: { $0.contains("{out}") }) {
        r.error("tts.command: needs {out}, the file the program writes", at: node.position)
    }
    if !uses("text") {
        r.error("tts: {text} appears neither in command nor in stdin, so the program would never get the words", at: node.position)
    }
    if uses("model") && model == nil {
        r.error("tts: {model} is used but tts.model is not set", at: node.position)
    }
    return TTSConfig(command: command, stdin: stdin, model: model)
}
