import Foundation
import Testing

/// Every invalid fixture in Fixtures/invalid/ has a `.expected` file with the exact stderr of
/// `somacue validate` (run in that folder) followed by "exit N".
@Suite("Diagnostics")
struct DiagnosticsTests {
    static let dir = E2E.fixtures.appendingPathComponent("invalid")
    static let fixtures: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
        .filter { $0.hasSuffix(".toml") }.sorted()

    @Test func thereAreEnoughFixtures() {
        #expect(Self.fixtures.count >= 20)
        let kinds = Set(Self.fixtures.map { $0.split(separator: "-").first.map(String.init) ?? "" })
        #expect(kinds.isSuperset(of: ["config", "session", "exercise"]))
    }

    @Test(arguments: fixtures)
    func fixtureGivesItsExpectedDiagnostics(_ name: String) throws {
        let expectedURL = Self.dir.appendingPathComponent(String(name.dropLast(5)) + ".expected")
        let expected = try String(contentsOf: expectedURL, encoding: .utf8)
            .replacingOccurrences(of: "$FIXTURES", with: Self.dir.path)
        let r = try E2E.run(E2E.somacue, ["validate", name], cwd: Self.dir)
        let actual = r.stderr + "exit \(r.status)\n"
        #expect(actual == expected)
        #expect(r.stdout.isEmpty)
        // Every diagnostic line carries file:line:col.
        for line in r.stderr.split(separator: "\n") {
            #expect(line.range(of: #"^[^:]+:\d+:\d+: (error|warning): "#, options: .regularExpression) != nil, "\(line)")
        }
    }

    @Test func explicitKindOverridesDetection() throws {
        // A config file checked as a session: its own schema errors, not config ones.
        let r = try E2E.run(E2E.somacue, ["validate", "--kind", "session", "config-unknown-key.toml"], cwd: Self.dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("missing table [session]"))
        let bad = try E2E.run(E2E.somacue, ["validate", "--kind", "song", "config-unknown-key.toml"], cwd: Self.dir)
        #expect(bad.status == 64)
        let missing = try E2E.somacue("validate", "/nonexistent/file.toml")
        #expect(missing.status == 66 && missing.stderr.contains("/nonexistent/file.toml"))
    }
}
