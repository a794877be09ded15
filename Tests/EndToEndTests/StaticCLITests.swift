import Foundation
import Testing

/// `somacue` is one fully static executable (no dynamic loader at start-up) that makes no
/// name-service lookups: its paths come from $HOME and the XDG variables, and a missing one is a
/// clear error rather than a getpwuid_r call, which a static binary could not serve.
@Suite("Static CLI")
struct StaticCLITests {
    /// The ELF program header types of `path` (64-bit little-endian only).
    static func programHeaderTypes(_ path: String) throws -> [UInt32] {
        let d = try Data(contentsOf: URL(fileURLWithPath: path))
        func u(_ o: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 | Int(d[o + $1]) << (8 * $1) } }
        try #require(d.count > 64 && d[0] == 0x7f && d[1] == 0x45 && d[4] == 2 && d[5] == 1, "not a 64-bit LE ELF file")
        let phoff = u(0x20, 8), phentsize = u(0x36, 2), phnum = u(0x38, 2)
        return (0..<phnum).map { UInt32(u(phoff + $0 * phentsize, 4)) }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["SOMACUE_SANITIZE"].map { $0.isEmpty || $0 == "0" } ?? true,
                   "sanitizer builds link dynamically"))
    func somacueHasNoDynamicLoader() throws {
        let types = try Self.programHeaderTypes(E2E.somacue)
        #expect(!types.contains(3), "somacue has a PT_INTERP header: it is not a static executable")
        #expect(!types.contains(2), "somacue has a PT_DYNAMIC header: it is not a static executable")
        let r = try E2E.somacue("--version")
        #expect(r.status == 0 && r.stdout == "0.1.0\n")
    }

    @Test func missingHomeAndXDGVariablesAreClearErrors() throws {
        var env = E2E.cleanEnvironment()
        for key in ["HOME", "XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "SOMACUE_SOCKET"] { env.removeValue(forKey: key) }
        let status = try E2E.run(E2E.somacue, ["status"], env: env)
        #expect(status.status == 64)
        #expect(status.stderr.contains("XDG_RUNTIME_DIR is not set; pass --socket PATH or set SOMACUE_SOCKET"), "\(status.stderr)")
        let dir = E2E.tempDir("nohome")
        defer { try? FileManager.default.removeItem(at: dir) }
        env["XDG_RUNTIME_DIR"] = dir.path
        let start = try E2E.run(E2E.somacue, ["start", "strength-warm-up"], env: env)
        #expect(start.status == 69)
        #expect(start.stderr.contains("neither XDG_STATE_HOME nor HOME is set"), "\(start.stderr)")
    }
}
