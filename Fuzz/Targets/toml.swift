// Fuzz target: the TOML parser (SomacueCore).
//
// Invariants checked:
// - the two entry points (bytes and String) agree;
// - positions of values, keys and errors lie inside the document;
// - a parsed document, written back as TOML by `TOMLWriter`, parses to the same values.
import SomacueCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTOML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let lines = lineCount(bytes)
    let parsed: TOMLTable
    do {
        parsed = try parseTOML(utf8: bytes)
    } catch {
        require(error.position.line >= 1 && error.position.line <= lines && error.position.column >= 1,
                "error position \(error.position) outside a \(lines)-line input")
        require(!error.message.isEmpty, "empty error message")
        _ = error.description
        return 0
    }
    // Valid UTF-8, so the String entry point sees the same text and must agree.
    let text = String(decoding: bytes, as: UTF8.self)
    do {
        let again = try parseTOML(text)
        require(sameTable(parsed, again), "parseTOML(String) and parseTOML(utf8:) differ")
    } catch {
        require(false, "parseTOML(String) failed where parseTOML(utf8:) succeeded: \(error)")
    }
    checkPositions(parsed, lines: lines)

    var writer = TOMLWriter()
    let written = writer.document(parsed)
    do {
        let reparsed = try parseTOML(written)
        require(sameTable(parsed, reparsed), "written document parses to other values:\n\(written)")
    } catch {
        // Arrays of tables nest one level deeper when written inline; only the depth limit may
        // refuse the written form.
        require(error.message.contains("nested too deeply"), "written document does not parse: \(error)\n\(written)")
    }
    return 0
}

private func checkPositions(_ table: TOMLTable, lines: Int) {
    func ok(_ p: SourcePosition) -> Bool { p.line >= 1 && p.line <= lines && p.column >= 1 }
    func visit(_ node: TOMLNode) {
        require(ok(node.position), "value position \(node.position) outside a \(lines)-line input")
        switch node.value {
        case .table(let t): visitTable(t)
        case .array(let items): items.forEach(visit)
        default: break
        }
    }
    func visitTable(_ t: TOMLTable) {
        require(ok(t.position), "table position \(t.position) outside a \(lines)-line input")
        for e in t.entries {
            require(ok(e.keyPosition), "key position \(e.keyPosition) outside a \(lines)-line input")
            visit(e.node)
        }
    }
    visitTable(table)
}

// MARK: - Value comparison (positions ignored)

func sameTable(_ a: TOMLTable, _ b: TOMLTable) -> Bool {
    guard a.entries.count == b.entries.count else { return false }
    for (x, y) in zip(a.entries, b.entries) where x.key != y.key || !sameValue(x.node.value, y.node.value) {
        return false
    }
    return true
}

func sameValue(_ a: TOMLValue, _ b: TOMLValue) -> Bool {
    switch (a, b) {
    case let (.string(x), .string(y)): x == y
    case let (.integer(x), .integer(y)): x == y
    case let (.float(x), .float(y)): (x.isNaN && y.isNaN) || (x == y && x.sign == y.sign)
    case let (.boolean(x), .boolean(y)): x == y
    case let (.dateTime(x), .dateTime(y)): x == y
    case let (.array(x), .array(y)): x.count == y.count && zip(x, y).allSatisfy { sameValue($0.value, $1.value) }
    case let (.table(x), .table(y)): sameTable(x, y)
    default: false
    }
}

// MARK: - Writing TOML back

/// Writes a parsed document as TOML: the root's keys as `"key" = value` lines, every nested
/// table inline, every string as an escaped basic string.
struct TOMLWriter {
    var out = ""

    mutating func document(_ root: TOMLTable) -> String {
        out = ""
        for e in root.entries {
            key(e.key)
            out += " = "
            value(e.node.value)
            out += "\n"
        }
        return out
    }

    mutating func key(_ k: String) { string(k) }

    mutating func string(_ s: String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20 || u.value == 0x7F:
                let hex = String(u.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }

    mutating func value(_ v: TOMLValue) {
        switch v {
        case .string(let s): string(s)
        case .integer(let i): out += String(i)
        case .float(let d):
            if d.isNaN { out += "nan" } else if d.isInfinite { out += d < 0 ? "-inf" : "inf" } else { out += d.description }
        case .boolean(let b): out += b ? "true" : "false"
        case .dateTime(let t): dateTime(t)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                value(item.value)
            }
            out += "]"
        case .table(let t):
            out += "{"
            for (i, e) in t.entries.enumerated() {
                out += i > 0 ? ", " : " "
                key(e.key)
                out += " = "
                value(e.node.value)
            }
            out += t.entries.isEmpty ? "}" : " }"
        }
    }

    mutating func dateTime(_ t: TOMLDateTime) {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let date = "\(pad(t.year, 4))-\(pad(t.month, 2))-\(pad(t.day, 2))"
        var time = "\(pad(t.hour, 2)):\(pad(t.minute, 2)):\(pad(t.second, 2))"
        if !t.fraction.isEmpty { time += "." + t.fraction }
        switch t.kind {
        case .localDate: out += date
        case .localTime: out += time
        case .localDateTime: out += date + "T" + time
        case .offsetDateTime:
            out += date + "T" + time
            let m = t.offsetMinutes ?? 0
            out += m == 0 ? "Z" : (m < 0 ? "-" : "+") + pad(abs(m) / 60, 2) + ":" + pad(abs(m) % 60, 2)
        }
    }
}
