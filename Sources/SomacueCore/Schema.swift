/// Reads typed values out of a parsed TOML table and collects diagnostics with positions:
/// wrong type, out of range, missing, unknown keys (with a "did you mean").
///
/// The model types (config, exercise, session, manifest) are built with it so that every
/// semantic problem carries file:line:col, which `Decodable` over a TOML library cannot give.
public struct SchemaReader {
    public let file: String
    public private(set) var diagnostics: [Diagnostic] = []

    public init(file: String) { self.file = file }

    public mutating func error(_ message: String, at position: SourcePosition?) {
        diagnostics.append(Diagnostic(file: file, position: position, severity: .error, message: message))
    }
    public mutating func warning(_ message: String, at position: SourcePosition?) {
        diagnostics.append(Diagnostic(file: file, position: position, severity: .warning, message: message))
    }

    /// Reports every key of `table` that is not in `known`, suggesting the closest known key.
    public mutating func rejectUnknownKeys(in table: TOMLTable, path: String, known: [String]) {
        for entry in table.entries where !known.contains(entry.key) {
            let full = path.isEmpty ? entry.key : "\(path).\(entry.key)"
            var message = "unknown key \"\(full)\""
            if let best = closestMatch(entry.key, in: known) {
                message += "; did you mean \"\(path.isEmpty ? best : "\(path).\(best)")\"?"
            } else if !known.isEmpty {
                message += " (expected one of: \(known.joined(separator: ", ")))"
            }
            error(message, at: entry.keyPosition)
        }
    }

    private func describe(_ node: TOMLNode) -> String {
        switch node.value {
        case .string(let s): "string \"\(s)\""
        case .integer(let i): "integer \(i)"
        case .float(let d): "float \(formatNumber(d))"
        case .boolean(let b): "boolean \(b)"
        case .dateTime: "a date-time"
        case .array: "an array"
        case .table: "a table"
        }
    }

    public mutating func table(_ table: TOMLTable, _ key: String, path: String, required: Bool = false) -> TOMLTable? {
        guard let node = table[key] else {
            if required { error("missing table [\(join(path, key))]", at: table.position) }
            return nil
        }
        guard case .table(let t) = node.value else {
            error("\(join(path, key)): expected a table, found \(describe(node))", at: node.position)
            return nil
        }
        return t
    }

    public mutating func string(_ table: TOMLTable, _ key: String, path: String, required: Bool = false, nonEmpty: Bool = true) -> String? {
        guard let node = table[key] else {
            if required { error("missing key \"\(join(path, key))\" (a string)", at: table.position) }
            return nil
        }
        guard case .string(let s) = node.value else {
            error("\(join(path, key)): expected a string, found \(describe(node))", at: node.position)
            return nil
        }
        if nonEmpty && s.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\n" }) {
            error("\(join(path, key)): must not be empty", at: node.position)
            return nil
        }
        return s
    }

    public mutating func bool(_ table: TOMLTable, _ key: String, path: String) -> Bool? {
        guard let node = table[key] else { return nil }
        guard case .boolean(let b) = node.value else {
            error("\(join(path, key)): expected true or false, found \(describe(node))", at: node.position)
            return nil
        }
        return b
    }

    public mutating func integer(_ table: TOMLTable, _ key: String, path: String, range: ClosedRange<Int64>) -> Int64? {
        guard let node = table[key] else { return nil }
        guard case .integer(let i) = node.value else {
            error("\(join(path, key)): expected an integer \(range.lowerBound) to \(range.upperBound), found \(describe(node))", at: node.position)
            return nil
        }
        guard range.contains(i) else {
            error("\(join(path, key)): expected an integer \(range.lowerBound) to \(range.upperBound), found \(i)", at: node.position)
            return nil
        }
        return i
    }

    /// A number (integer or float) within `range`.
    public mutating func number(_ table: TOMLTable, _ key: String, path: String, range: ClosedRange<Double>, unit: String = "") -> Double? {
        guard let node = table[key] else { return nil }
        let value: Double
        switch node.value {
        case .integer(let i): value = Double(i)
        case .float(let d): value = d
        default:
            error("\(join(path, key)): expected a number \(rangeText(range, unit)), found \(describe(node))", at: node.position)
            return nil
        }
        guard value.isFinite, range.contains(value) else {
            error("\(join(path, key)): expected a number \(rangeText(range, unit)), found \(formatNumber(value))", at: node.position)
            return nil
        }
        return value
    }

    public mutating func choice(_ table: TOMLTable, _ key: String, path: String, options: [String]) -> String? {
        guard let node = table[key] else { return nil }
        guard case .string(let s) = node.value else {
            error("\(join(path, key)): expected one of \(options.map { "\"\($0)\"" }.joined(separator: ", ")), found \(describe(node))", at: node.position)
            return nil
        }
        guard options.contains(s) else {
            var message = "\(join(path, key)): expected one of \(options.map { "\"\($0)\"" }.joined(separator: ", ")), found \"\(s)\""
            if let best = closestMatch(s, in: options) { message += "; did you mean \"\(best)\"?" }
            error(message, at: node.position)
            return nil
        }
        return s
    }

    private func rangeText(_ r: ClosedRange<Double>, _ unit: String) -> String {
        let u = unit.isEmpty ? "" : " \(unit)"
        if r.upperBound == .greatestFiniteMagnitude { return "of at least \(formatNumber(r.lowerBound))\(u)" }
        return "from \(formatNumber(r.lowerBound)) to \(formatNumber(r.upperBound))\(u)"
    }
}

func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

/// The candidate with the smallest edit distance, if it is close enough to be a plausible typo.
public func closestMatch(_ word: String, in candidates: [String]) -> String? {
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(word.lowercased(), c.lowercased())
        if d <= max(2, c.count / 3), best == nil || d < best!.1 { best = (c, d) }
    }
    return best?.0
}

public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}

/// Parses TOML text and converts a syntax error into a positioned diagnostic.
public func parseTOMLFile(_ text: String, file: String) -> Result<TOMLTable, DiagnosticsError> {
    do {
        return .success(try parseTOML(text))
    } catch {
        return .failure(DiagnosticsError([Diagnostic(file: file, position: error.position, message: error.message)]))
    }
}
