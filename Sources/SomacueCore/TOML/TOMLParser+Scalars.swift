/// Booleans, integers, floats and date-times: all written without quotes. The parser first takes
/// the whole run of characters that could belong to such a value, then validates it, so an
/// error can point at the exact offending character.
extension TOMLParser {
    mutating func parseBareValue() throws(TOMLError) -> TOMLNode {
        let start = index
        let startPosition = position
        scanToken()
        // A date may be followed by a space and a time ("1979-05-27 07:32:00").
        if index - start == 10, isDate(at: start), current == " ", peek(1)?.isDigit == true {
            index += 1
            scanToken()
        }
        let end = index

        if matches("true", start, end) { return TOMLNode(.boolean(true), at: startPosition) }
        if matches("false", start, end) { return TOMLNode(.boolean(false), at: startPosition) }

        var k = start
        let negative = text[k] == "-"
        if text[k] == "+" || negative { k += 1 }
        if matches("inf", k, end) {
            return TOMLNode(.float(negative ? -.infinity : .infinity), at: startPosition)
        }
        if matches("nan", k, end) {
            return TOMLNode(.float(negative ? -.nan : .nan), at: startPosition)
        }
        guard k < end, text[k].isDigit else {
            if k < end && text[k] == "." {
                throw TOMLError("a float needs a digit before the decimal point", at: position(at: k))
            }
            if k < end && k == start {
                throw TOMLError("expected a value, found \"\(slice(start, end))\" (strings must be quoted)", at: startPosition)
            }
            throw TOMLError("expected digits after the sign in \"\(slice(start, end))\"", at: position(at: k))
        }

        var digitsEnd = k
        while digitsEnd < end && text[digitsEnd].isDigit { digitsEnd += 1 }
        if digitsEnd < end && (text[digitsEnd] == "-" || text[digitsEnd] == ":") {
            guard k == start else {
                throw TOMLError("a date or time cannot have a sign", at: startPosition)
            }
            return TOMLNode(.dateTime(try parseDateTime(start, end)), at: startPosition)
        }

        if text[k] == "0", k + 1 < end, let radix = radixPrefix(text[k + 1]) {
            guard k == start else {
                throw TOMLError("\(radix.name) integers cannot have a sign", at: startPosition)
            }
            return TOMLNode(.integer(try parseInteger(start, k + 2, end, radix: radix.radix, name: radix.name, negative: false)), at: startPosition)
        }

        if text[k..<end].contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
            return TOMLNode(.float(try parseFloat(start, k, end)), at: startPosition)
        }
        try checkNoLeadingZero(k, end)
        return TOMLNode(.integer(try parseInteger(start, k, end, radix: 10, name: "decimal", negative: negative)), at: startPosition)
    }

    mutating func scanToken() {
        while let c = current, c.isTokenCharacter { index += 1 }
    }

    func matches(_ word: String, _ start: Int, _ end: Int) -> Bool {
        guard end - start == word.unicodeScalars.count else { return false }
        return zip(word.unicodeScalars, text[start..<end]).allSatisfy { $0 == $1 }
    }

    func slice(_ start: Int, _ end: Int) -> String {
        makeString(start, end)
    }

    /// `DDDD-DD-DD` at `k`.
    func isDate(at k: Int) -> Bool {
        guard k + 10 <= text.count else { return false }
        for j in 0..<10 {
            let c = text[k + j]
            if j == 4 || j == 7 { if c != "-" { return false } } else if !c.isDigit { return false }
        }
        return true
    }

    func radixPrefix(_ c: Unicode.Scalar) -> (radix: UInt64, name: String)? {
        switch c {
        case "x": (16, "hexadecimal")
        case "o": (8, "octal")
        case "b": (2, "binary")
        default: nil
        }
    }

    func isDigit(_ c: Unicode.Scalar, radix: UInt64) -> Bool {
        switch radix {
        case 16: c.isHexDigit
        case 8: ("0"..."7").contains(c)
        case 2: c == "0" || c == "1"
        default: c.isDigit
        }
    }

    /// Checks `digit *( ["_"] digit )` over `start..<end`: underscores only between two digits.
    func checkDigitRun(_ start: Int, _ end: Int, radix: UInt64, what: String) throws(TOMLError) {
        guard start < end else {
            throw TOMLError("expected digits in the \(what)", at: position(at: start))
        }
        for j in start..<end {
            let c = text[j]
            if c == "_" {
                let before = j > start && isDigit(text[j - 1], radix: radix)
                let after = j + 1 < end && isDigit(text[j + 1], radix: radix)
                if !(before && after) {
                    throw TOMLError("an underscore in a number must be between two digits", at: position(at: j))
                }
            } else if !isDigit(c, radix: radix) {
                throw TOMLError("invalid character \(describe(c)) in the \(what)", at: position(at: j))
            }
        }
    }

    /// Decimal integers and the integer part of floats may not start with 0 unless they are 0.
    func checkNoLeadingZero(_ start: Int, _ end: Int) throws(TOMLError) {
        if text[start] == "0", start + 1 < end, text[start + 1].isDigit || text[start + 1] == "_" {
            throw TOMLError("leading zeros are not allowed in a decimal number", at: position(at: start))
        }
    }

    /// The integer in `tokenStart..<end` whose digits start at `start`.
    func parseInteger(_ tokenStart: Int, _ start: Int, _ end: Int, radix: UInt64, name: String, negative: Bool) throws(TOMLError) -> Int64 {
        try checkDigitRun(start, end, radix: radix, what: "\(name) integer")
        // Accumulate the magnitude unsigned so that Int64.min (whose magnitude exceeds Int64.max) fits.
        let limit: UInt64 = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        var magnitude: UInt64 = 0
        for j in start..<end where text[j] != "_" {
            let digit = UInt64(text[j].hexDigitValue)
            let (shifted, overflow1) = magnitude.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2, sum <= limit else {
                throw TOMLError("integer \(slice(tokenStart, end)) does not fit in 64 bits (the range is -9223372036854775808 to 9223372036854775807)", at: position(at: tokenStart))
            }
            magnitude = sum
        }
        if negative {
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        return Int64(magnitude)
    }

    /// `[sign] int [. digits] [e [sign] digits]`, with at least a fraction or an exponent.
    /// `digitsStart` is just after the sign.
    func parseFloat(_ start: Int, _ digitsStart: Int, _ end: Int) throws(TOMLError) -> Double {
        var j = digitsStart
        while j < end, text[j] != ".", text[j] != "e", text[j] != "E" { j += 1 }
        try checkDigitRun(digitsStart, j, radix: 10, what: "integer part of the float")
        try checkNoLeadingZero(digitsStart, j)
        if j < end, text[j] == "." {
            let fractionStart = j + 1
            j = fractionStart
            while j < end, text[j] != "e", text[j] != "E" { j += 1 }
            if fractionStart == j {
                throw TOMLError("expected digits after the decimal point", at: position(at: fractionStart))
            }
            try checkDigitRun(fractionStart, j, radix: 10, what: "fractional part of the float")
        }
        if j < end {  // at "e" or "E"
            var exponentStart = j + 1
            if exponentStart < end, text[exponentStart] == "+" || text[exponentStart] == "-" { exponentStart += 1 }
            if exponentStart == end {
                throw TOMLError("expected digits in the exponent", at: position(at: exponentStart))
            }
            try checkDigitRun(exponentStart, end, radix: 10, what: "exponent of the float")
        }
        // The token is ASCII (`isTokenCharacter`); underscores are dropped.
        let cleaned = String(unsafeUninitializedCapacity: end - start) { buffer in
            var o = 0
            for k in start..<end where text[k] != "_" {
                buffer[o] = UInt8(truncatingIfNeeded: text[k].value)
                o += 1
            }
            return o
        }
        guard let value = Double(cleaned) else {
            throw TOMLError("invalid float \"\(slice(start, end))\"", at: position(at: start))
        }
        return value
    }

    // MARK: - Dates and times

    /// A local date, local time, local date-time or offset date-time in `start..<end`.
    func parseDateTime(_ start: Int, _ end: Int) throws(TOMLError) -> TOMLDateTime {
        var k = start

        // Reads a field of exactly `count` digits.
        func field(_ count: Int, _ name: String) throws(TOMLError) -> Int {
            var j = k
            var value = 0
            while j < end, text[j].isDigit {
                value = value * 10 + Int(text[j].value - 48)
                j += 1
                if j - k > count { break }
            }
            guard j - k == count else {
                throw TOMLError("the \(name) must have exactly \(count) digits", at: position(at: k))
            }
            k = j
            return value
        }
        func expect(_ c: Unicode.Scalar, after name: String) throws(TOMLError) {
            guard k < end, text[k] == c else {
                let found = k < end ? describe(text[k]) : "end of value"
                throw TOMLError("expected '\(Character(c))' after the \(name) in a date or time, found \(found)", at: position(at: k))
            }
            k += 1
        }
        func check(_ ok: Bool, _ message: String, at j: Int) throws(TOMLError) {
            if !ok { throw TOMLError(message, at: position(at: j)) }
        }

        var result = TOMLDateTime(kind: .localTime)
        // A value is a date when its first digit run ends in '-', a time when it ends in ':'.
        var firstRunEnd = k
        while firstRunEnd < end, text[firstRunEnd].isDigit { firstRunEnd += 1 }
        let hasDate = firstRunEnd < end && text[firstRunEnd] == "-"

        if hasDate {
            result.year = try field(4, "year")
            try expect("-", after: "year")
            let monthIndex = k
            result.month = try field(2, "month")
            try expect("-", after: "month")
            let dayIndex = k
            result.day = try field(2, "day")
            try check((1...12).contains(result.month), "month \(result.month) is out of range (01 to 12)", at: monthIndex)
            let days = daysInMonth(result.month, year: result.year)
            try check((1...days).contains(result.day), "day \(result.day) is out of range for this month (01 to \(days))", at: dayIndex)
            result.kind = .localDate
            if k == end { return result }
            guard text[k] == "T" || text[k] == "t" || text[k] == " " else {
                throw TOMLError("expected 'T' or a space between the date and the time, found \(describe(text[k]))", at: position(at: k))
            }
            k += 1
            if k == end {
                throw TOMLError("expected a time after the date", at: position(at: k))
            }
        }

        let hourIndex = k
        result.hour = try field(2, "hour")
        try expect(":", after: "hour")
        let minuteIndex = k
        result.minute = try field(2, "minute")
        guard k < end, text[k] == ":" else {
            throw TOMLError("expected ':' and seconds after the minute (seconds are required in TOML 1.0)", at: position(at: k))
        }
        k += 1
        let secondIndex = k
        result.second = try field(2, "second")
        try check(result.hour < 24, "hour \(result.hour) is out of range (00 to 23)", at: hourIndex)
        try check(result.minute < 60, "minute \(result.minute) is out of range (00 to 59)", at: minuteIndex)
        try check(result.second <= 60, "second \(result.second) is out of range (00 to 60)", at: secondIndex)
        if k < end, text[k] == "." {
            k += 1
            let fractionStart = k
            while k < end, text[k].isDigit { k += 1 }
            try check(k > fractionStart, "expected digits after '.' in the seconds", at: fractionStart)
            result.fraction = slice(fractionStart, k)
        }
        result.kind = hasDate ? .localDateTime : .localTime

        if hasDate, k < end {
            let c = text[k]
            if c == "Z" || c == "z" {
                k += 1
                result.offsetMinutes = 0
            } else if c == "+" || c == "-" {
                k += 1
                let offsetHourIndex = k
                let hours = try field(2, "offset hour")
                try expect(":", after: "offset hour")
                let offsetMinuteIndex = k
                let minutes = try field(2, "offset minute")
                try check(hours < 24, "offset hour \(hours) is out of range (00 to 23)", at: offsetHourIndex)
                try check(minutes < 60, "offset minute \(minutes) is out of range (00 to 59)", at: offsetMinuteIndex)
                result.offsetMinutes = (c == "-" ? -1 : 1) * (hours * 60 + minutes)
            }
            if result.offsetMinutes != nil { result.kind = .offsetDateTime }
        }
        if k < end {
            let what = hasDate ? "date-time" : "time"
            throw TOMLError("unexpected \(describe(text[k])) in the \(what)", at: position(at: k))
        }
        return result
    }

    func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }
}

extension Unicode.Scalar {
    /// The value of a hexadecimal (or decimal) digit; only called on validated digits.
    var hexDigitValue: UInt32 {
        switch value {
        case 48...57: value - 48
        case 65...70: value - 55
        case 97...102: value - 87
        default: 0
        }
    }
}
