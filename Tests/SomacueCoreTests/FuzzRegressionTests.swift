import Foundation
import Testing
import SomacueCore
import SomacueProtocol

/// Replays every input the fuzzers ever crashed on (`Fuzz/regressions/<target>/`) through the
/// same path as its fuzz target: TOML parse, every schema reader and their diagnostics; plan and
/// compile; the JSON parser; framing and request parsing. Before its fix each of these trapped
/// or broke an invariant; the checks below must hold for all of them.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/regressions")

    static func inputs(_ target: String) -> [(name: String, bytes: [UInt8])] {
        let dir = root.appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) else { return nil }
            return (name, Array(data))
        }
    }

    @Test("TOML and schema inputs give positioned diagnostics, never a trap")
    func tomlAndSchema() {
        for (name, bytes) in Self.inputs("toml") + Self.inputs("schema") {
            let lines = bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            guard let root = try? parseTOML(utf8: bytes) else { continue }
            var diagnostics: [Diagnostic] = []
            var r = SchemaReader(file: name)
            _ = readSession(root, reader: &r)
            diagnostics += r.diagnostics
            r = SchemaReader(file: name)
            _ = readExercise(root, reader: &r)
            diagnostics += r.diagnostics
            r = SchemaReader(file: name)
            _ = readManifest(root, reader: &r)
            diagnostics += r.diagnostics
            r = SchemaReader(file: name)
            _ = readConfig(root, reader: &r)
            diagnostics += r.diagnostics
            for d in diagnostics {
                #expect(d.description.hasPrefix(name + ":"), "\(name): \(d)")
                if let p = d.position { #expect(p.line >= 1 && p.line <= lines && p.column >= 1, "\(name): \(d)") }
            }
        }
    }

    @Test("compiler inputs lay out a tiled timeline, never a trap")
    func compiler() throws {
        for (name, bytes) in Self.inputs("compiler") {
            var docs: [[UInt8]] = [[]]
            for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
                if line.elementsEqual("#---".utf8) { docs.append([]) } else { docs[docs.count - 1] += line + [0x0A] }
            }
            guard let root = try? parseTOML(utf8: docs[0]) else { continue }
            var r = SchemaReader(file: name)
            guard let session = readSession(root, reader: &r), !r.diagnostics.hasErrors else { continue }
            var exercises: [String: Exercise] = [:]
            for doc in docs.dropFirst() {
                var er = SchemaReader(file: name)
                if let t = try? parseTOML(utf8: doc), let e = readExercise(t, reader: &er), !er.diagnostics.hasErrors {
                    exercises[e.id] = e
                }
            }
            let e = PacingEngine(session: session, exercises: exercises, settings: PacingSettings())
            guard let cues = try? catalog(for: e) else { continue }
            let t = try e.compile(cues: cues)
            #expect(t.segments.first?.frame == .zero && t.segments.last?.end == t.frames, "\(name)")
            #expect(zip(t.events, t.events.dropFirst()).allSatisfy { $0.frame <= $1.frame }, "\(name)")
        }
    }

    @Test("JSON inputs parse or fail within the input, and written values read back")
    func json() {
        for (name, bytes) in Self.inputs("json") {
            do {
                let value = try parseJSON(bytes)
                #expect((try? parseJSON(Array(value.compact.utf8))) != nil, "\(name)")
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count, "\(name): \(error)")
            }
        }
    }

    @Test("request lines are answered with one line of valid JSON")
    func requests() {
        for (name, bytes) in Self.inputs("request") {
            var framer = LineFramer()
            framer.feed(bytes)
            var lines: [[UInt8]] = []
            while case .line(let l)? = framer.nextLine() { lines.append(l) }
            for line in lines {
                switch parseRequest(line) {
                case .success(let r):
                    #expect(parseRequest(Array(encodeRequest(id: r.id, command: r.command).utf8)).isSuccess, "\(name)")
                case .failure(let f):
                    #expect((try? parseJSON(Array(f.reply.utf8))) != nil, "\(name): \(f.reply)")
                }
            }
        }
    }
}

extension Result {
    fileprivate var isSuccess: Bool { if case .success = self { true } else { false } }
}
