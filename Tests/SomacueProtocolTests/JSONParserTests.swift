import SomacueCore
import SomacueProtocol
import Testing

struct ValidJSON: Sendable, CustomTestStringConvertible {
    let text: String
    /// Built when a test asks for it, not kept in the global table: LeakSanitizer cannot see a
    /// `JSON` box through the enum's tag bits, so boxes held by a global until exit would be
    /// reported as leaks.
    private let makeValue: @Sendable () -> JSON
    var value: JSON { makeValue() }
    var testDescription: String { JSON.string(text.count > 60 ? String(text.prefix(60)) + "…" : text).compact }
    init(_ text: String, _ value: @autoclosure @escaping @Sendable () -> JSON) { self.text = text; self.makeValue = value }
}

struct InvalidJSON: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let kind: JSONSyntaxError.Kind
    let offset: Int?
    var testDescription: String { label }
    init(_ label: String, _ text: String, _ kind: JSONSyntaxError.Kind, at offset: Int? = nil) {
        self.init(label, Array(text.utf8), kind, at: offset)
    }
    init(_ label: String, _ bytes: [UInt8], _ kind: JSONSyntaxError.Kind, at offset: Int? = nil) {
        self.label = label
        self.bytes = bytes
        self.kind = kind
        self.offset = offset
    }
}

let validJSON: [ValidJSON] = [
    ValidJSON("null", .null),
    ValidJSON("true", .bool(true)),
    ValidJSON(" false ", .bool(false)),
    ValidJSON("0", .int(0)),
    ValidJSON("-0", .int(0)),
    ValidJSON("42", .int(42)),
    ValidJSON("-42", .int(-42)),
    ValidJSON("9223372036854775807", .int(.max)),
    ValidJSON("-9223372036854775808", .int(.min)),
    ValidJSON("9223372036854775808", .double(9223372036854775808.0)),
    ValidJSON("-9223372036854775809", .double(-9223372036854775809.0)),
    ValidJSON("1.0", .double(1)),
    ValidJSON("1e2", .double(100)),
    ValidJSON("1E+2", .double(100)),
    ValidJSON("-1.5e-3", .double(-0.0015)),
    ValidJSON("0.1", .double(0.1)),
    ValidJSON("1e007", .double(1e7)),
    ValidJSON("1e400", .double(.infinity)),
    ValidJSON(#""""#, .string("")),
    ValidJSON(#""abc""#, .string("abc")),
    ValidJSON(#""\"\\\/\b\f\n\r\t""#, .string("\"\\/\u{08}\u{0C}\n\r\t")),
    ValidJSON(#""\u0041\u00e9\u20AC""#, .string("Aé€")),
    ValidJSON(#""\u0000""#, .string("\u{0}")),
    ValidJSON(#""\u001f\u007f""#, .string("\u{1F}\u{7F}")),
    ValidJSON(#""\ud83d\ude00""#, .string("😀")),
    ValidJSON(#""\uD834\uDD1E clef""#, .string("𝄞 clef")),
    ValidJSON(#""\udbff\udfff""#, .string("\u{10FFFF}")),
    ValidJSON(#""\uffff""#, .string("\u{FFFF}")),
    ValidJSON("\"raw é € 😀 \u{7F}\"", .string("raw é € 😀 \u{7F}")),
    ValidJSON(#""mixed é\n😀""#, .string("mixed é\n😀")),
    ValidJSON("[]", .array([])),
    ValidJSON("{}", .object([])),
    ValidJSON(" \t\r\n[ 1 , \"a\" , null ]\r\n", .array([.int(1), .string("a"), .null])),
    ValidJSON(#"{"b":1,"a":[true,{"c":null}]}"#, .object([("b", .int(1)), ("a", .array([.bool(true), .object([("c", .null)])]))])),
    ValidJSON(#"{"a":1,"A":2}"#, .object([("a", .int(1)), ("A", .int(2))])),
    ValidJSON(#"{"":0}"#, .object([("", .int(0))])),
    ValidJSON(nested(64), nestedValue(64)),
    ValidJSON(nested(64, objects: true), nestedObject(64)),
]

func nestedValue(_ depth: Int) -> JSON { depth == 0 ? .int(1) : .array([nestedValue(depth - 1)]) }
func nestedObject(_ depth: Int) -> JSON { depth == 0 ? .int(1) : .object([("a", nestedObject(depth - 1))]) }

/// An object with `n` distinct keys and then a repeat of the first.
func manyKeys(_ n: Int) -> String {
    "{" + (0..<n).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + ",\"k0\":0}"
}

let invalidJSON: [InvalidJSON] = [
    InvalidJSON("empty", "", .empty),
    InvalidJSON("whitespace", " \r\n\t", .empty),
    InvalidJSON("trailing comma in object", #"{"a":1,}"#, .trailingComma, at: 7),
    InvalidJSON("trailing comma in array", "[1,2,]", .trailingComma, at: 5),
    InvalidJSON("leading comma", "[,1]", .unexpectedByte),
    InvalidJSON("double comma", "[1,,2]", .unexpectedByte),
    InvalidJSON("empty member", "{,}", .unexpectedByte),
    InvalidJSON("block comment", "[1/*x*/]", .unexpectedByte, at: 2),
    InvalidJSON("line comment", "// x\n1", .unexpectedByte, at: 0),
    InvalidJSON("NaN", "NaN", .unexpectedByte),
    InvalidJSON("nan", "nan", .unexpectedByte),
    InvalidJSON("Infinity", "Infinity", .unexpectedByte),
    InvalidJSON("-Infinity", "-Infinity", .invalidNumber),
    InvalidJSON("leading zero", "01", .invalidNumber),
    InvalidJSON("leading zeros negative", "-007", .invalidNumber),
    InvalidJSON("zero then digits after fraction ok but leading zero not", "00.5", .invalidNumber),
    InvalidJSON("leading plus", "+1", .unexpectedByte),
    InvalidJSON("bare dot", ".5", .unexpectedByte),
    InvalidJSON("trailing dot", "1.", .invalidNumber),
    InvalidJSON("dot exponent", "1.e5", .invalidNumber),
    InvalidJSON("empty exponent", "1e", .invalidNumber),
    InvalidJSON("signed empty exponent", "1e+", .invalidNumber),
    InvalidJSON("lone minus", "-", .invalidNumber),
    InvalidJSON("hex", "0x1F", .trailingData),
    InvalidJSON("single-quoted string", "'a'", .unexpectedByte),
    InvalidJSON("single-quoted key", "{'a':1}", .unexpectedByte),
    InvalidJSON("unquoted key", "{a:1}", .unexpectedByte),
    InvalidJSON("raw newline in string", "\"a\nb\"", .controlCharacter, at: 2),
    InvalidJSON("raw tab in string", "\"a\tb\"", .controlCharacter),
    InvalidJSON("raw 0x1F in string", "\"\u{1F}\"", .controlCharacter),
    InvalidJSON("raw NUL in string", [0x22, 0x00, 0x22], .nulByte, at: 1),
    InvalidJSON("raw NUL outside", [0x5B, 0x00, 0x5D], .nulByte, at: 1),
    InvalidJSON("unterminated string", "\"abc", .unexpectedEnd),
    InvalidJSON("unterminated escape", "\"abc\\", .unexpectedEnd),
    InvalidJSON("bad escape", #""\a""#, .invalidEscape, at: 1),
    InvalidJSON("escaped single quote", #""\'""#, .invalidEscape),
    InvalidJSON("uppercase U escape", #""\U0041""#, .invalidEscape),
    InvalidJSON("short u escape", #""\u41""#, .invalidEscape),
    InvalidJSON("short u escape at end", #""\u4"#, .invalidEscape),
    InvalidJSON("non-hex u escape", #""\u00GZ""#, .invalidEscape),
    InvalidJSON("lone high surrogate", #""\ud800""#, .loneSurrogate, at: 1),
    InvalidJSON("high surrogate then text", #""\ud800abc""#, .loneSurrogate),
    InvalidJSON("high surrogate then BMP escape", #""\ud800\u0041""#, .loneSurrogate),
    InvalidJSON("high surrogate twice", #""\ud83d\ud83d""#, .loneSurrogate),
    InvalidJSON("high surrogate then bad escape", #""\ud83d\n""#, .loneSurrogate),
    InvalidJSON("lone low surrogate", #""\udfff""#, .loneSurrogate, at: 1),
    InvalidJSON("swapped pair", #""\ude00\ud83d""#, .loneSurrogate),
    InvalidJSON("duplicate key", #"{"a":1,"a":2}"#, .duplicateKey, at: 7),
    InvalidJSON("duplicate key nested", #"{"a":{"b":1,"b":1}}"#, .duplicateKey),
    InvalidJSON("duplicate key by escape", #"{"a":1,"\u0061":2}"#, .duplicateKey),
    InvalidJSON("duplicate key in a large object", manyKeys(40), .duplicateKey),
    InvalidJSON("nesting 65 arrays", nested(65), .tooDeep, at: 64),
    InvalidJSON("nesting 65 objects", nested(65, objects: true), .tooDeep),
    InvalidJSON("very deep nesting", String(repeating: "[", count: 100_000), .tooDeep),
    InvalidJSON("trailing data", "1 2", .trailingData, at: 2),
    InvalidJSON("two objects", "{}{}", .trailingData, at: 2),
    InvalidJSON("unclosed array", "[1", .unexpectedEnd),
    InvalidJSON("unclosed object", #"{"a":1"#, .unexpectedEnd),
    InvalidJSON("missing value", #"{"a":}"#, .unexpectedByte),
    InvalidJSON("missing colon", #"{"a" 1}"#, .unexpectedByte),
    InvalidJSON("closing mismatch", "[1}", .unexpectedByte),
    InvalidJSON("truncated literal", "tru", .unexpectedByte),
    InvalidJSON("capital literal", "True", .unexpectedByte),
    InvalidJSON("undefined", "undefined", .unexpectedByte),
    InvalidJSON("vertical tab whitespace", "\u{0B}1", .unexpectedByte),
    InvalidJSON("BOM", "\u{FEFF}1", .unexpectedByte),
    InvalidJSON("invalid UTF-8 in string", [0x22, 0xC3, 0x28, 0x22], .invalidUTF8, at: 1),
    InvalidJSON("overlong UTF-8", [0x22, 0xC1, 0xBF, 0x22], .invalidUTF8, at: 1),
    InvalidJSON("UTF-8 surrogate", [0x22, 0xED, 0xB0, 0x80, 0x22], .invalidUTF8, at: 1),
    InvalidJSON("UTF-8 above U+10FFFF", [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], .invalidUTF8, at: 1),
]

@Suite("parseJSON")
struct JSONParserTests {
    @Test("valid documents", arguments: validJSON)
    func valid(_ c: ValidJSON) throws {
        let value = try parseJSON(Array(c.text.utf8))
        #expect(value == c.value)
    }

    @Test("invalid documents", arguments: invalidJSON)
    func invalid(_ c: InvalidJSON) {
        do {
            let value = try parseJSON(c.bytes)
            Issue.record("accepted as \(value.compact)")
        } catch {
            #expect(error.kind == c.kind, "\(error)")
            if let offset = c.offset { #expect(error.offset == offset, "\(error)") }
            #expect(!error.reason.isEmpty)
        }
    }

    @Test("integral tokens beyond Int64 are doubles, integral tokens within are ints")
    func numbers() throws {
        #expect(try parseJSON(Array("[1, 1.0, 1e0, 100000000000000000000]".utf8))
                == .array([.int(1), .double(1), .double(1), .double(1e20)]))
    }

    @Test("non-integral numbers read exactly as Double(String) reads them")
    func doubles() throws {
        var fixed = ["0.1", "0.2", "0.3", "-0.0", "0.0", "1.7976931348623157e308", "4.9e-324", "2.2250738585072014e-308",
                     "123456789012345.6", "1234567890123456.7", "0.000000000000000000000001", "9007199254740993.0",
                     "1e22", "1e23", "1e-22", "1e-23", "3.14159265358979323846", "0.30000000000000004", "5e-1", "1E0"]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        for _ in 0..<5000 {
            let mantissa = next() % 10_000_000_000_000_000
            let digits = String(mantissa)
            let dot = Int(next() % UInt64(digits.count + 1))
            var token = String(digits.prefix(dot)) + (dot < digits.count ? "." + digits.dropFirst(dot) : ".0")
            if token.hasPrefix(".") { token = "0" + token }
            while token.count > 1 && token.hasPrefix("0") && !token.hasPrefix("0.") { token.removeFirst() }
            if next() % 2 == 0 { token += "e" + String(Int(next() % 61) - 30) }
            if next() % 2 == 0 { token = "-" + token }
            fixed.append(token)
        }
        for token in fixed {
            let parsed = try parseJSON(Array(token.utf8))
            guard case .double(let d) = parsed, let expected = Double(token) else {
                Issue.record("\(token) -> \(parsed)")
                continue
            }
            #expect(d.bitPattern == expected.bitPattern, "\(token): \(d) != \(expected)")
        }
    }

    @Test("object member order is kept")
    func order() throws {
        let json = try parseJSON(Array(#"{"z":1,"y":2,"x":3}"#.utf8))
        guard case .object(let members) = json else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == ["z", "y", "x"])
    }

    @Test("strings decode to valid UTF-8 and survive the writer")
    func stringRoundTrip() throws {
        let samples = ["", "plain", "tab\tnewline\ncr\r", "quote\" backslash\\ slash/", "\u{0}\u{1}\u{1F}\u{7F}",
                       "é€😀𝄞", "\u{FEFF}bom", "\u{2028}\u{2029}", String(repeating: "ü", count: 1000)]
        for s in samples {
            let written = JSON.string(s).compact
            let back = try parseJSON(Array(written.utf8))
            #expect(back == .string(s))
            if case .string(let decoded) = back { #expect(Array(decoded.utf8) == Array(s.utf8)) }
        }
    }

    @Test("4 KB request lines (one long string, many small tokens) parse to the right result")
    func longLines() throws {
        let voice = String(repeating: "v", count: 4000)
        let line = Array(#"{"id":1,"cmd":"start","args":{"session":"morning","voice":"\#(voice)","tempo":1.2}}"#.utf8)
        #expect(line.count > 4000 && line.count <= 4096)
        // A 4 KB line of many small tokens, the slower case.
        var tokens = "["
        while tokens.utf8.count < 4000 { tokens += "1.5,\"ab\\n\",true," }
        tokens += "null]"
        let tokenLine = Array(tokens.utf8)
        _ = try parseJSON(line)
        let clock = ContinuousClock()
        let rounds = 200
        var ok = 0
        let oneString = clock.measure {
            for _ in 0..<rounds {
                // The voice name is over the 255-byte limit: a full parse, then out_of_range.
                if case .failure(let f) = parseRequest(line), f.error.code == .outOfRange, f.id == 1 { ok += 1 }
            }
        }
        let session = String(repeating: "s", count: 4000)
        let validLine = Array(#"{"id":2,"cmd":"start","args":{"session":"\#(session)","tempo":1.2}}"#.utf8)
        let valid = clock.measure {
            for _ in 0..<rounds {
                if case .success(let r) = parseRequest(validLine), r.id == 2 { ok += 1 }
            }
        }
        let manyTokens = clock.measure {
            for _ in 0..<rounds where (try? parseJSON(tokenLine)) != nil { ok += 1 }
        }
        #expect(ok == 3 * rounds)
        print("4 KB request: rejected \(oneString / rounds), accepted \(valid / rounds); 4 KB of small tokens: \(manyTokens / rounds) per parse")
        // How fast is measured, not asserted here: timed assertions flake on a shared machine.
    }
}
