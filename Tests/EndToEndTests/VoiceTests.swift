import Foundation
import Testing

/// Voice packs as a user makes and checks them: the generator (with espeak-ng: fast), layering,
/// `voices`, `voice check`, the kind rule and loudness.
@Suite("Voices", .serialized)
struct VoiceTests {
    static var generator: String { E2E.repo.appendingPathComponent("cues/generate.py").path }

    /// A clean environment whose user folder holds `my-own` (the short test session under
    /// another id), so the generator has to see the user's own sessions.
    static func userEnvironment() throws -> (env: [String: String], config: URL) {
        let env = E2E.cleanEnvironment()
        let config = URL(fileURLWithPath: env["XDG_CONFIG_HOME"]!).appendingPathComponent("somacue")
        let sessions = config.appendingPathComponent("sessions")
        try FileManager.default.createDirectory(at: sessions, withIntermediateDirectories: true)
        let text = try String(contentsOf: E2E.fixtures.appendingPathComponent("short-session.toml"), encoding: .utf8)
            .replacingOccurrences(of: "id = \"short-test\"", with: "id = \"my-own\"")
            .replacingOccurrences(of: "title = \"Short Test\"", with: "title = \"My Own\"")
        try text.write(to: sessions.appendingPathComponent("my-own.toml"), atomically: true, encoding: .utf8)
        return (env, config)
    }

    static func generate(_ args: [String], env: [String: String]) throws -> E2E.Result {
        try E2E.run("/usr/bin/env", ["python3", generator, "--somacued", E2E.somacued, "--engine", "espeak"] + args, env: env)
    }

    static func sox(_ args: [String]) throws {
        let r = try E2E.run("/usr/bin/env", ["sox", "-R"] + args)
        precondition(r.status == 0, "sox failed: \(r.stderr)")
    }

    @Test func generatorSeesUserSessionsAndKeepsWhatItDidNotMake() throws {
        let (env, config) = try Self.userEnvironment()
        let pack = config.appendingPathComponent("voices/mine")
        let first = try Self.generate(["--only-missing", "--out", pack.path, "my-own"], env: env)
        #expect(first.status == 0, "\(first.stderr)")
        let manifestURL = pack.appendingPathComponent("manifest.toml")
        var manifest = try String(contentsOf: manifestURL, encoding: .utf8)
        #expect(manifest.contains("name = \"mine\""))
        #expect(manifest.contains("id = \"my-own.title\""), "the user's own session is seen")
        #expect(manifest.contains("lufs = "), "loudness is measured once and stored")
        let title = pack.appendingPathComponent("voice/my-own.title.ogg")
        let titleBytes = try Data(contentsOf: title)

        // The user renames the pack, adds a hand-made cue, and drops a file the manifest does not list.
        manifest = manifest.replacingOccurrences(of: "name = \"mine\"", with: "name = \"My own voice\"")
        try Self.sox(["-n", "-r", "48000", "-c", "1", pack.appendingPathComponent("voice/hand.wav").path, "synth", "0.5", "sine", "300", "vol", "0.3"])
        manifest += "\n[[cue]]\nid = \"my-own.extra\"\nfile = \"voice/hand.wav\"\ntext = \"A cue of my own.\"\n"
        try manifest.write(to: manifestURL, atomically: true, encoding: .utf8)
        let foreign = pack.appendingPathComponent("voice/my-own.closing.ogg")
        try? FileManager.default.removeItem(at: foreign)
        try Data("not ours".utf8).write(to: foreign)
        manifest = try String(contentsOf: manifestURL, encoding: .utf8)
        let closingEntry = "id = \"my-own.closing\""
        #expect(manifest.contains(closingEntry))
        // Remove the closing's entry: now the file on disk is one the manifest does not list.
        var lines = manifest.components(separatedBy: "\n")
        if let i = lines.firstIndex(of: closingEntry) {
            var j = i
            while j < lines.count && !lines[j].isEmpty { j += 1 }
            lines.removeSubrange((i - 1)..<j)
        }
        try lines.joined(separator: "\n").write(to: manifestURL, atomically: true, encoding: .utf8)

        let second = try Self.generate(["--only-missing", "--out", pack.path, "my-own"], env: env)
        #expect(second.status == 0, "\(second.stderr)")
        let after = try String(contentsOf: manifestURL, encoding: .utf8)
        #expect(after.contains("name = \"My own voice\""), "the pack keeps its name")
        #expect(after.contains("file = \"voice/hand.wav\""), "hand-made entries are kept")
        #expect(try Data(contentsOf: title) == titleBytes, "existing files are not remade")
        #expect(try Data(contentsOf: foreign) == Data("not ours".utf8), "a file it did not make is not overwritten")
        #expect(second.stdout.contains("voice/my-own.closing.ogg exists"), "\(second.stdout)")
        #expect(FileManager.default.fileExists(atPath: pack.appendingPathComponent("voice/hand.wav").path))

        // --force replaces the foreign file.
        let forced = try Self.generate(["--only-missing", "--force", "--out", pack.path, "my-own"], env: env)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try Data(contentsOf: foreign) != Data("not ours".utf8))
    }

    @Test func unknownVoiceAndBrokenManifestAreErrorsInEveryEngineVerb() throws {
        let (env, config) = try Self.userEnvironment()
        let nosuch = try E2E.run(E2E.somacue, ["cues", "--voice", "nosuch"], env: env)
        #expect(nosuch.status == 66)
        #expect(nosuch.stderr.contains("no voice \"nosuch\"") && nosuch.stdout.isEmpty)
        #expect(try E2E.run(E2E.somacue, ["timeline", "my-own", "--voice", "nosuch"], env: env).status == 66)

        let broken = config.appendingPathComponent("voices/broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try "[voice]\nname = \"broken\"\n[[cue]]\nid = \"last-rep\"\nfile = 3\n".write(
            to: broken.appendingPathComponent("manifest.toml"), atomically: true, encoding: .utf8)
        for args in [["cues", "--voice", "broken"], ["timeline", "my-own", "--voice", "broken"],
                     ["render", "my-own", "--voice", "broken", "-o", E2E.tempDir("r").appendingPathComponent("x.wav").path]] {
            let r = try E2E.run(E2E.somacue, args, env: env)
            #expect(r.status == 65, "\(args): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("manifest.toml:5:"), "\(r.stderr)")
        }
        let voices = try E2E.run(E2E.somacue, ["voices", "--json"], env: env)
        #expect(voices.status == 65)
        #expect(voices.stderr.contains("broken/manifest.toml"))
    }

    @Test func voicesListsEveryPackAndLayeringSaysWhoSuppliesEachCue() throws {
        let (env, config) = try Self.userEnvironment()
        let layered = config.appendingPathComponent("voices/layered")
        try FileManager.default.createDirectory(at: layered.appendingPathComponent("voice"), withIntermediateDirectories: true)
        try Self.sox(["-n", "-r", "48000", "-c", "1", layered.appendingPathComponent("voice/last.wav").path, "synth", "0.6", "sine", "220", "vol", "0.3"])
        try "[voice]\nname = \"layered\"\ntitle = \"Layered test voice\"\nbase = \"espeak\"\n\n[[cue]]\nid = \"last-rep\"\nfile = \"voice/last.wav\"\ntext = \"Last one.\"\n"
            .write(to: layered.appendingPathComponent("manifest.toml"), atomically: true, encoding: .utf8)

        let r = try E2E.run(E2E.somacue, ["voices", "--json"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let list = try #require(try E2E.json(r.stdout) as? [[String: Any]])
        #expect(list.compactMap { $0["id"] as? String } == ["default", "espeak", "flite", "layered"])
        for pack in list {
            #expect(Set(pack.keys) == ["id", "title", "path", "generator", "default", "cues", "missing", "fallback"], "\(pack.keys)")
        }
        let mine = try #require(list.first { $0["id"] as? String == "layered" })
        #expect(mine["title"] as? String == "Layered test voice")
        #expect(mine["default"] as? Bool == false)
        #expect(mine["cues"] as? Int == 1)
        let fallback = mine["fallback"] as? [String] ?? []
        #expect(fallback.contains("rep-grow") && fallback.contains("tone-start") && !fallback.contains("last-rep"))
        // The user's own session needs cues no pack has: listed as missing, and nothing else is.
        #expect(Set(mine["missing"] as? [String] ?? []) == ["my-own.title", "my-own.opening", "my-own.step2.focus", "my-own.closing"])
        #expect(list.first { $0["id"] as? String == "default" }?["default"] as? Bool == true)

        let cues = try E2E.run(E2E.somacue, ["cues", "my-own", "--voice", "layered", "--json"], env: env)
        #expect(cues.status == 0, "\(cues.stderr)")
        let rows = try #require(try E2E.json(cues.stdout) as? [[String: Any]])
        func pack(_ id: String) -> String? { rows.first { $0["id"] as? String == id }?["pack"] as? String }
        #expect(pack("last-rep") == "layered")
        #expect(pack("rep-grow") == "espeak")
        #expect(pack("tone-start") == "default")
        #expect(pack("my-own.title") == nil, "no pack has the user's own session")
    }

    @Test func voiceCheckReportsEveryBadPackClass() throws {
        let dir = E2E.tempDir("badpack")
        let v = dir.appendingPathComponent("voice")
        try FileManager.default.createDirectory(at: v, withIntermediateDirectories: true)
        try Self.sox(["-n", "-r", "48000", "-c", "1", v.appendingPathComponent("good.wav").path, "synth", "1", "sine", "300", "vol", "0.3"])
        try Self.sox(["-n", "-r", "48000", "-c", "1", v.appendingPathComponent("silent.wav").path, "trim", "0", "1"])
        try Self.sox(["-n", "-r", "48000", "-c", "1", "-b", "16", v.appendingPathComponent("clipped.wav").path, "synth", "1", "square", "200"])
        try Self.sox(["-n", "-r", "8000", "-c", "1", v.appendingPathComponent("long.wav").path, "synth", "50", "sine", "300", "vol", "0.3"])
        try Data("this is text, not audio".utf8).write(to: v.appendingPathComponent("text.wav"))
        let manifest = """
            [voice]
            name = "bad"

            [[cue]]
            id = "begin"
            file = "voice/good.wav"
            text = "Let us begin."

            [[cue]]
            id = "last-rep"
            file = "voice/none.wav"

            [[cue]]
            id = "rest"
            file = "voice/text.wav"

            [[cue]]
            id = "paused"
            file = "voice/silent.wav"

            [[cue]]
            id = "resumed"
            file = "voice/clipped.wav"

            [[cue]]
            id = "integrate"
            file = "voice/long.wav"

            [[cue]]
            id = "tone-start"
            file = "voice/good.wav"
            kind = "voice"

            """
        let path = dir.appendingPathComponent("manifest.toml")
        try manifest.write(to: path, atomically: true, encoding: .utf8)
        let r = try E2E.run(E2E.somacue, ["voice", "check", dir.path])
        #expect(r.status == 1)
        for (id, word) in [("last-rep", "missing"), ("rest", "unreadable"), ("paused", "silent"), ("resumed", "clipped"),
                           ("integrate", "overlong")] {
            #expect(r.stderr.contains("error: cue \"\(id)\": \(word)"), "\(id) \(word): \(r.stderr)")
        }
        #expect(r.stderr.contains("manifest.toml:32:8: error: cue[7].kind: \"tone-start\" is a tone cue"), "\(r.stderr)")
        #expect(!r.stderr.contains("\"begin\""), "the good cue has no error")
        #expect(r.stdout.contains("begin") && r.stdout.contains("LUFS"), "every cue's loudness is printed")
        // validate reports the kind too.
        let val = try E2E.run(E2E.somacue, ["validate", path.path])
        #expect(val.status == 1 && val.stderr.contains("is a tone cue in the engine"), "\(val.stderr)")
        // --write stores the loudness of the measurable cues and keeps the rest of the file.
        _ = try E2E.run(E2E.somacue, ["voice", "check", dir.path, "--write"])
        let written = try String(contentsOf: path, encoding: .utf8)
        #expect(written.contains("file = \"voice/good.wav\"\nlufs = "))
        #expect(written.contains("name = \"bad\""))
        #expect(try E2E.run(E2E.somacue, ["validate", "--kind", "manifest", path.path]).stderr.contains("tone-start"))
    }

    @Test func aPackCannotChangeACuesKind() throws {
        let (env, config) = try Self.userEnvironment()
        let pack = config.appendingPathComponent("voices/kinds")
        try FileManager.default.createDirectory(at: pack, withIntermediateDirectories: true)
        try Self.sox(["-n", "-r", "48000", "-c", "1", pack.appendingPathComponent("long.wav").path, "synth", "3", "sine", "300", "vol", "0.3"])
        // A tone declared as a voice, and a long file for it: the engine must still treat it as a tone.
        try "[voice]\nname = \"kinds\"\nbase = \"espeak\"\n\n[[cue]]\nid = \"tone-contract\"\nfile = \"long.wav\"\nkind = \"voice\"\n"
            .write(to: pack.appendingPathComponent("manifest.toml"), atomically: true, encoding: .utf8)
        let r = try E2E.run(E2E.somacue, ["timeline", "activate-the-abdominals", "--voice", "kinds", "--json"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("is a tone cue in the engine"), "a warning says so")
        let t = try #require(try E2E.json(r.stdout) as? [String: Any])
        let events = try #require(t["events"] as? [[String: Any]])
        #expect(events.filter { $0["cue"] as? String == "tone-contract" }.allSatisfy { $0["kind"] as? String == "tone" })
        let voices = events.filter { $0["kind"] as? String == "voice" }
            .map { (($0["frame"] as? Int) ?? 0, ($0["frames"] as? Int) ?? 0) }.sorted { $0.0 < $1.0 }
        for (a, b) in zip(voices, voices.dropFirst()) {
            #expect(a.0 + a.1 <= b.0, "voice cues overlap at frame \(b.0)")
        }
    }

    /// Two packs from different engines, whose raw loudness differs by about 4 LU, play within
    /// 1 LU of each other once the engine brings each cue to the target (measured on the render).
    @Test func packsFromDifferentEnginesPlayAtTheSameLoudness() throws {
        let (env, config) = try Self.userEnvironment()
        // Voices only: no tones and no pacing guide (its quiet tone passes the measurement's
        // relative gate and pulls the figure down by how much of the session is movement).
        try "[volume]\ntone = 0\n[guide]\nenabled = false\n".write(to: config.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        let out = E2E.tempDir("loud")
        var loudness: [String: Double] = [:]
        for voice in ["espeak", "flite"] {
            let wav = out.appendingPathComponent("\(voice).wav")
            let r = try E2E.run(E2E.somacue, ["render", "activate-the-abdominals", "--voice", voice, "-o", wav.path], env: env)
            #expect(r.status == 0, "\(r.stderr)")
            loudness[voice] = try measure(wav, in: out)
        }
        let e = try #require(loudness["espeak"]), f = try #require(loudness["flite"])
        #expect(abs(e - f) <= 1.0, "espeak \(e) LUFS, flite \(f) LUFS")
        #expect(abs(e - -18) <= 1.5, "near the -18 LUFS target: \(e)")
    }

    /// Integrated loudness of a file, measured by `voice check` (libebur128) through a
    /// one-cue pack.
    func measure(_ file: URL, in dir: URL) throws -> Double {
        let pack = dir.appendingPathComponent("measure-\(file.deletingPathExtension().lastPathComponent)")
        try FileManager.default.createDirectory(at: pack, withIntermediateDirectories: true)
        // A cue may last 10 minutes at most: measure the render's first 5 (the same part of both).
        let part = pack.appendingPathComponent("part.wav")
        let trim = try E2E.run("/usr/bin/sox", [file.path, part.path, "trim", "0", "300"])
        #expect(trim.status == 0, "\(trim.stderr)")
        try "[[cue]]\nid = \"measured\"\nfile = \"\(part.path)\"\ntext = \"x\"\n"
            .write(to: pack.appendingPathComponent("manifest.toml"), atomically: true, encoding: .utf8)
        let r = try E2E.run(E2E.somacue, ["voice", "check", pack.path, "--json"])
        let rows = try #require(try E2E.json(r.stdout) as? [[String: Any]])
        return try #require(rows.first?["lufs"] as? Double)
    }
}

/// TTS on demand: an argv template from the config speaks the cues no pack has, once.
@Suite("TTS on demand", .serialized)
struct TTSTests {
    /// A session whose texts try every way of breaking out of an argument vector.
    static let hostile = #"Breathe in $(touch /tmp/somacue-pwned-1) and `touch /tmp/somacue-pwned-2`; \"quoted\" 'single' \\ back\nslash"#

    static func setUp(command: String, stdin: String? = nil) throws -> (env: [String: String], log: URL, cache: URL) {
        let (env0, config) = try VoiceTests.userEnvironment()
        var env = env0
        let cache = E2E.tempDir("ttscache")
        env["XDG_CACHE_HOME"] = cache.path
        // A wrapper that counts its calls, then runs espeak-ng with exactly the arguments it got.
        let log = config.appendingPathComponent("calls.log")
        let wrapper = config.appendingPathComponent("speak.sh")
        try "#!/bin/sh\necho call >> '\(log.path)'\nexec espeak-ng \"$@\"\n".write(to: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
        let sessions = config.appendingPathComponent("sessions")
        try """
            [session]
            id = "hostile"
            title = "-rf --help"
            opening = "\(hostile)"
            closing = "--version"

            [[step]]
            exercise = "arch-and-flatten"
            reps = 1
            contract = 0.3
            release = 0.3
            """.write(to: sessions.appendingPathComponent("hostile.toml"), atomically: true, encoding: .utf8)
        var toml = "[tts]\ncommand = \(command.replacingOccurrences(of: "WRAPPER", with: wrapper.path))\n"
        if let stdin { toml += "stdin = \(stdin)\n" }
        try toml.write(to: config.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        return (env, log, cache)
    }

    static func calls(_ log: URL) -> Int {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    @Test(arguments: [
        (#"["WRAPPER", "-w", "{out}", "--", "{text}"]"#, nil as String?),
        (#"["WRAPPER", "-w", "{out}", "--stdin"]"#, #""{text}""# as String?),
    ])
    func speaksMissingCuesOnceWithoutInjection(command: String, stdin: String?) throws {
        try? FileManager.default.removeItem(atPath: "/tmp/somacue-pwned-1")
        try? FileManager.default.removeItem(atPath: "/tmp/somacue-pwned-2")
        let (env, log, cache) = try Self.setUp(command: command, stdin: stdin)
        let first = try E2E.run(E2E.somacue, ["timeline", "hostile", "--json"], env: env)
        #expect(first.status == 0, "\(first.stderr)")
        // title, opening, closing: the three cues no pack has.
        #expect(Self.calls(log) == 3)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/somacue-pwned-1"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/somacue-pwned-2"))
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("somacue/tts").path)
        #expect(files.filter { $0.hasSuffix(".wav") }.count == 3, "\(files)")
        let t = try #require(try E2E.json(first.stdout) as? [String: Any])
        let events = try #require(t["events"] as? [[String: Any]])
        let opening = try #require(events.first { $0["cue"] as? String == "hostile.opening" })
        // The whole text was spoken (about 5 s), not cut at a quote or a newline.
        #expect((opening["frames"] as? Int ?? 0) > 48_000 * 3, "\(opening)")

        let second = try E2E.run(E2E.somacue, ["render", "hostile", "-o", E2E.tempDir("tts").appendingPathComponent("h.wav").path], env: env)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(Self.calls(log) == 3, "the second run takes the cached files")
    }

    @Test func aFailingCommandIsOneClearErrorWithItsStderr() throws {
        // sox takes the text for an input file name, and fails saying so.
        let (env, _, _) = try Self.setUp(command: #"["sox", "{text}", "{out}"]"#)
        let r = try E2E.run(E2E.somacue, ["timeline", "hostile"], env: env)
        #expect(r.status == 65)
        #expect(r.stderr.contains("tts.command") && r.stderr.contains("failed with status"), "\(r.stderr)")
        #expect(r.stderr.contains("can't open input file"), "sox's own complaint is shown: \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").filter { $0.hasPrefix("somacue:") }.count == 1, "one error: \(r.stderr)")
    }

    @Test func aBadTemplateIsAConfigError() throws {
        let (env, _, _) = try Self.setUp(command: #"["espeak-ng", "{text}"]"#)
        let r = try E2E.run(E2E.somacue, ["timeline", "hostile"], env: env)
        #expect(r.status == 78)
        #expect(r.stderr.contains("needs {out}"), "\(r.stderr)")
    }
}

/// `sessions` lists durations without ever running the `[tts]` command.
@Suite("Listing never speaks", .serialized)
struct ListingNeverSpeaksTests {
    @Test func sessionsDoesNotSynthesizeButUsesWhatIsCached() throws {
        let (env, log, _) = try TTSTests.setUp(command: #"["WRAPPER", "-w", "{out}", "--", "{text}"]"#)
        func hostileDuration() throws -> Any? {
            let r = try E2E.run(E2E.somacue, ["sessions", "--json"], env: env)
            try #require(r.status == 0, "\(r.stderr)")
            let list = try #require(try E2E.json(r.stdout) as? [[String: Any]])
            let entry = try #require(list.first { $0["id"] as? String == "hostile" })
            return entry["duration"].flatMap { $0 is NSNull ? nil : $0 }
        }
        #expect(try hostileDuration() == nil, "listed, without a duration, before its cues are spoken")
        #expect(TTSTests.calls(log) == 0, "listing ran the TTS command")
        let t = try E2E.run(E2E.somacue, ["timeline", "hostile"], env: env)
        #expect(t.status == 0, "\(t.stderr)")
        #expect(TTSTests.calls(log) == 3, "planning the session speaks its three cues")
        #expect(try hostileDuration() is Double, "the spoken cues are in the cache now")
        #expect(TTSTests.calls(log) == 3)
    }
}
