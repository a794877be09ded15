import Foundation
import Glibc
import Testing

/// A number too large for an integer, anywhere the programs read one, is reported where it is
/// (file:line:col, or exit status 64 for an argument) and never kills the process with SIGILL
/// (issue 6, defect 1). Before the fix each of these died in `formatNumber`.
@Suite("Large numbers", .serialized)
struct LargeNumberTests {
    func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func validateReportsHugeNumbersAtTheirPosition() throws {
        let dir = E2E.tempDir("bignum")
        let session = try write("[session]\ntitle = 1e19\nopening = \"a\"\nclosing = \"b\"\n[[step]]\nexercise = \"arch-and-flatten\"\n",
                                "s.toml", in: dir)
        let manifest = try write("[[cue]]\nid = \"x\"\nfile = \"x.wav\"\ntext = \"x\"\ngain = 1e300\n", "manifest.toml", in: dir)
        let exercise = try write("""
            [exercise]
            title = "Big"
            position = "Lie down."
            reps = 9223372036854775807
            [exercise.contract]
            say = "Lift."
            seconds = -1e308
            [exercise.release]
            say = "Lower."
            seconds = inf
            """, "big.toml", in: dir)
        let r = try E2E.run(E2E.somacued, ["validate", session, manifest, exercise])
        #expect(r.status == 1, "validate died or passed: status \(r.status)\n\(r.stderr)")
        let out = r.stderr
        #expect(out.contains("\(session):2:9: error: session.title: expected a string, found float 1e+19"), "\(out)")
        #expect(out.contains("\(manifest):5:8: error: cue[1].gain: expected a number from 0 to 1.5, found 1e+300"), "\(out)")
        #expect(out.contains("\(exercise):4:8: error: exercise.reps"), "\(out)")
        #expect(out.contains("found -1e+308"), "\(out)")
        #expect(out.contains("found inf"), "\(out)")
    }

    @Test(arguments: [["timeline", "activate-the-abdominals", "--tempo", "1e17"],
                      ["timeline", "activate-the-abdominals", "--tempo=-1e300"],
                      ["render", "activate-the-abdominals", "-o", "/dev/null", "--lead-in", "1e300"],
                      ["timeline", "activate-the-abdominals", "--lead-in", "1e19"]])
    func hugeArgumentsExit64(_ args: [String]) throws {
        let r = try E2E.run(E2E.somacue, args)
        #expect(r.status == 64, "\(args): status \(r.status)\n\(r.stderr)")
        #expect(r.stderr.contains("out of range"), "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))
    }

    @Test func daemonRefusesAConfigWithAHugeNumber() throws {
        let home = E2E.tempDir("bignum-daemon")
        let config = try write("[audio]\nlatency_ms = 1e300\n[daemon]\nclient_timeout = 1e19\n", "config.toml", in: home)
        var env = E2E.cleanEnvironment()
        env["XDG_RUNTIME_DIR"] = home.path
        let r = try E2E.run(E2E.somacued, ["serve", "--config", config, "--socket", home.appendingPathComponent("s").path], env: env)
        #expect(r.status == 78, "status \(r.status)\n\(r.stderr)")
        #expect(r.stderr.contains("\(config):2:14: error: audio.latency_ms"), "\(r.stderr)")
        #expect(r.stderr.contains("\(config):4:18: error: daemon.client_timeout"), "\(r.stderr)")
    }

    /// reload, SIGHUP and `start --voice` read files while the daemon runs: a huge number in
    /// one of them is a refusal, and the daemon keeps answering.
    @Test func runningDaemonSurvivesHugeNumbers() throws {
        let d = try TestDaemon()
        defer { d.stop() }
        let c = try d.connect()
        #expect(try c.data("ping").isEmpty)

        let config = d.home.appendingPathComponent("config/somacue")
        _ = try write("[session]\ntitle = 1e19\nopening = \"a\"\nclosing = \"b\"\n[[step]]\nexercise = \"test-lift\"\n",
                      "sessions/big.toml", in: config)
        let reload = try c.request("reload")
        #expect(reload["ok"] as? Bool == false)
        #expect("\(reload)".contains("1e+19"), "\(reload)")

        kill(d.process.processIdentifier, SIGHUP)
        usleep(300_000)
        #expect(d.process.isRunning)
        #expect(try c.data("ping").isEmpty)
        try FileManager.default.removeItem(at: config.appendingPathComponent("sessions/big.toml"))

        // A voice pack whose manifest holds a gain of 1e300.
        let voice = config.appendingPathComponent("voices/big")
        let manifest = try String(contentsOf: config.appendingPathComponent("voices/test/manifest.toml"), encoding: .utf8)
        _ = try write(manifest.replacingOccurrences(of: "[[cue]]", with: "[[cue]]\ngain = 1e300"), "manifest.toml", in: voice)
        let start = try c.request("start", ["session": "daemon-test", "voice": "big"])
        #expect(start["ok"] as? Bool == false, "\(start)")
        #expect("\(start)".contains("1e+300"), "\(start)")
        #expect(d.process.isRunning)
        let status = try c.data("status")
        #expect(status["state"] as? String == "idle")
    }
}
