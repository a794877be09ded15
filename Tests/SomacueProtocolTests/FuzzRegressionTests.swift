import Foundation
import Testing
import SomacueCore
import SomacueProtocol

/// Replays every input the fuzzers ever crashed on (`Fuzz/regressions/{json,request}/`) through
/// the same path as the fuzz target. Before its fix each of these trapped or broke an invariant.
@Suite("Fuzz regressions (protocol)")
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
