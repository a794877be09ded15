import Foundation
import Testing

/// The built binaries, run as a user would: output, exit statuses, files.
@Suite("Commands", .serialized)
struct CommandTests {
    /// A voice pack with the test session's own cues (title, opening, closing, focus), made by
    /// the repository's generator with espeak-ng and layered over the default voice.
    static let testVoice: URL = {  // espeak-ng: fast
        let dir = E2E.tempDir("voice")
        let r = try? E2E.run("/usr/bin/env", ["python3", E2E.repo.appendingPathComponent("cues/generate.py").path,
                                              "--somacued", E2E.somacued, "--engine", "espeak", "--only-missing", "--out", dir.path,
                                              E2E.fixtures.appendingPathComponent("short-session.toml").path])
        precondition(r?.status == 0, "generate.py failed: \(r?.stderr ?? "did not run")")
        return dir
    }()
    static var shortSession: String { E2E.fixtures.appendingPathComponent("short-session.toml").path }

    @Test func versionAndHelp() throws {
        let v = try E2E.somacue("--version")
        #expect(v.status == 0)
        #expect(v.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let h = try E2E.somacue("--help")
        #expect(h.status == 0)
        for verb in ["play", "render", "timeline", "sessions", "exercises", "devices", "validate"] {
            #expect(h.stdout.contains(verb))
        }
        let ph = try E2E.somacue("play", "--help")
        #expect(ph.status == 0 && ph.stdout.contains("--tempo") && ph.stdout.contains("--lead-in") && ph.stdout.contains("--device"))
        let dv = try E2E.run(E2E.somacued, ["--version"])
        #expect(dv.stdout.contains("0.1.0"))
    }

    @Test func sessionsListsTheShippedLibrary() throws {
        let r = try E2E.somacue("sessions", "--json")
        #expect(r.status == 0, "\(r.stderr)")
        let list = try #require(try E2E.json(r.stdout) as? [[String: Any]])
        let ids = list.compactMap { $0["id"] as? String }
        #expect(Set(ids) == ["release-the-lower-back", "release-the-hip-flexors", "activate-the-abdominals",
                             "activate-the-gluteus-maximus", "gluteal-release", "bend-to-pick-up", "strength-warm-up"])
        for s in list {
            #expect(s["title"] is String && s["description"] is String && s["posture"] is String)
            let duration = try #require(s["duration"] as? Double)
            #expect(duration > 120 && duration < 3600)
        }
        #expect(r.stderr.isEmpty, "library problems: \(r.stderr)")
        let human = try E2E.somacue("sessions")
        #expect(human.stdout.contains("release-the-lower-back"))
    }

    @Test func exercisesAndTheirSides() throws {
        let r = try E2E.somacue("exercises", "--json")
        let list = try #require(try E2E.json(r.stdout) as? [[String: Any]])
        #expect(list.count >= 19)
        let backLift = try #require(list.first { $0["id"] as? String == "back-lift" })
        #expect(backLift["sides"] as? Bool == true)
        #expect(backLift["title"] as? String == "Back Lift")
        let arch = try #require(list.first { $0["id"] as? String == "arch-and-flatten" })
        #expect(arch["sides"] as? Bool == false)
    }

    @Test func everyShippedSessionCompiles() throws {
        for id in ["release-the-lower-back", "release-the-hip-flexors", "activate-the-abdominals",
                   "activate-the-gluteus-maximus", "gluteal-release", "bend-to-pick-up", "strength-warm-up"] {
            let r = try E2E.somacue("timeline", id, "--json")
            #expect(r.status == 0, "\(id): \(r.stderr)")
            let t = try #require(try E2E.json(r.stdout) as? [String: Any])
            let frames = try #require(t["frames"] as? Int)
            #expect(t["sampleRate"] as? Int == 48_000)
            let segments = try #require(t["segments"] as? [[String: Any]])
            var at = 0
            for s in segments {
                #expect(s["frame"] as? Int == at, "\(id): gap or overlap at frame \(at)")
                at += s["frames"] as? Int ?? 0
                #expect(s["phase"] is String)
                #expect(!(s.values.contains { $0 is NSNull }), "null in a segment")
            }
            #expect(at == frames)
            let events = try #require(t["events"] as? [[String: Any]])
            var last = -1
            for e in events {
                let f = try #require(e["frame"] as? Int)
                #expect(f >= last)
                last = f
                #expect(["voice", "tone"].contains(e["kind"] as? String))
                let source = try #require(e["source"] as? String)
                #expect(source.hasPrefix("/") && FileManager.default.fileExists(atPath: source))
                #expect(e["gain"] is Double || e["gain"] is Int)
                #expect(f + (e["frames"] as? Int ?? 0) <= frames)
            }
            // Every per-side exercise is announced on both sides, and the session ends with the chime.
            #expect(events.last?["cue"] as? String == "chime-end")
        }
    }

    @Test func timelineTempoAndRange() throws {
        let slow = try #require(try E2E.json(try E2E.somacue("timeline", "gluteal-release", "--json", "--tempo", "0.5").stdout) as? [String: Any])
        let normal = try #require(try E2E.json(try E2E.somacue("timeline", "gluteal-release", "--json").stdout) as? [String: Any])
        // Voice clips keep their length, so half the tempo adds less than double.
        #expect((slow["frames"] as! Int) > (normal["frames"] as! Int) * 6 / 5)
        for bad in ["0.2", "2.5", "-1", "nan"] {
            let r = try E2E.somacue("timeline", "gluteal-release", "--tempo", bad)
            #expect(r.status == 64, "tempo \(bad): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("tempo"))
        }
        let human = try E2E.somacue("timeline", "gluteal-release")
        #expect(human.status == 0 && human.stdout.contains("chime-end"))
    }

    @Test func renderMatchesTimelineLengthInEveryFormat() throws {
        let dir = E2E.tempDir("render")
        let timeline = try #require(try E2E.json(try E2E.run(E2E.somacue, ["timeline", Self.shortSession, "--json", "--voice", Self.testVoice.path]).stdout) as? [String: Any])
        let frames = try #require(timeline["frames"] as? Int)
        for ext in ["wav", "flac", "ogg", "opus"] {
            let out = dir.appendingPathComponent("s.\(ext)")
            let r = try E2E.run(E2E.somacue, ["render", Self.shortSession, "-o", out.path, "--voice", Self.testVoice.path])
            #expect(r.status == 0, "\(ext): \(r.stderr)")
            if ext == "opus" {
                // sox cannot read Opus; check the stream headers instead.
                let head = try Data(contentsOf: out).prefix(64)
                #expect(head.starts(with: Data("OggS".utf8)) && String(decoding: head, as: UTF8.self).contains("OpusHead"))
                continue
            }
            let info = try E2E.run("/usr/bin/soxi", ["-s", out.path])
            let n = Int(info.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            if ext == "wav" || ext == "flac" { #expect(n == frames, "\(ext): \(n) frames, timeline says \(frames)") }
            else { #expect(abs(n - frames) < 4_800, "\(ext): \(n) frames, timeline says \(frames)") }
        }
        let wav = try E2E.wavSamples(dir.appendingPathComponent("s.wav"))
        #expect(wav.rate == 48_000 && wav.channels == 2 && wav.samples.count == frames * 2)
        let f = dir.appendingPathComponent("f.wav")
        #expect(try E2E.run(E2E.somacue, ["render", Self.shortSession, "-o", f.path, "--float", "--voice", Self.testVoice.path]).status == 0)
        let bits = try E2E.run("/usr/bin/soxi", ["-b", f.path]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(bits == "32")
        let flac = dir.appendingPathComponent("s.flac")
        let decoded = dir.appendingPathComponent("flac.wav")
        _ = try E2E.run("/usr/bin/sox", [flac.path, "-b", "16", decoded.path])
        #expect(try E2E.wavSamples(decoded).samples == wav.samples, "FLAC must hold exactly the WAV's samples")
    }

    @Test func renderErrors() throws {
        let r = try E2E.somacue("render", "gluteal-release", "-o", "/nonexistent-dir/x.wav")
        #expect(r.status == 73 && r.stderr.contains("/nonexistent-dir/x.wav"))
        let fmt = try E2E.somacue("render", "gluteal-release", "-o", "/tmp/x.mp3")
        #expect(fmt.status == 64 && fmt.stderr.contains(".wav"))
        let missing = try E2E.somacue("render", "no-such-session", "-o", "/tmp/x.wav")
        #expect(missing.status == 66 && missing.stderr.contains("no-such-session"))
        let near = try E2E.somacue("timeline", "gluteal-releas")
        #expect(near.status == 66 && near.stderr.contains("did you mean \"gluteal-release\""))
        let nofile = try E2E.somacue("timeline", "/tmp/does-not-exist.toml")
        #expect(nofile.status == 66)
        let usage = try E2E.somacue("render", "gluteal-release")
        #expect(usage.status == 64)
        let leadIn = try E2E.somacue("timeline", "gluteal-release", "--lead-in", "601")
        #expect(leadIn.status == 64)
    }

    @Test func leadInAddsSilenceAfterTheOpening() throws {
        let a = try #require(try E2E.json(try E2E.somacue("timeline", "gluteal-release", "--json").stdout) as? [String: Any])
        let b = try #require(try E2E.json(try E2E.somacue("timeline", "gluteal-release", "--json", "--lead-in", "30").stdout) as? [String: Any])
        let extra = (b["frames"] as! Int) - (a["frames"] as! Int)
        #expect(extra > 30 * 48_000, "lead-in of 30 s added only \(extra) frames")
        let cues = (b["events"] as! [[String: Any]]).compactMap { $0["cue"] as? String }
        #expect(cues.contains("lead-in") && cues.contains("begin"))
    }

    @Test func badSessionFileGivesPositionsAndStatus65() throws {
        let dir = E2E.tempDir("bad")
        let f = dir.appendingPathComponent("bad.toml")
        try "[session]\ntitle = \"X\"\nopening = \"a\"\nclosing = \"b\"\n\n[[step]]\nexercise = \"arch-and-flaten\"\nreps = 0\n".write(to: f, atomically: true, encoding: .utf8)
        let r = try E2E.somacue("play", f.path)
        #expect(r.status == 65)
        #expect(r.stderr.contains("\(f.path):8:8: error: step[1].reps"), "\(r.stderr)")
        let syntax = dir.appendingPathComponent("syntax.toml")
        try "[session]\ntitle = \"X\n".write(to: syntax, atomically: true, encoding: .utf8)
        let s = try E2E.somacue("render", syntax.path, "-o", "/tmp/x.wav")
        #expect(s.status == 65 && s.stderr.hasPrefix("\(syntax.path):2:"), "\(s.stderr)")
    }

    @Test func invalidConfigIsRefusedWith78() throws {
        let dir = E2E.tempDir("cfg")
        let f = dir.appendingPathComponent("config.toml")
        try "[audio]\nsample_rate = \"fast\"\n[volume]\nvoice = 3\n[sesion]\ntempo = 1\n".write(to: f, atomically: true, encoding: .utf8)
        let r = try E2E.somacue("timeline", "gluteal-release", "--config", f.path)
        #expect(r.status == 78)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(r.stderr)")
        #expect(lines.contains { $0.hasPrefix("\(f.path):2:15: error: audio.sample_rate") })
        #expect(lines.contains { $0.hasPrefix("\(f.path):4:9: error: volume.voice") })
        #expect(lines.contains { $0.contains("\(f.path):5:2: error: unknown key \"sesion\"; did you mean \"session\"?") })
        // The user's config.toml is read from XDG_CONFIG_HOME.
        var env = E2E.cleanEnvironment()
        let cfgDir = URL(fileURLWithPath: env["XDG_CONFIG_HOME"]!).appendingPathComponent("somacue")
        try FileManager.default.createDirectory(at: cfgDir, withIntermediateDirectories: true)
        try "[session]\ntempo = 0.5\n".write(to: cfgDir.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        let t = try #require(try E2E.json(try E2E.run(E2E.somacue, ["timeline", "gluteal-release", "--json"], env: env).stdout) as? [String: Any])
        #expect(t["tempo"] as? Double == 0.5)
        env["XDG_CONFIG_HOME"] = "/nonexistent"
        #expect(try E2E.run(E2E.somacue, ["sessions"], env: env).status == 0, "a missing user config is fine")
    }

    @Test func shippedConfigIsValidAndMatchesDefaults() throws {
        let r = try E2E.somacue("validate", E2E.repo.appendingPathComponent("config.toml").path)
        #expect(r.status == 0, "\(r.stderr)")
        let a = try E2E.somacue("timeline", "gluteal-release", "--json")
        let b = try E2E.somacue("timeline", "gluteal-release", "--json", "--config", E2E.repo.appendingPathComponent("config.toml").path)
        #expect(a.stdout == b.stdout, "config.toml must document the defaults")
    }

    @Test func validateTheWholeLibrary() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: E2E.repo.appendingPathComponent("exercises").path).map { "exercises/" + $0 }
            + FileManager.default.contentsOfDirectory(atPath: E2E.repo.appendingPathComponent("sessions").path).map { "sessions/" + $0 }
            + ["cues/manifest.toml", "config.toml"]
        let r = try E2E.run(E2E.somacue, ["validate"] + files.map { E2E.repo.appendingPathComponent($0).path })
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty, "\(r.stderr)")
    }

    @Test func missingCuesAreAllListedBeforePlaying() throws {
        // A voice pack whose manifest points at missing, empty and non-audio files.
        let dir = E2E.tempDir("brokenvoice")
        try Data().write(to: dir.appendingPathComponent("empty.ogg"))
        try "not audio".write(to: dir.appendingPathComponent("text.ogg"), atomically: true, encoding: .utf8)
        try """
            [voice]
            name = "broken"
            [[cue]]
            id = "last-rep"
            file = "missing.ogg"
            text = "Last one."
            [[cue]]
            id = "session-end"
            file = "empty.ogg"
            text = "The end."
            [[cue]]
            id = "chime-end"
            file = "text.ogg"
            kind = "tone"
            """.write(to: dir.appendingPathComponent("manifest.toml"), atomically: true, encoding: .utf8)
        let r = try E2E.somacue("render", "gluteal-release", "-o", "/tmp/never.wav", "--voice", dir.path)
        #expect(r.status == 65)
        for id in ["last-rep", "session-end", "chime-end"] { #expect(r.stderr.contains("  \(id): "), "\(id) not listed: \(r.stderr)") }
        #expect(r.stderr.contains("missing.ogg") && r.stderr.contains("text.ogg") && r.stderr.contains("empty.ogg"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never.wav"))
        let unknown = try E2E.somacue("timeline", "gluteal-release", "--voice", "nobody")
        #expect(unknown.status == 66 && unknown.stderr.contains("no voice \"nobody\""))
    }

    @Test func noAudioDeviceIsOneClearError() throws {
        let dir = E2E.tempDir("noalsa")
        // A default PCM on a sound card that does not exist. (An ALSA config with no PCM at all
        // trips an assertion inside Debian's PortAudio 19.6, so that case is not testable.)
        let conf = dir.appendingPathComponent("nocard.conf")
        try "pcm.!default {\n  type hw\n  card 42\n}\n".write(to: conf, atomically: true, encoding: .utf8)
        let r = try E2E.run(E2E.somacue, ["play", "gluteal-release"], env: E2E.cleanEnvironment(["ALSA_CONFIG_PATH": conf.path]))
        #expect(r.status == 69)
        #expect(r.stderr.contains("default"), "names the device asked for: \(r.stderr)")
        #expect(r.stderr.contains("render"), "says how to render instead: \(r.stderr)")
        #expect(!r.stderr.contains("ALSA lib"), "probe noise must be suppressed: \(r.stderr)")
        let named = try E2E.run(E2E.somacue, ["play", "gluteal-release", "--device", "nothing-like-this"],
                                env: E2E.cleanEnvironment(["ALSA_CONFIG_PATH": conf.path]))
        #expect(named.status == 69 && named.stderr.contains("nothing-like-this"))
    }
}
