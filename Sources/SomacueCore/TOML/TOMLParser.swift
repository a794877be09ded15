// A strict TOML 1.0.0 parser: pure standard library, linear time, exact positions.
//
// Positions: `TOMLNode.position` is the value's first character. Every key segment gets the
// position where that segment is written, so for `a.b.c = 1` the entry `a` (in the root) is at
// the `a`, `b` (in table `a`) at the `b`, and `c` at the `c`. A table's position is the `[` of
// the header that defined it, the `{` of an inline table, the `[` of the header that created it
// implicitly (`[a.b]` creates `a`), or the key segment that created it as a dotted key. An array
// of tables is at its first `[[` header, each element at its own.

/// Parses a TOML 1.0.0 document. A leading byte order mark is ignored.
public func parseTOML(_ text: String) throws(TOMLError) -> TOMLTable {
    // Reserved from the UTF-8 length (an upper bound): one pass, no separate count.
    var scalars: [Unicode.Scalar] = []
    scalars.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars { scalars.append(scalar) }
    var parser = TOMLParser(scalars)
    return try parser.parseDocument()
}

/// Parses a TOML 1.0.0 document from raw bytes, rejecting invalid UTF-8 with the position of
/// the first bad byte (a `String` cannot carry invalid UTF-8, so this is where it is caught).
public func parseTOML<Bytes: Sequence<UInt8>>(utf8 bytes: Bytes) throws(TOMLError) -> TOMLTable {
    var parser = TOMLParser(try decodeUTF8(bytes))
    return try parser.parseDocument()
}

func decodeUTF8<Bytes: Sequence<UInt8>>(_ bytes: Bytes) throws(TOMLError) -> [Unicode.Scalar] {
    var scalars: [Unicode.Scalar] = []
    scalars.reserveCapacity(bytes.underestimatedCount)
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    var line = 1, column = 1
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue(let scalar):
            // A leading byte order mark takes no column, as in the parser.
            let isBOM = scalars.isEmpty && scalar == "\u{FEFF}"
            scalars.append(scalar)
            if scalar == "\n" { line += 1; column = 1 } else if !isBOM { column += 1 }
        case .emptyInput:
            return scalars
        case .error:
            throw TOMLError("invalid UTF-8 byte sequence", at: SourcePosition(line: line, column: column))
        }
    }
}

/// One segment of a (possibly dotted) key.
struct TOMLKeySegment {
    var name: String
    var position: SourcePosition
}

struct TOMLParser {
    let text: [Unicode.Scalar]
    /// Index of the next scalar to read.
    var index = 0
    var line = 1
    /// Index of the first scalar of the current line; columns are counted from it.
    var lineStart = 0
    /// How deeply the value being parsed sits in tables and arrays. Bounded, so that hostile
    /// input cannot exhaust the stack in the recursive parse and in building the result.
    var depth = 0
    /// The depth of the table that the current header opened.
    var sectionDepth = 0
    static let maxDepth = 128
    let builder = TOMLBuilder()

    init(_ text: [Unicode.Scalar]) {
        self.text = text
    }

    // MARK: - Cursor

    var current: Unicode.Scalar? { index < text.count ? text[index] : nil }

    func peek(_ offset: Int) -> Unicode.Scalar? {
        let k = index + offset
        return k < text.count ? text[k] : nil
    }

    var position: SourcePosition { position(at: index) }

    /// Only meaningful for indices on the current line.
    func position(at k: Int) -> SourcePosition {
        SourcePosition(line: line, column: k - lineStart + 1)
    }

    /// Skips spaces and tabs (the only whitespace TOML knows besides newlines).
    mutating func skipWhitespace() {
        while let c = current, c == " " || c == "\t" { index += 1 }
    }

    /// Consumes LF or CRLF if one is next. A CR not followed by LF is an error everywhere.
    mutating func consumeNewline() throws(TOMLError) -> Bool {
        switch current {
        case "\n":
            index += 1
        case "\r":
            guard peek(1) == "\n" else {
                throw TOMLError("carriage return (U+000D) must be followed by a line feed", at: position)
            }
            index += 2
        default:
            return false
        }
        line += 1
        lineStart = index
        return true
    }

    /// Skips a comment starting at `#`, up to (not including) the line ending.
    mutating func skipComment() throws(TOMLError) {
        index += 1
        while let c = current {
            if c == "\n" || (c == "\r" && peek(1) == "\n") { return }
            if c.isForbiddenControl {
                throw TOMLError("\(describe(c)) is not allowed in a comment", at: position)
            }
            index += 1
        }
    }

    /// Skips whitespace, comments and newlines (inside arrays).
    mutating func skipBlankLines() throws(TOMLError) {
        while true {
            skipWhitespace()
            if current == "#" { try skipComment() }
            if try !consumeNewline() { return }
        }
    }

    /// After a key/value pair or a header only a comment may follow on the line.
    mutating func expectLineEnd(after what: String) throws(TOMLError) {
        skipWhitespace()
        if current == "#" { try skipComment() }
        if current == nil { return }
        if try !consumeNewline() {
            throw TOMLError("expected end of line after \(what), found \(describe(current))", at: position)
        }
    }

    // MARK: - Document

    mutating func parseDocument() throws(TOMLError) -> TOMLTable {
        if current == "\u{FEFF}" {
            // The BOM is not part of the text, so columns on line 1 start after it.
            index = 1
            lineStart = 1
        }
        var table = builder.root
        var section = 0
        while true {
            skipWhitespace()
            guard let c = current else { break }
            switch c {
            case "#":
                try skipComment()
                try expectLineEnd(after: "comment")
            case "\n", "\r":
                _ = try consumeNewline()
            case "[":
                let headerPosition = position
                let isArray = peek(1) == "["
                index += isArray ? 2 : 1
                skipWhitespace()
                let key = try parseKey()
                depth = key.count
                try checkDepth(at: headerPosition)
                if isArray {
                    guard current == "]", peek(1) == "]" else {
                        throw TOMLError("expected ']]' to close the array of tables header, found \(describe(current))", at: position)
                    }
                    index += 2
                    table = try builder.appendTableArrayElement(key, at: headerPosition)
                } else {
                    guard current == "]" else {
                        throw TOMLError("expected ']' to close the table header, found \(describe(current))", at: position)
                    }
                    index += 1
                    table = try builder.defineTable(key, at: headerPosition)
                }
                section = builder.newSection()
                sectionDepth = depth
                try expectLineEnd(after: "table header")
            default:
                depth = sectionDepth
                try parseKeyValue(into: table, section: section)
                try expectLineEnd(after: "value")
            }
        }
        return builder.root.frozen()
    }

    /// `key = value`, assigned into `table`. Stops right after the value.
    mutating func parseKeyValue(into table: TOMLBuilder.Table, section: Int) throws(TOMLError) {
        let key = try parseKey()
        guard current == "=" else {
            throw TOMLError("expected '=' after key \(displayKey(key)), found \(describe(current))", at: position)
        }
        index += 1
        skipWhitespace()
        let outer = depth
        depth += key.count - 1
        try checkDepth(at: key[0].position)
        let value = try parseValue()
        depth = outer
        try builder.assign(key, value: value, into: table, section: section)
    }

    // MARK: - Keys

    /// A simple or dotted key; consumes the whitespace after it.
    mutating func parseKey() throws(TOMLError) -> [TOMLKeySegment] {
        var segments = [try parseSimpleKey()]
        skipWhitespace()
        while current == "." {
            index += 1
            skipWhitespace()
            segments.append(try parseSimpleKey())
            skipWhitespace()
        }
        return segments
    }

    mutating func parseSimpleKey() throws(TOMLError) -> TOMLKeySegment {
        let start = position
        guard let c = current else {
            throw TOMLError("expected a key, found end of file", at: start)
        }
        if c == "\"" || c == "'" {
            if peek(1) == c && peek(2) == c {
                throw TOMLError("a multi-line string cannot be used as a key", at: start)
            }
            let name = c == "\"" ? try parseBasicString() : try parseLiteralString()
            return TOMLKeySegment(name: name, position: start)
        }
        guard c.isBareKeyCharacter else {
            throw TOMLError("expected a key, found \(describe(c))", at: start)
        }
        let nameStart = index
        while let k = current, k.isBareKeyCharacter { index += 1 }
        return TOMLKeySegment(name: makeString(nameStart, index), position: start)
    }

    // MARK: - Values

    mutating func parseValue() throws(TOMLError) -> TOMLNode {
        let start = position
        switch current {
        case "\"":
            let multi = peek(1) == "\"" && peek(2) == "\""
            let s = multi ? try parseMultilineBasicString() : try parseBasicString()
            return TOMLNode(.string(s), at: start)
        case "'":
            let multi = peek(1) == "'" && peek(2) == "'"
            let s = multi ? try parseMultilineLiteralString() : try parseLiteralString()
            return TOMLNode(.string(s), at: start)
        case "[":
            return try parseArray()
        case "{":
            return try parseInlineTable()
        case let c? where c.isTokenCharacter:
            return try parseBareValue()
        default:
            throw TOMLError("expected a value, found \(describe(current))", at: start)
        }
    }

    mutating func enterNesting() throws(TOMLError) {
        depth += 1
        try checkDepth(at: position)
    }

    func checkDepth(at place: SourcePosition) throws(TOMLError) {
        if depth > Self.maxDepth {
            throw TOMLError("tables and arrays are nested too deeply (more than \(Self.maxDepth) levels)", at: place)
        }
    }

    mutating func parseArray() throws(TOMLError) -> TOMLNode {
        let start = position
        try enterNesting()
        index += 1
        var items: [TOMLNode] = []
        while true {
            try skipBlankLines()
            if current == "]" { break }
            items.append(try parseValue())
            try skipBlankLines()
            if current == "," {
                index += 1
                continue
            }
            if current == "]" { break }
            throw TOMLError("expected ',' or ']' after an array element, found \(describe(current))", at: position)
        }
        index += 1
        depth -= 1
        return TOMLNode(.array(items), at: start)
    }

    mutating func parseInlineTable() throws(TOMLError) -> TOMLNode {
        let start = position
        try enterNesting()
        index += 1
        let table = TOMLBuilder.Table(position: start, origin: .inline)
        let section = builder.newSection()
        skipWhitespace()
        if current == "}" {
            index += 1
        } else {
            while true {
                try rejectNewlineInInlineTable()
                try parseKeyValue(into: table, section: section)
                skipWhitespace()
                if current == "," {
                    index += 1
                    skipWhitespace()
                    if current == "}" {
                        throw TOMLError("a trailing comma is not allowed in an inline table", at: position)
                    }
                    continue
                }
                if current == "}" {
                    index += 1
                    break
                }
                try rejectNewlineInInlineTable()
                throw TOMLError("expected ',' or '}' after a value in an inline table, found \(describe(current))", at: position)
            }
        }
        depth -= 1
        return TOMLNode(.table(table.frozen()), at: start)
    }

    func rejectNewlineInInlineTable() throws(TOMLError) {
        if current == "\n" || current == "\r" {
            throw TOMLError("an inline table must be on a single line (TOML 1.0 allows no newlines inside '{ }')", at: position)
        }
        if current == "#" {
            throw TOMLError("comments are not allowed inside an inline table", at: position)
        }
    }

    // MARK: - Messages

    func displayKey(_ key: some Collection<TOMLKeySegment>) -> String {
        "\"" + dottedKeyText(key) + "\""
    }
}

/// How a character appears in an error message.
func describe(_ c: Unicode.Scalar?) -> String {
    guard let c else { return "end of file" }
    switch c {
    case "\n": return "end of line"
    case "\r": return "a carriage return (U+000D)"
    case "\t": return "a tab"
    case " ": return "a space"
    default:
        if c.isForbiddenControl || (0x80...0x9F).contains(c.value) {
            return "control character \(hex(c))"
        }
        if c == "\u{FEFF}" {
            return "a byte order mark (U+FEFF)"
        }
        if c.properties.isWhitespace {
            return "the space character \(hex(c))"
        }
        return "'\(Character(c))'"
    }
}

/// A key as it could be written in TOML, for messages: `a.'b c'.d`.
func dottedKeyText(_ key: some Collection<TOMLKeySegment>) -> String {
    key.map { segment in
        let name = segment.name
        if name.isBareKey { return name }
        if !name.unicodeScalars.contains(where: { $0 == "'" || $0.isForbiddenControl }) { return "'" + name + "'" }
        var quoted = "\""
        for c in name.unicodeScalars {
            switch c {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            default:
                if c.isForbiddenControl { quoted += "\\u" + hex(c).dropFirst(2) } else { quoted.unicodeScalars.append(c) }
            }
        }
        return quoted + "\""
    }.joined(separator: ".")
}

func hex(_ c: Unicode.Scalar) -> String {
    let digits = String(c.value, radix: 16, uppercase: true)
    return "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

extension Unicode.Scalar {
    var isDigit: Bool { ("0"..."9").contains(self) }
    var isHexDigit: Bool { isDigit || ("a"..."f").contains(self) || ("A"..."F").contains(self) }
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    var isBareKeyCharacter: Bool { isASCIILetter || isDigit || self == "_" || self == "-" }
    /// Characters that can make up a number, boolean or date-time (before validation).
    var isTokenCharacter: Bool {
        isASCIILetter || isDigit || self == "_" || self == "-" || self == "+" || self == "." || self == ":"
    }
    /// Control characters TOML forbids in comments and strings: all C0 except tab, and DEL.
    var isForbiddenControl: Bool { (value < 0x20 && self != "\t") || value == 0x7F }
}

extension String {
    var isBareKey: Bool { !isEmpty && unicodeScalars.allSatisfy(\.isBareKeyCharacter) }
}
