import Foundation
import Testing

/// Locations and a process runner shared by the end-to-end tests. These tests run the built
/// binaries (`swift build` first: the README's test command does) on the real audio path.
enum E2E {
    static let repo: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The folder holding the built products: next to the test bundle.
    static let products: URL = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("somacued").path) { return url }
            url = url.deletingLastPathComponent()
        }
        // `swift test` run from the package root without a prior `swift build`.
        return repo.appendingPathComponent(".build/debug")
    }()

    static var somacue: String { products.appendingPathComponent("somacue").path }
    static var somacued: String { products.appendingPathComponent("somacued").path }

    /// The repository's own headless-audio harness: `scripts/headless-pulse.sh` and the ALSA
    /// configurations in `scripts/alsa/`.
    static let pulseScript = repo.appendingPathComponent("scripts/headless-pulse.sh").path
    static func alsaConf(_ name: String) -> String { repo.appendingPathComponent("scripts/alsa/\(name)").path }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A private HOME / XDG_CONFIG_HOME so the user's own config never leaks into a test.
    static func cleanEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        let home = tempDir("home")
        env["HOME"] = home.path
        env["XDG_CONFIG_HOME"] = home.appendingPathComponent(".config").path
        // A daemon started by a test keeps its state and history here, never in the user's.
        env["XDG_STATE_HOME"] = home.appendingPathComponent(".local/state").path
        env["SOMACUE_DATA_DIR"] = repo.path
        env.removeValue(forKey: "ALSA_CONFIG_PATH")
        // Never the developer's desktop bus: MPRIS tests start a private one.
        env.removeValue(forKey: "DBUS_SESSION_BUS_ADDRESS")
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// Whether user `nobody` can run the built binaries and read the checkout (the tests that run
    /// somacue as another user need it). A clone inside a private directory (mode 0700, like
    /// `mktemp -d`) cannot be reached by another user; those tests are then skipped, not failed.
    static let nobodyCanRunTheBuild: Bool = {
        guard let r = try? run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                    "/bin/sh", "-c", "test -x \"$0\" && test -r \"$1\"",
                                                    somacued, repo.appendingPathComponent("sessions").path])
        else { return false }
        return r.status == 0
    }()

    @discardableResult
    static func run(_ executable: String, _ args: [String], env: [String: String]? = nil, cwd: URL? = nil) throws -> Result {
        let p = Process()
        if let cwd { p.currentDirectoryURL = cwd }
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.environment = env ?? cleanEnvironment()
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Read both pipes concurrently so a chatty child never blocks on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    static func somacue(_ args: String..., env: [String: String]? = nil) throws -> Result {
        try run(somacue, args, env: env)
    }

    static func tempDir(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("somacue-test-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    /// Reads a 16-bit stereo WAV's samples with libsndfile's own tool-free path: parse RIFF.
    static func wavSamples(_ url: URL) throws -> (rate: Int, channels: Int, samples: [Int16]) {
        let d = try Data(contentsOf: url)
        func u32(_ o: Int) -> Int { Int(d[o]) | Int(d[o + 1]) << 8 | Int(d[o + 2]) << 16 | Int(d[o + 3]) << 24 }
        func u16(_ o: Int) -> Int { Int(d[o]) | Int(d[o + 1]) << 8 }
        guard d.count >= 12, String(decoding: d[0..<4], as: UTF8.self) == "RIFF" else { throw CocoaError(.fileReadCorruptFile) }
        var o = 12
        var rate = 0, channels = 0, bits = 0
        while o + 8 <= d.count {
            let id = String(decoding: d[o..<o + 4], as: UTF8.self)
            var size = u32(o + 4)
            if id == "fmt " {
                channels = u16(o + 10)
                rate = u32(o + 12)
                bits = u16(o + 22)
            } else if id == "data" {
                #expect(bits == 16)
                // The ALSA file plugin may leave the data size unset (0 or 0xFFFFFFFF).
                if size == 0 || o + 8 + size > d.count { size = d.count - o - 8 }
                var samples: [Int16] = []
                samples.reserveCapacity(size / 2)
                var i = o + 8
                while i + 1 < o + 8 + size {
                    samples.append(Int16(bitPattern: UInt16(d[i]) | UInt16(d[i + 1]) << 8))
                    i += 2
                }
                return (rate, channels, samples)
            }
            o += 8 + size + (size % 2)
        }
        throw CocoaError(.fileReadCorruptFile)
    }
}
