import SomacueCore

// A strict RFC 8259 JSON reader over bytes, with no Foundation. It rejects everything RFC 8259
// does not allow (trailing commas, comments, NaN/Infinity, leading zeros, single quotes,
// unescaped control characters, lone surrogates in \u escapes) plus two limits of its own:
// duplicate keys and nesting deeper than `maxJSONDepth` containers.

/// The deepest nesting of arrays and objects `parseJSON` accepts (a top-level object is depth 1).
public let maxJSONDepth = 64

public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case invalidUTF8, nulByte, empty, unexpectedEnd, unexpectedByte, trailingComma, invalidNumber,
             invalidEscape, loneSurrogate, controlCharacter, duplicateKey, tooDeep, trailingData
    }
    public var kind: Kind
    /// Byte offset (0-based) in the input where the problem was found.
    public var offset: Int
    /// Human-readable reason, without the offset.
    public var reason: String

    public init(_ kind: Kind, at offset: Int, _ reason: String) {
        self.kind = kind
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(reason) (at byte \(offset))" }
}

/// Parses one complete JSON text (any value at the top level, surrounded by optional whitespace).
/// The input must be valid UTF-8. Integral number tokens that fit Int64 become `.int`; every
/// other number becomes `.double` (a magnitude beyond Double's range becomes ±infinity).
public func parseJSON(_ bytes: some Collection<UInt8>) throws(JSONSyntaxError) -> JSON {
    let result: Result<JSON, JSONSyntaxError> = withContiguousBytes(bytes) { buffer in
        if let bad = firstInvalidUTF8(buffer) {
            return .failure(JSONSyntaxError(.invalidUTF8, at: bad, "invalid UTF-8"))
        }
        var parser = StrictJSONParser(buffer)
        return Result { () throws(JSONSyntaxError) in try parser.parseDocument() }
    }
    return try result.get()
}

/// Runs `body` over the bytes as one contiguous buffer, copying only when the collection is not
/// contiguous already.
@inline(__always)
func withContiguousBytes<C: Collection<UInt8>, R>(_ bytes: C, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    if let r = bytes.withContiguousStorageIfAvailable(body) { return r }
    return Array(bytes).withUnsafeBufferPointer(body)
}

/// The offset of the first byte that does not belong to a well-formed UTF-8 sequence (no overlong
/// forms, no surrogates, nothing above U+10FFFF), or nil when all of it is valid.
func firstInvalidUTF8(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
    let n = b.count
    guard let base = b.baseAddress else { return nil }
    let raw = UnsafeRawPointer(base)
    var i = 0
    while i < n {
        // ASCII fast path: eight bytes at a time.
        while i + 8 <= n && raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8 }
        guard i < n else { break }
        let c = b[i]
        if c < 0x80 { i += 1; continue }
        var need: Int
        var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
        switch c {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: need = 2; hi = 0x9F
        case 0xF0: need = 3; lo = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; hi = 0x8F
        default: return i
        }
        guard i + need < n else { return i }
        let second = b[i + 1]
        guard second >= lo && second <= hi else { return i }
        var k = 2
        while k <= need {
            guard b[i + k] & 0xC0 == 0x80 else { return i }
            k += 1
        }
        i += need + 1
    }
    return nil
}

/// The offset of the first 0x00 byte, or nil; checks eight bytes at a time.
func firstNulByte(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
    let n = b.count
    guard let base = b.baseAddress else { return nil }
    let raw = UnsafeRawPointer(base)
    var i = 0
    while i + 8 <= n {
        let v = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        // Non-zero exactly when some byte of v is zero.
        if (v &- 0x0101_0101_0101_0101) & ~v & 0x8080_8080_8080_8080 != 0 { break }
        i += 8
    }
    while i < n {
        if b[i] == 0 { return i }
        i += 1
    }
    return nil
}

private enum Byte {
    static let quote: UInt8 = 0x22, backslash: UInt8 = 0x5C, slash: UInt8 = 0x2F
    static let comma: UInt8 = 0x2C, colon: UInt8 = 0x3A
    static let openBrace: UInt8 = 0x7B, closeBrace: UInt8 = 0x7D
    static let openBracket: UInt8 = 0x5B, closeBracket: UInt8 = 0x5D
    static let minus: UInt8 = 0x2D, plus: UInt8 = 0x2B, dot: UInt8 = 0x2E
    static let zero: UInt8 = 0x30, nine: UInt8 = 0x39
    static let lowerE: UInt8 = 0x65, upperE: UInt8 = 0x45
}

/// Describes a byte for an error message: printable ASCII in quotes, anything else in hex.
func describeByte(_ c: UInt8) -> String {
    if c >= 0x20 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
    let hex = String(c, radix: 16, uppercase: true)
    return "byte 0x" + (hex.count < 2 ? "0" : "") + hex
}

struct StrictJSONParser {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0
    /// Set by `parseNumber` when the last number token was integral but did not fit Int64.
    private var lastNumberWasBigInteger = false
    /// Keys of the top-level object whose values were integral tokens beyond Int64 (those values
    /// are stored as `.double`); lets the request reader tell "too big" from "not an integer".
    private(set) var bigIntegerKeys: [String] = []
    /// Reused for strings with escapes.
    private var scratch: [UInt8] = []

    init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

    mutating func parseDocument() throws(JSONSyntaxError) -> JSON {
        skipWhitespace()
        guard i < b.count else { throw JSONSyntaxError(.empty, at: i, "no JSON value") }
        let value = try parseValue(depth: 0)
        skipWhitespace()
        if i < b.count {
            throw JSONSyntaxError(.trailingData, at: i, "unexpected \(describeByte(b[i])) after the JSON value")
        }
        return value
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while i < b.count {
            switch b[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    private func unexpected(_ expected: String) -> JSONSyntaxError {
        guard i < b.count else { return JSONSyntaxError(.unexpectedEnd, at: i, "unexpected end of input, expected \(expected)") }
        let c = b[i]
        if c == 0 { return JSONSyntaxError(.nulByte, at: i, "NUL byte, expected \(expected)") }
        var reason = "unexpected \(describeByte(c)), expected \(expected)"
        switch c {
        case 0x27: reason += " (strings use double quotes)"
        case Byte.slash, 0x23: reason += " (comments are not allowed)"
        case 0x4E, 0x49: reason += " (NaN and Infinity are not JSON)"
        case Byte.plus, Byte.dot: reason += " (numbers start with '-' or a digit)"
        default: break
        }
        return JSONSyntaxError(.unexpectedByte, at: i, reason)
    }

    private mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSON {
        guard i < b.count else { throw unexpected("a value") }
        switch b[i] {
        case Byte.openBrace: return try parseObject(depth: depth + 1)
        case Byte.openBracket: return try parseArray(depth: depth + 1)
        case Byte.quote: return .string(try parseString())
        case 0x74: try literal("true"); return .bool(true)
        case 0x66: try literal("false"); return .bool(false)
        case 0x6E: try literal("null"); return .null
        case Byte.minus, Byte.zero...Byte.nine: return try parseNumber()
        default: throw unexpected("a value")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let start = i
        let n = word.utf8CodeUnitCount
        let ok = word.withUTF8Buffer { w in
            guard start + n <= b.count else { return false }
            for k in 0..<n where b[start + k] != w[k] { return false }
            return true
        }
        guard ok else { throw JSONSyntaxError(.unexpectedByte, at: start, "invalid literal, expected a value") }
        i += n
    }

    private mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSON {
        guard depth <= maxJSONDepth else {
            throw JSONSyntaxError(.tooDeep, at: i, "nesting deeper than \(maxJSONDepth) levels")
        }
        i += 1  // {
        var members: [(String, JSON)] = []
        var keys: Set<String>?  // built only for larger objects
        skipWhitespace()
        if i < b.count && b[i] == Byte.closeBrace { i += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard i < b.count, b[i] == Byte.quote else {
                if i < b.count && b[i] == Byte.closeBrace && !members.isEmpty {
                    throw JSONSyntaxError(.trailingComma, at: i, "trailing comma before '}'")
                }
                throw unexpected("a member name in double quotes")
            }
            let keyOffset = i
            let key = try parseString()
            let duplicate: Bool
            if members.count < 12 {
                duplicate = members.contains { $0.0 == key }
            } else {
                if keys == nil { keys = Set(members.map(\.0)) }
                duplicate = !keys!.insert(key).inserted
            }
            if duplicate {
                throw JSONSyntaxError(.duplicateKey, at: keyOffset, "duplicate key \(JSON.string(String(key.prefix(32))).compact)")
            }
            skipWhitespace()
            guard i < b.count, b[i] == Byte.colon else { throw unexpected("':'") }
            i += 1
            skipWhitespace()
            lastNumberWasBigInteger = false
            let value = try parseValue(depth: depth)
            if depth == 1 && lastNumberWasBigInteger { bigIntegerKeys.append(key) }
            members.append((key, value))
            skipWhitespace()
            guard i < b.count else { throw unexpected("',' or '}'") }
            switch b[i] {
            case Byte.comma: i += 1
            case Byte.closeBrace: i += 1; return .object(members)
            default: throw unexpected("',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSON {
        guard depth <= maxJSONDepth else {
            throw JSONSyntaxError(.tooDeep, at: i, "nesting deeper than \(maxJSONDepth) levels")
        }
        i += 1  // [
        var items: [JSON] = []
        skipWhitespace()
        if i < b.count && b[i] == Byte.closeBracket { i += 1; return .array(items) }
        while true {
            skipWhitespace()
            if i < b.count && b[i] == Byte.closeBracket && !items.isEmpty {
                throw JSONSyntaxError(.trailingComma, at: i, "trailing comma before ']'")
            }
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard i < b.count else { throw unexpected("',' or ']'") }
            switch b[i] {
            case Byte.comma: i += 1
            case Byte.closeBracket: i += 1; return .array(items)
            default: throw unexpected("',' or ']'")
            }
        }
    }

    @inline(__always)
    private func isDigit(_ k: Int) -> Bool { k < b.count && b[k] >= Byte.zero && b[k] <= Byte.nine }

    private mutating func parseNumber() throws(JSONSyntaxError) -> JSON {
        let start = i
        let negative = b[i] == Byte.minus
        if negative { i += 1 }
        guard isDigit(i) else { throw JSONSyntaxError(.invalidNumber, at: i, "expected a digit in number") }
        let intStart = i
        if b[i] == Byte.zero {
            i += 1
            if isDigit(i) { throw JSONSyntaxError(.invalidNumber, at: start, "leading zeros are not allowed in numbers") }
        } else {
            while isDigit(i) { i += 1 }
        }
        let intEnd = i
        var integral = true
        if i < b.count && b[i] == Byte.dot {
            integral = false
            i += 1
            guard isDigit(i) else { throw JSONSyntaxError(.invalidNumber, at: i, "expected a digit after '.' in number") }
            while isDigit(i) { i += 1 }
        }
        if i < b.count && (b[i] == Byte.lowerE || b[i] == Byte.upperE) {
            integral = false
            i += 1
            if i < b.count && (b[i] == Byte.plus || b[i] == Byte.minus) { i += 1 }
            guard isDigit(i) else { throw JSONSyntaxError(.invalidNumber, at: i, "expected a digit in the exponent") }
            while isDigit(i) { i += 1 }
        }
        if integral {
            var value: Int64 = 0
            var overflow = intEnd - intStart > 19
            var k = intStart
            while !overflow && k < intEnd {
                let digit = Int64(b[k] - Byte.zero)
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
                value = s
                overflow = o1 || o2
                k += 1
            }
            if !overflow { return .int(value) }
            lastNumberWasBigInteger = true
        }
        if let exact = fastDouble(start) { return .double(exact) }
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        // The token already matches the JSON grammar, which Double's parser accepts.
        return .double(Double(text) ?? .nan)
    }

    /// Clinger's fast path for the number token in start..<i: when the decimal digits fit in
    /// 2^53 and the power of ten is at most 22, both are exact doubles and one multiplication or
    /// division rounds correctly. Nil when the token needs the full algorithm.
    private func fastDouble(_ start: Int) -> Double? {
        var k = start
        let negative = b[k] == Byte.minus
        if negative { k += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var seenDot = false
        while k < i {
            let c = b[k]
            if c == Byte.dot { seenDot = true; k += 1; continue }
            if c == Byte.lowerE || c == Byte.upperE { break }
            if mantissa != 0 || c != Byte.zero { digits += 1 }
            guard digits <= 15 else { return nil }
            mantissa = mantissa &* 10 &+ UInt64(c - Byte.zero)
            if seenDot { scale -= 1 }
            k += 1
        }
        if k < i {  // exponent
            k += 1
            var expNegative = false
            if b[k] == Byte.minus { expNegative = true; k += 1 } else if b[k] == Byte.plus { k += 1 }
            var e = 0
            while k < i {
                e = e * 10 + Int(b[k] - Byte.zero)
                guard e < 1000 else { return nil }
                k += 1
            }
            scale += expNegative ? -e : e
        }
        let powers = exactPowersOfTen
        var value = Double(mantissa)
        if mantissa == 0 {
            value = 0
        } else if scale >= 0 {
            guard scale <= 22 else { return nil }
            value *= powers[scale]
        } else {
            guard -scale <= 22 else { return nil }
            value /= powers[-scale]
        }
        return negative ? -value : value
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        i += 1  // opening quote
        let start = i
        // Fast path: no escapes.
        while i < b.count {
            let c = b[i]
            if c == Byte.quote {
                let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if c == Byte.backslash || c < 0x20 { break }
            i += 1
        }
        var out = scratch
        scratch = []
        defer { scratch = out }
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
        while true {
            guard i < b.count else { throw JSONSyntaxError(.unexpectedEnd, at: i, "unterminated string") }
            let c = b[i]
            if c == Byte.quote {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if c < 0x20 {
                if c == 0 { throw JSONSyntaxError(.nulByte, at: i, "NUL byte in string") }
                let hex = String(c, radix: 16, uppercase: true)
                throw JSONSyntaxError(.controlCharacter, at: i,
                                      "unescaped control character U+" + String(repeating: "0", count: 4 - hex.count) + hex + " in string")
            }
            if c != Byte.backslash {
                out.append(c)
                i += 1
                continue
            }
            let escapeStart = i
            i += 1
            guard i < b.count else { throw JSONSyntaxError(.unexpectedEnd, at: i, "unterminated string") }
            switch b[i] {
            case Byte.quote, Byte.backslash, Byte.slash: out.append(b[i])
            case 0x62: out.append(0x08)  // b
            case 0x66: out.append(0x0C)  // f
            case 0x6E: out.append(0x0A)  // n
            case 0x72: out.append(0x0D)  // r
            case 0x74: out.append(0x09)  // t
            case 0x75:  // u
                i += 1
                var scalar = try hex4(escapeStart)
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 1 < b.count, b[i] == Byte.backslash, b[i + 1] == 0x75 else {
                        throw JSONSyntaxError(.loneSurrogate, at: escapeStart, "high surrogate \\u escape without a low surrogate")
                    }
                    let lowStart = i
                    i += 2
                    let low = try hex4(lowStart)
                    guard low >= 0xDC00 && low < 0xE000 else {
                        throw JSONSyntaxError(.loneSurrogate, at: lowStart, "high surrogate \\u escape not followed by a low surrogate")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw JSONSyntaxError(.loneSurrogate, at: escapeStart, "lone low surrogate \\u escape")
                }
                appendUTF8(scalar, to: &out)
                continue  // hex4 left i after the escape
            default:
                throw JSONSyntaxError(.invalidEscape, at: escapeStart, "invalid escape \\\(describeByte(b[i]))")
            }
            i += 1
        }
    }

    /// Reads four hex digits at `i` and moves past them.
    private mutating func hex4(_ escapeStart: Int) throws(JSONSyntaxError) -> UInt32 {
        guard i + 4 <= b.count else { throw JSONSyntaxError(.invalidEscape, at: escapeStart, "\\u escape needs four hex digits") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw JSONSyntaxError(.invalidEscape, at: escapeStart, "\\u escape needs four hex digits")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }
}

/// 10^0 ... 10^22, every one exact in a Double.
private let exactPowersOfTen: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                          1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

@inline(__always)
private func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
    switch v {
    case 0..<0x80:
        out.append(UInt8(v))
    case 0x80..<0x800:
        out.append(UInt8(0xC0 | (v >> 6)))
        out.append(UInt8(0x80 | (v & 0x3F)))
    case 0x800..<0x10000:
        out.append(UInt8(0xE0 | (v >> 12)))
        out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (v & 0x3F)))
    default:
        out.append(UInt8(0xF0 | (v >> 18)))
        out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (v & 0x3F)))
    }
}
