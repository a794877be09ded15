import Foundation
import Testing

/// Progressive instructions with the real packs: every shipped pack speaks the short prompts on
/// later repetitions; a pack that records its own full instruction but no short one keeps its
/// own full instruction (never another voice's short prompt).
@Suite("Progressive instructions (packs)")
struct ProgressiveCueE2ETests {
    /// (cue, side, rep, pack file) of every voice event of `phase` in exercise `exercise`.
    static func spoken(_ timeline: [String: Any], exercise: String, phase: String) -> [(cue: String, side: String?, rep: Int, source: String)] {
        let events = timeline["events"] as? [[String: Any]] ?? []
        return events.filter { $0["exercise"] as? String == exercise && $0["phase"] as? String == phase && $0["kind"] as? String == "voice" }
            .map { ($0["cue"] as? String ?? "", $0["side"] as? String, $0["rep"] as? Int ?? 0, $0["source"] as? String ?? "") }
    }

    static func timeline(_ args: [String], env: [String: String]? = nil) throws -> [String: Any] {
        let r = try E2E.run(E2E.somacue, ["timeline", "release-the-lower-back", "--json"] + args, env: env ?? E2E.cleanEnvironment())
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try E2E.json(r.stdout) as? [String: Any])
    }

    @Test(arguments: ["default", "espeak", "flite"])
    func everyShippedPackSpeaksShortPromptsOnLaterReps(voice: String) throws {
        let t = try Self.timeline(["--voice", voice])
        // arch-and-flatten: 3 reps, no sides. back-lift: 2 reps per side.
        for (exercise, phases) in [("arch-and-flatten", ["contract", "hold", "release"]), ("back-lift", ["contract", "hold", "release"])] {
            for phase in phases {
                let said = Self.spoken(t, exercise: exercise, phase: phase)
                #expect(!said.isEmpty)
                for s in said {
                    let expected = s.rep == 1 ? "\(exercise).\(phase)" : "\(exercise).\(phase)-short"
                    #expect(s.cue == expected, "\(voice): \(exercise) \(phase) side \(s.side ?? "-") rep \(s.rep)")
                    if voice != "default" { #expect(s.source.contains("/voices/\(voice)/"), "\(s.source)") }
                }
            }
        }
        let sides = Set(Self.spoken(t, exercise: "back-lift", phase: "contract").filter { $0.rep == 1 }.compactMap(\.side))
        #expect(sides == ["left", "right"], "the first rep of each side is full")
        // Rule 3 still holds on every rep.
        let segments = t["segments"] as? [[String: Any]] ?? []
        var lastContract = 0
        for s in segments {
            let frames = s["frames"] as? Int ?? 0
            if s["phase"] as? String == "contract" { lastContract = frames }
            if s["phase"] as? String == "release" { #expect(frames >= 3 * lastContract, "\(s)") }
        }
    }

    @Test func aPackWithItsOwnFullCueButNoShortOneKeepsItsFullCue() throws {
        let env = E2E.cleanEnvironment()
        let pack = URL(fileURLWithPath: env["XDG_CONFIG_HOME"]!).appendingPathComponent("somacue/voices/mine")
        try FileManager.default.createDirectory(at: pack.appendingPathComponent("voice"), withIntermediateDirectories: true)
        let wav = pack.appendingPathComponent("voice/contract.wav").path
        let sox = try E2E.run("/usr/bin/sox", ["-R", "-n", "-r", "48000", "-c", "1", wav, "synth", "1.2", "sine", "300", "vol", "0.3"])
        #expect(sox.status == 0, "\(sox.stderr)")
        try "[voice]\nname = \"mine\"\n\n[[cue]]\nid = \"arch-and-flatten.contract\"\nfile = \"voice/contract.wav\"\ntext = \"My own words.\"\n"
            .write(to: pack.appendingPathComponent("manifest.toml"), atomically: true, encoding: .utf8)

        let t = try Self.timeline(["--voice", "mine"], env: env)
        let contracts = Self.spoken(t, exercise: "arch-and-flatten", phase: "contract")
        #expect(contracts.count == 3)
        #expect(contracts.allSatisfy { $0.cue == "arch-and-flatten.contract" && $0.source.hasSuffix("mine/voice/contract.wav") },
                "\(contracts)")
        // The release is not in the pack: full and short both come from the default voice.
        let releases = Self.spoken(t, exercise: "arch-and-flatten", phase: "release")
        #expect(releases.map(\.cue) == ["arch-and-flatten.release", "arch-and-flatten.release-short", "arch-and-flatten.release-short"])

        // `cues` says so: the short prompt is optional, and not present for this pack.
        let r = try E2E.run(E2E.somacue, ["cues", "release-the-lower-back", "--voice", "mine", "--json"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try #require(try E2E.json(r.stdout) as? [[String: Any]])
        let short = try #require(rows.first { $0["id"] as? String == "arch-and-flatten.contract-short" })
        #expect(short["short_for"] as? String == "arch-and-flatten.contract")
        #expect(short["present"] as? Bool == false)
        #expect(rows.first { $0["id"] as? String == "arch-and-flatten.release-short" }?["present"] as? Bool == true)
        // `voices` counts no short prompt as missing.
        let v = try E2E.run(E2E.somacue, ["voices", "--json"], env: env)
        let packs = try #require(try E2E.json(v.stdout) as? [[String: Any]])
        let mine = try #require(packs.first { $0["id"] as? String == "mine" })
        #expect((mine["missing"] as? [String] ?? []).isEmpty, "\(mine)")
    }
}
