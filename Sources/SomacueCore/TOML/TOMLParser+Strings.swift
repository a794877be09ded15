/// The four string forms. Each parser starts at the opening quote and stops after the closing one.
extension TOMLParser {
    /// `"..."`: escapes, no newlines.
    mutating func parseBasicString() throws(TOMLError) -> String {
        let start = position
        index += 1
        // Plain characters are taken as whole runs (one String built per run, not one append
        // per character); escapes are decoded into `escaped`, which exists only if one occurs.
        var escaped: String.UnicodeScalarView? = nil
        var runStart = index
        while true {
            guard let c = current else {
                throw TOMLError("unterminated string: missing closing '\"' (string starts at \(start.line):\(start.column))", at: position)
            }
            switch c {
            case "\"":
                let run = makeString(runStart, index)
                index += 1
                guard var out = escaped else { return run }
                out.append(contentsOf: run.unicodeScalars)
                return String(out)
            case "\\":
                var out = escaped ?? String.UnicodeScalarView()
                out.append(contentsOf: makeString(runStart, index).unicodeScalars)
                try parseEscape(into: &out)
                escaped = out
                runStart = index
            case "\n", "\r":
                throw TOMLError("unterminated string: missing closing '\"' before the end of the line (use \"\"\" for a multi-line string)", at: position)
            default:
                try checkStringCharacter(c)
                index += 1
            }
        }
    }

    /// `'...'`: verbatim, no newlines.
    mutating func parseLiteralString() throws(TOMLError) -> String {
        let start = position
        index += 1
        let runStart = index
        while true {
            guard let c = current else {
                throw TOMLError("unterminated string: missing closing \"'\" (string starts at \(start.line):\(start.column))", at: position)
            }
            switch c {
            case "'":
                let run = makeString(runStart, index)
                index += 1
                return run
            case "\n", "\r":
                throw TOMLError("unterminated string: missing closing \"'\" before the end of the line (use ''' for a multi-line string)", at: position)
            default:
                try checkStringCharacter(c)
                index += 1
            }
        }
    }

    /// `"""..."""`: escapes, newlines, line-ending backslashes.
    mutating func parseMultilineBasicString() throws(TOMLError) -> String {
        let start = position
        index += 3
        _ = try consumeNewline()  // a newline right after the opening delimiter is trimmed
        var out = String.UnicodeScalarView()
        while true {
            guard let c = current else {
                throw TOMLError("unterminated multi-line string: missing closing '\"\"\"' (string starts at \(start.line):\(start.column))", at: position)
            }
            switch c {
            case "\"":
                if try closeMultiline(quote: c, into: &out) { return String(out) }
            case "\\":
                try parseEscape(into: &out, multiline: true)
            case "\n", "\r":
                _ = try consumeNewline()
                out.append("\n")  // CRLF is normalised to LF
            default:
                try checkStringCharacter(c)
                out.append(c)
                index += 1
            }
        }
    }

    /// `'''...'''`: verbatim, newlines allowed.
    mutating func parseMultilineLiteralString() throws(TOMLError) -> String {
        let start = position
        index += 3
        _ = try consumeNewline()
        var out = String.UnicodeScalarView()
        while true {
            guard let c = current else {
                throw TOMLError("unterminated multi-line string: missing closing \"'''\" (string starts at \(start.line):\(start.column))", at: position)
            }
            switch c {
            case "'":
                if try closeMultiline(quote: c, into: &out) { return String(out) }
            case "\n", "\r":
                _ = try consumeNewline()
                out.append("\n")
            default:
                try checkStringCharacter(c)
                out.append(c)
                index += 1
            }
        }
    }

    /// At a run of quotes inside a multi-line string. One or two quotes are content; three or
    /// more close the string, and up to two extra quotes just before the closing three belong to
    /// the content (`""""` is one quote then the end). Six or more is an error.
    /// Returns true when the string is closed.
    mutating func closeMultiline(quote: Unicode.Scalar, into out: inout String.UnicodeScalarView) throws(TOMLError) -> Bool {
        let runStart = index
        var run = 0
        while current == quote {
            run += 1
            index += 1
        }
        if run < 3 {
            for _ in 0..<run { out.append(quote) }
            return false
        }
        if run > 5 {
            let delimiter = String(repeating: Character(quote), count: 3)
            throw TOMLError("too many quotes: at most two \(Character(quote)) may come right before the closing \(delimiter)", at: position(at: runStart + 5))
        }
        for _ in 0..<(run - 3) { out.append(quote) }
        return true
    }

    /// Tab and every printable character are allowed; other control characters must be escaped.
    /// The scalars `text[start..<end]` as a String, encoded to UTF-8 in one buffer.
    func makeString(_ start: Int, _ end: Int) -> String {
        guard start < end else { return "" }
        var bytes = 0
        for k in start..<end {
            let v = text[k].value
            bytes += v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4
        }
        return String(unsafeUninitializedCapacity: bytes) { buffer in
            var o = 0
            for k in start..<end {
                let scalar = text[k]
                if scalar.value < 0x80 {
                    buffer[o] = UInt8(truncatingIfNeeded: scalar.value)
                    o += 1
                } else {
                    for b in scalar.utf8 {
                        buffer[o] = b
                        o += 1
                    }
                }
            }
            return o
        }
    }

    func checkStringCharacter(_ c: Unicode.Scalar) throws(TOMLError) {
        if c.isForbiddenControl {
            throw TOMLError("\(describe(c)) must be escaped in a string", at: position)
        }
    }

    /// At a backslash in a basic string.
    mutating func parseEscape(into out: inout String.UnicodeScalarView, multiline: Bool = false) throws(TOMLError) {
        let start = position
        let startIndex = index
        index += 1
        guard let c = current else {
            throw TOMLError("unterminated string: missing closing '\"'", at: position)
        }
        switch c {
        case "b": out.append("\u{08}")
        case "t": out.append("\t")
        case "n": out.append("\n")
        case "f": out.append("\u{0C}")
        case "r": out.append("\r")
        case "\"": out.append("\"")
        case "\\": out.append("\\")
        case "u", "U":
            let count = c == "u" ? 4 : 8
            var value: UInt32 = 0
            for k in 1...count {
                guard let d = peek(k), d.isHexDigit else {
                    let written = escapeText(from: startIndex, upTo: index + k + (peek(k) == nil ? 0 : 1))
                    throw TOMLError("invalid escape sequence \"\(written)\": \\\(c) needs exactly \(count) hexadecimal digits", at: start)
                }
                value = value << 4 | d.hexDigitValue
            }
            guard let scalar = Unicode.Scalar(value) else {
                let written = escapeText(from: startIndex, upTo: index + count + 1)
                throw TOMLError("invalid escape sequence \"\(written)\": not a Unicode scalar value (surrogates and values above 10FFFF are not allowed)", at: start)
            }
            out.append(scalar)
            index += count
        case " ", "\t", "\n", "\r":
            // Line-ending backslash: only whitespace may follow it on its line, then all
            // whitespace and newlines up to the next visible character are dropped.
            guard multiline else {
                throw invalidEscape(c, at: start)
            }
            skipWhitespace()
            guard current == "\n" || current == "\r" else {
                throw TOMLError("invalid escape sequence: a backslash followed by whitespace must end the line", at: start)
            }
            while true {
                skipWhitespace()
                if try !consumeNewline() { break }
            }
            return
        default:
            throw invalidEscape(c, at: start)
        }
        index += 1
    }

    private func invalidEscape(_ c: Unicode.Scalar, at start: SourcePosition) -> TOMLError {
        if c == "\n" || c == "\r" {
            return TOMLError("invalid escape sequence: a backslash at the end of a line is only allowed in a multi-line string", at: start)
        }
        if c.isForbiddenControl || c == " " || c == "\t" {
            return TOMLError("invalid escape sequence: a backslash followed by \(describe(c))", at: start)
        }
        return TOMLError("invalid escape sequence \"\\\(Character(c))\"", at: start)
    }

    /// The escape as written, for messages (stops at the line end).
    private func escapeText(from start: Int, upTo end: Int) -> String {
        var s = String.UnicodeScalarView()
        for k in start..<min(end, text.count) {
            let c = text[k]
            // Stop at what ends the string or line: showing it would only confuse.
            if c == "\n" || c == "\r" || c == "\"" || c.isForbiddenControl { break }
            s.append(c)
        }
        return String(s)
    }
}
