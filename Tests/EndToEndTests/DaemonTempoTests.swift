import Foundation
import Testing

// Part of the serialized "Daemon" suite: only one daemon plays into the headless server at a time.
extension DaemonTests {
    /// `start` with `fit` picks the same tempo as `somacue timeline --fit`; a tempo set while idle
    /// wins over the session's and is what `sessions` lists; unreachable lengths are refused
    /// with the range (and the controller exits 64).
    @Test func fitAndTheIdleTempo() throws {
        _ = try requirePulse()
        let d = try TestDaemon()
        defer { d.stop() }
        let c = try d.connect()
        func listed() throws -> [String: Any] {
            let list = try #require(try c.data("sessions")["sessions"] as? [[String: Any]])
            return try #require(list.first { $0["id"] as? String == "daemon-test" })
        }
        func rounded(_ x: Any?) -> Double? { (x as? Double).map { ($0 * 1000).rounded() / 1000 } }

        let normal = try listed()
        #expect(normal["tempo"] as? Double == 1)
        #expect(normal["duration"] as? Double == rounded(try timeline(d)["seconds"]))

        // Refusals first, while idle.
        let both = try c.request("start", ["session": "daemon-test", "fit": 30, "tempo": 1])
        #expect((both["error"] as? [String: Any])?["code"] as? String == "bad_type")
        let far = try c.request("start", ["session": "daemon-test", "fit": "10h"])
        let farError = try #require(far["error"] as? [String: Any])
        #expect(farError["code"] as? String == "out_of_range")
        #expect((farError["message"] as? String)?.contains("out of reach") == true, "\(farError)")
        #expect((farError["message"] as? String)?.contains("at tempo 2 to 0.25 this session lasts") == true)
        let cli = try E2E.run(E2E.somacue, ["start", "daemon-test", "--fit", "10h", "--no-spawn"], env: d.env)
        #expect(cli.status == 64, "\(cli.stderr)")
        #expect(cli.stderr.contains("out of reach"))
        #expect(try c.data("status")["state"] as? String == "idle")

        // A tempo set while idle: listed, reported, and used by the next start.
        #expect(try c.data("tempo", ["value": 0.5])["tempo"] as? Double == 0.5)
        let slow = try listed()
        #expect(slow["tempo"] as? Double == 0.5)
        #expect(slow["duration"] as? Double == rounded(try timeline(d, tempo: "0.5")["seconds"]))
        #expect(try c.data("status")["tempo"] as? Double == 0.5)

        // fit wins over that idle tempo, and agrees with the command line's choice.
        let target = String(try #require(try timeline(d, tempo: "0.8")["seconds"] as? Double))
        let expected = try E2E.run(E2E.somacue, ["timeline", "daemon-test", "--json", "--fit", target], env: d.env)
        let plan = try #require(try E2E.json(expected.stdout) as? [String: Any], "\(expected.stderr)")
        let started = try c.data("start", ["session": "daemon-test", "fit": target])
        #expect(started["tempo"] as? Double == plan["tempo"] as? Double)
        #expect((started["session"] as? [String: Any])?["duration"] as? Double == plan["seconds"] as? Double)
        #expect(try c.data("status")["tempo"] as? Double == plan["tempo"] as? Double)
        _ = try c.data("stop")
    }
}
