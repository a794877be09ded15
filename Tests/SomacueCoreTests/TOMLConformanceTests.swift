import Foundation
import SomacueCore
import Testing

// Runs the TOML parser against toml-test, the language's conformance suite, as Debian 12 ships it
// inside golang-github-burntsushi-toml-dev (installed by scripts/deps.sh), plus a few tests of
// positions and messages.

@Suite("TOML conformance (toml-test, TOML 1.0.0)")
struct TOMLConformanceTests {
    @Test("the suite is the one expected: 100 valid files with expected JSON, 234 invalid")
    func suiteSize() throws {
        let suite = try TOMLTestSuite.locate()
        let valid = try suite.allFiles(under: "valid/")
        #expect(valid.count == 100)
        for file in valid {
            let json = suite.root.appendingPathComponent(String(file.dropLast(5)) + ".json").path
            #expect(FileManager.default.fileExists(atPath: json), "\(file) has no expected JSON")
        }
        #expect(try suite.allFiles(under: "invalid/").count == 234)
        #expect(try suite.files(under: "valid/").count == 100 - TOMLTestSuite.excluded.count)
    }

    @Test("every valid file parses to the expected value")
    func validFiles() throws {
        let suite = try TOMLTestSuite.locate()
        let files = try suite.files(under: "valid/")
        #expect(!files.isEmpty, "no valid/*.toml files under \(suite.root.path)")
        var failures: [String] = []
        for file in files {
            if let problem = suite.checkValid(file) { failures.append("\(file): \(problem)") }
        }
        print("toml-test valid: \(files.count - failures.count) of \(files.count) pass")
        #expect(failures.isEmpty, "\(failures.count) of \(files.count) valid files failed:\n\(failures.joined(separator: "\n"))")
    }

    @Test("every invalid file is rejected")
    func invalidFiles() throws {
        let suite = try TOMLTestSuite.locate()
        let files = try suite.files(under: "invalid/")
        #expect(!files.isEmpty, "no invalid/*.toml files under \(suite.root.path)")
        var failures: [String] = []
        for file in files {
            if let problem = suite.checkInvalid(file) { failures.append("\(file): \(problem)") }
        }
        print("toml-test invalid: \(files.count - failures.count) of \(files.count) pass")
        #expect(failures.isEmpty, "\(failures.count) of \(files.count) invalid files were accepted:\n\(failures.joined(separator: "\n"))")
    }
}

// MARK: - Locating and running the suite

struct TOMLTestSuite {
    struct NotFound: Error, CustomStringConvertible {
        var description: String
    }

    /// Where Debian's golang-github-burntsushi-toml-dev (1.2.0) puts toml-test's `tests` folder.
    static let debianPath = "/usr/share/gocode/src/github.com/BurntSushi/toml/internal/toml-test/tests"

    /// Files of the suite that are not TOML 1.0.0, with the reason. This release of the suite
    /// has no `files-toml-1.0.0` list, so the exclusions are named here.
    static let excluded: [String: String] = [
        "valid/string/escape-esc.toml": "the \\e escape is new in TOML 1.1; TOML 1.0 rejects it",
    ]

    /// The `tests` folder of toml-test.
    let root: URL

    /// `SOMACUE_TOML_TEST_DIR` (a toml-test `tests` folder), else the Debian package's copy.
    /// Throwing (rather than skipping) makes a missing suite a visible failure.
    static func locate() throws -> TOMLTestSuite {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if let env = ProcessInfo.processInfo.environment["SOMACUE_TOML_TEST_DIR"], !env.isEmpty {
            guard fm.fileExists(atPath: env + "/valid", isDirectory: &isDir), isDir.boolValue else {
                throw NotFound(description: "SOMACUE_TOML_TEST_DIR=\(env) has no valid/ folder; point it at toml-test's tests folder")
            }
            return TOMLTestSuite(root: URL(fileURLWithPath: env))
        }
        guard fm.fileExists(atPath: debianPath + "/valid", isDirectory: &isDir), isDir.boolValue else {
            throw NotFound(description: "toml-test suite not found at \(debianPath): install golang-github-burntsushi-toml-dev (scripts/deps.sh does), or set SOMACUE_TOML_TEST_DIR to a toml-test tests folder")
        }
        return TOMLTestSuite(root: URL(fileURLWithPath: debianPath))
    }

    /// Every `.toml` file under `prefix` (e.g. "valid/"), relative to the root, sorted.
    func allFiles(under prefix: String) throws -> [String] {
        let base = root.appendingPathComponent(prefix)
        guard let walker = FileManager.default.enumerator(atPath: base.path) else {
            throw NotFound(description: "cannot list \(base.path)")
        }
        var out: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.hasSuffix(".toml") { out.append(prefix + relative) }
        }
        return out.sorted()
    }

    /// The TOML 1.0.0 files under `prefix`: all of them but the named exclusions.
    func files(under prefix: String) throws -> [String] {
        try allFiles(under: prefix).filter { Self.excluded[$0] == nil }
    }

    func bytes(_ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(file)))
    }

    /// nil when the file parses to what its .json says, else what went wrong.
    func checkValid(_ file: String) -> String? {
        let data: [UInt8]
        let expectedData: Data
        do {
            data = try bytes(file)
            expectedData = try Data(contentsOf: root.appendingPathComponent(String(file.dropLast(5)) + ".json"))
        } catch {
            return "cannot read: \(error)"
        }
        guard let text = String(validating: data, as: UTF8.self) else { return "not valid UTF-8" }
        let parsed: TOMLTable
        do {
            parsed = try parseTOML(text)
        } catch {
            return "rejected: \(error)"
        }
        do {
            _ = try parseTOML(utf8: data)
        } catch {
            return "the byte entry point rejected it: \(error)"
        }
        let expected: Tagged
        do {
            expected = try Tagged(json: JSONSerialization.jsonObject(with: expectedData, options: [.fragmentsAllowed]))
        } catch {
            return "cannot read the expected JSON: \(error)"
        }
        return Tagged(parsed).difference(from: expected, path: "")
    }

    /// nil when the file is rejected.
    func checkInvalid(_ file: String) -> String? {
        let data: [UInt8]
        do { data = try bytes(file) } catch { return "cannot read: \(error)" }
        do {
            // Invalid UTF-8 cannot become a String, so those files go through the byte entry point.
            if let text = String(validating: data, as: UTF8.self) {
                _ = try parseTOML(text)
            } else {
                _ = try parseTOML(utf8: data)
            }
            return "accepted"
        } catch {
            return nil
        }
    }
}

/// The toml-test JSON form: tables as objects, arrays as arrays, values as {type, value} strings.
indirect enum Tagged {
    case table([String: Tagged])
    case array([Tagged])
    case value(type: String, text: String)

    struct BadJSON: Error {
        var what: String
    }

    init(json: Any) throws {
        if let object = json as? [String: Any] {
            if object.count == 2, let type = object["type"] as? String, let text = object["value"] as? String {
                self = .value(type: type, text: text)
                return
            }
            var table: [String: Tagged] = [:]
            for (key, value) in object { table[key] = try Tagged(json: value) }
            self = .table(table)
        } else if let array = json as? [Any] {
            self = .array(try array.map { try Tagged(json: $0) })
        } else {
            throw BadJSON(what: "\(json)")
        }
    }

    init(_ table: TOMLTable) {
        var out: [String: Tagged] = [:]
        for entry in table.entries { out[entry.key] = Tagged(entry.node.value) }
        self = .table(out)
    }

    init(_ value: TOMLValue) {
        switch value {
        case .string(let s): self = .value(type: "string", text: s)
        case .integer(let i): self = .value(type: "integer", text: String(i))
        case .float(let d):
            let text = d.isNaN ? "nan" : d.isInfinite ? (d < 0 ? "-inf" : "inf") : "\(d)"
            self = .value(type: "float", text: text)
        case .boolean(let b): self = .value(type: "bool", text: b ? "true" : "false")
        case .dateTime(let dt): self = Tagged.dateTime(dt)
        case .array(let items): self = .array(items.map { Tagged($0.value) })
        case .table(let table): self = Tagged(table)
        }
    }

    static func dateTime(_ dt: TOMLDateTime) -> Tagged {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let date = "\(pad(dt.year, 4))-\(pad(dt.month, 2))-\(pad(dt.day, 2))"
        var time = "\(pad(dt.hour, 2)):\(pad(dt.minute, 2)):\(pad(dt.second, 2))"
        if !dt.fraction.isEmpty { time += "." + dt.fraction }
        switch dt.kind {
        case .localDate: return .value(type: "date-local", text: date)
        case .localTime: return .value(type: "time-local", text: time)
        case .localDateTime: return .value(type: "datetime-local", text: date + "T" + time)
        case .offsetDateTime:
            let minutes = dt.offsetMinutes ?? 0
            let offset = minutes == 0 ? "Z" : (minutes < 0 ? "-" : "+") + pad(abs(minutes) / 60, 2) + ":" + pad(abs(minutes) % 60, 2)
            return .value(type: "datetime", text: date + "T" + time + offset)
        }
    }

    /// nil when equal; otherwise where and how they differ.
    func difference(from expected: Tagged, path: String) -> String? {
        let here = path.isEmpty ? "top level" : path
        switch (self, expected) {
        case (.table(let a), .table(let b)):
            if Set(a.keys) != Set(b.keys) {
                return "\(here): keys \(a.keys.sorted()) but expected \(b.keys.sorted())"
            }
            for key in a.keys.sorted() {
                if let aValue = a[key], let bValue = b[key],
                   let problem = aValue.difference(from: bValue, path: path.isEmpty ? key : path + "." + key) {
                    return problem
                }
            }
            return nil
        case (.array(let a), .array(let b)):
            if a.count != b.count { return "\(here): \(a.count) elements but expected \(b.count)" }
            for (i, (x, y)) in zip(a, b).enumerated() {
                if let problem = x.difference(from: y, path: "\(path)[\(i)]") { return problem }
            }
            return nil
        case (.value(let typeA, let textA), .value(let typeB, let textB)):
            if typeA != typeB { return "\(here): \(typeA) \(textA) but expected \(typeB) \(textB)" }
            if !Tagged.sameValue(type: typeA, textA, textB) {
                return "\(here): \(typeA) \(textA.debugDescription) but expected \(textB.debugDescription)"
            }
            return nil
        default:
            return "\(here): \(kind) but expected \(expected.kind)"
        }
    }

    var kind: String {
        switch self {
        case .table: "table"
        case .array: "array"
        case .value(let type, _): type
        }
    }

    static func sameValue(type: String, _ a: String, _ b: String) -> Bool {
        switch type {
        case "integer":
            return Int64(a) != nil && Int64(a) == Int64(b)
        case "float":
            guard let x = float(a), let y = float(b) else { return false }
            return (x.isNaN && y.isNaN) || x == y
        case "datetime", "datetime-local", "date-local", "time-local":
            return normalizedDateTime(a) == normalizedDateTime(b)
        default:
            return a == b
        }
    }

    static func float(_ text: String) -> Double? {
        switch text.lowercased() {
        case "inf", "+inf": .infinity
        case "-inf": -.infinity
        case "nan", "+nan", "-nan": .nan
        default: Double(text)
        }
    }

    /// Upper case, 'T' between date and time, "Z" for a zero offset, no trailing zeros in the
    /// fraction: the spellings toml-test treats as the same date-time.
    static func normalizedDateTime(_ text: String) -> String {
        var s = text.uppercased()
        if s.count > 10, s[s.index(s.startIndex, offsetBy: 10)] == " " {
            s.replaceSubrange(s.index(s.startIndex, offsetBy: 10)...s.index(s.startIndex, offsetBy: 10), with: "T")
        }
        if s.hasSuffix("+00:00") || s.hasSuffix("-00:00") { s = String(s.dropLast(6)) + "Z" }
        if let dot = s.firstIndex(of: ".") {
            let digitsEnd = s[s.index(after: dot)...].firstIndex { !$0.isNumber } ?? s.endIndex
            var fraction = String(s[s.index(after: dot)..<digitsEnd])
            while fraction.hasSuffix("0") { fraction.removeLast() }
            s = String(s[..<dot]) + (fraction.isEmpty ? "" : "." + fraction) + String(s[digitsEnd...])
        }
        return s
    }
}

// MARK: - Positions and messages

@Suite("TOML parser positions and errors")
struct TOMLParserTests {
    func pos(_ line: Int, _ column: Int) -> SourcePosition { SourcePosition(line: line, column: column) }

    func error(_ text: String) -> TOMLError? {
        do {
            _ = try parseTOML(text)
            return nil
        } catch {
            return error
        }
    }

    /// Small tables are searched key by key, larger ones through an index built as they grow
    /// (`TOMLBuilder.Table.linearLimit`): both keep document order and find every duplicate,
    /// plain or dotted, and every table a later header or dotted key reaches.
    @Test func smallAndLargeTablesKeepOrderAndFindDuplicates() throws {
        for count in [1, 5, 12, 13, 40] {
            let keys = (0..<count).map { "k\(($0 * 7) % count)x\($0)" }
            let body = keys.enumerated().map { "\($0.element) = \($0.offset)" }.joined(separator: "\n")
            let doc = try parseTOML(body + "\nsub.a = 1\nsub.b = 2\n[t]\nz = 1\n[t.u]\ny = 2\n")
            #expect(doc.keys == keys + ["sub", "t"], "\(count) keys")
            for (i, k) in keys.enumerated() {
                guard case .integer(let v)? = doc[k]?.value else { Issue.record("\(k) missing"); continue }
                #expect(v == Int64(i))
            }
            guard case .table(let t)? = doc["t"]?.value, case .table(let u)? = t["u"]?.value else {
                Issue.record("t.u missing with \(count) keys")
                continue
            }
            #expect(t.keys == ["z", "u"] && u.keys == ["y"])
            for (i, k) in keys.enumerated() {
                let line = count + 1
                let e = try #require(error(body + "\n\(k) = 0\n"))
                #expect(e.message.contains("duplicate key \"\(k)\" (first defined at \(i + 1):1)"), "\(e.message)")
                #expect(e.position == pos(line, 1))
            }
            let dotted = try #require(error(body + "\nsub.a = 1\nsub.a = 2\n"))
            #expect(dotted.message.contains("duplicate key \"sub.a\""), "\(dotted.message)")
            let header = try #require(error(body + "\n[\(keys[count - 1])]\n"))
            #expect(header.message.contains("already defined as an integer"), "\(header.message)")
        }
    }

    @Test func keyAndValuePositions() throws {
        let doc = try parseTOML("""
        title = "Breath"  # comment
        [pacing]
          tempo = 6.5
          cue.sound = 'bell'
        [[step]]
        name = "in"
        [[step]]
        "é" = [1, { x = 2 }]
        """)
        let title = try #require(doc.entry("title"))
        #expect(title.keyPosition == pos(1, 1))
        #expect(title.node.position == pos(1, 9))

        let pacingNode = try #require(doc["pacing"])
        #expect(pacingNode.position == pos(2, 1))
        #expect(doc.entry("pacing")?.keyPosition == pos(2, 2))
        guard case .table(let pacing) = pacingNode.value else { Issue.record("pacing is not a table"); return }
        #expect(pacing.entry("tempo")?.keyPosition == pos(3, 3))
        #expect(pacing["tempo"]?.position == pos(3, 11))
        // Dotted keys: each segment at its own position; the implicit table at its segment.
        #expect(pacing.entry("cue")?.keyPosition == pos(4, 3))
        #expect(pacing["cue"]?.position == pos(4, 3))
        guard case .table(let cue) = pacing["cue"]?.value else { Issue.record("cue is not a table"); return }
        #expect(cue.entry("sound")?.keyPosition == pos(4, 7))
        #expect(cue["sound"]?.position == pos(4, 15))

        guard case .array(let steps) = doc["step"]?.value else { Issue.record("step is not an array"); return }
        #expect(doc["step"]?.position == pos(5, 1))
        #expect(steps.map(\.position) == [pos(5, 1), pos(7, 1)])
        guard case .table(let second) = steps.last?.value else { Issue.record("step[1] is not a table"); return }
        // Columns count Unicode scalars, so "é" is three columns wide.
        #expect(second.entry("é")?.keyPosition == pos(8, 1))
        guard case .array(let items) = second["é"]?.value else { Issue.record("é is not an array"); return }
        #expect(items.map(\.position) == [pos(8, 8), pos(8, 11)])
        guard case .table(let inline) = items.last?.value else { Issue.record("not an inline table"); return }
        #expect(inline.position == pos(8, 11))
        #expect(inline["x"]?.position == pos(8, 17))
    }

    @Test func keysKeepDocumentOrder() throws {
        let doc = try parseTOML("b = 1\na = 2\n[c]\n[\"z\"]\n")
        #expect(doc.keys == ["b", "a", "c", "z"])
    }

    @Test func missingEquals() {
        let e = error("x = 1\ntempo 120\n")
        #expect(e?.position == pos(2, 7))
        #expect(e?.message.hasPrefix("expected '=' after key \"tempo\"") == true)
    }

    @Test func unterminatedString() {
        let e = error("name = \"abc\nnext = 1\n")
        #expect(e?.position == pos(1, 12))
        #expect(e?.message.contains("unterminated string") == true)

        let multi = error("a = 1\nb = \"\"\"abc\n")
        #expect(multi?.position == pos(3, 1))
        #expect(multi?.message.contains("starts at 2:5") == true)
    }

    @Test func duplicateKey() {
        let e = error("[a]\ntempo = 1\nother = 2\ntempo = 3\n")
        #expect(e?.position == pos(4, 1))
        #expect(e?.message == "duplicate key \"tempo\" (first defined at 2:1)")
    }

    @Test func badEscape() {
        let e = error(#"s = "ab\qc""#)
        #expect(e?.position == pos(1, 8))
        #expect(e?.message == #"invalid escape sequence "\q""#)
    }

    @Test func redefinitions() {
        #expect(error("[a]\nx = 1\n[a]\n")?.message.contains("defined twice") == true)
        #expect(error("a = { x = 1 }\n[a]\n")?.position == pos(2, 2))
        #expect(error("a = { x = 1 }\na.y = 2\n")?.message.contains("inline table") == true)
        #expect(error("a = [1]\n[[a]]\n")?.message.contains("static array") == true)
        #expect(error("[a.b]\n[a]\nb.c = 1\n[a.b]\n") != nil)
    }

    @Test func badValues() {
        #expect(error("n = 0x_1\n")?.position == pos(1, 7))
        #expect(error("n = 9223372036854775808\n")?.message.contains("64 bits") == true)
        #expect(error("d = 2023-02-29\n")?.position == pos(1, 13))
        #expect(error("t = 24:00:00\n")?.position == pos(1, 5))
        #expect(error("s = 'a\u{7}b'\n")?.position == pos(1, 7))
    }

    @Test func crlfLineEndings() throws {
        let doc = try parseTOML("a = 1\r\nb = \"\"\"\r\nx\r\ny\"\"\"\r\nc = 'z' # note\r\n")
        guard case .string(let b) = doc["b"]?.value else { Issue.record("b is not a string"); return }
        #expect(b == "x\ny")
        #expect(doc.entry("b")?.keyPosition == pos(2, 1))
        #expect(doc.entry("c")?.keyPosition == pos(5, 1))
        #expect(doc["c"]?.position == pos(5, 5))

        let lone = error("a = 1\rb = 2\n")
        #expect(lone?.position == pos(1, 6))
        #expect(lone?.message.contains("carriage return") == true)
    }

    @Test func byteOrderMarkTakesNoColumn() throws {
        let doc = try parseTOML("\u{FEFF}a = 1\n")
        #expect(doc.entry("a")?.keyPosition == pos(1, 1))
        #expect(doc["a"]?.position == pos(1, 5))
        #expect(error("a = \u{FEFF}1\n")?.position == pos(1, 5))
    }

    @Test func nestingIsBounded() {
        let deep = "a = " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(error(deep)?.message.contains("nested too deeply") == true)
        let dotted = Array(repeating: "k", count: 500).joined(separator: ".") + " = 1"
        #expect(error(dotted)?.message.contains("nested too deeply") == true)
        let fine = "a = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(error(fine) == nil)
    }

    /// Guards the conformance harness itself: it must notice a wrong value, not only a crash.
    @Test func harnessComparesValues() throws {
        let doc = try parseTOML("i = 1\nf = 1.5\nd = 1979-05-27 07:32:00.500-00:00\nn = nan\n")
        func expected(_ json: String) throws -> Tagged {
            try Tagged(json: JSONSerialization.jsonObject(with: Data(json.utf8)))
        }
        let same = try expected(#"""
            {"i": {"type": "integer", "value": "1"}, "f": {"type": "float", "value": "1.50"},
             "d": {"type": "datetime", "value": "1979-05-27T07:32:00.5Z"}, "n": {"type": "float", "value": "nan"}}
            """#)
        #expect(Tagged(doc).difference(from: same, path: "") == nil)
        let different = try expected(#"""
            {"i": {"type": "integer", "value": "2"}, "f": {"type": "float", "value": "1.50"},
             "d": {"type": "datetime", "value": "1979-05-27T07:32:00.5Z"}, "n": {"type": "float", "value": "nan"}}
            """#)
        #expect(Tagged(doc).difference(from: different, path: "") == "i: integer \"1\" but expected \"2\"")
    }

    @Test func invalidUTF8Bytes() {
        #expect(throws: TOMLError.self) { try parseTOML(utf8: [0x61, 0x20, 0x3D, 0x20, 0x22, 0xFF, 0x22]) }
        do {
            _ = try parseTOML(utf8: Array("a = 1\n# \u{00E9}".utf8) + [0xC3])
            Issue.record("accepted a truncated UTF-8 sequence")
        } catch {
            #expect(error.position == pos(2, 4))
        }
    }
}
