import Foundation
import Glibc
import Testing

/// The shell completions and man pages in the repository, the help of every verb, and the
/// completion of session ids and voice names from a running somacued (an idle one: no audio).
@Suite("CLI docs")
struct CLIDocsTests {
    @Test func completionsAndManPagesAreCurrent() throws {
        // Regenerates everything from the built binaries and config.toml and diffs it against the
        // committed files; it also fails when somacue's declarations of the engine verbs differ
        // from somacued's.
        let r = try E2E.run("/usr/bin/env", ["python3", E2E.repo.appendingPathComponent("scripts/cli-docs.py").path,
                                             "--check", "--bin", E2E.products.path])
        #expect(r.status == 0, "\(r.stderr)\n\(r.stdout.prefix(4000))")
    }

    @Test func manPagesRender() throws {
        for page in ["somacue.1", "somacued.1", "somacue-config.5"] {
            let path = E2E.repo.appendingPathComponent("man/\(page)").path
            var env = E2E.cleanEnvironment()
            env["MANWIDTH"] = "80"
            env["MAN_KEEP_FORMATTING"] = nil
            let r = try E2E.run("/usr/bin/man", ["--warnings", "-P", "cat", "-l", path], env: env)
            #expect(r.status == 0, "\(page): \(r.stderr)")
            #expect(r.stderr.isEmpty, "\(page): groff warnings: \(r.stderr)")
            #expect(r.stdout.contains("NAME") && r.stdout.contains("SEE ALSO"), "\(page)")
        }
        let somacue = try E2E.run("/usr/bin/man", ["-P", "cat", "-l", E2E.repo.appendingPathComponent("man/somacue.1").path])
        for verb in ["somacue start", "somacue play", "somacue voice generate", "somacue history", "--replace", "--force"] {
            #expect(somacue.stdout.contains(verb), "somacue(1) lacks \(verb)")
        }
        let config = try E2E.run("/usr/bin/man", ["-P", "cat", "-l", E2E.repo.appendingPathComponent("man/somacue-config.5").path])
        for key in ["[audio]", "sample_rate = 48000", "[session]", "safety_note = true", "[tts]"] {
            #expect(config.stdout.contains(key), "somacue-config(5) lacks \(key)")
        }
    }

    @Test func bashCompletionLoads() throws {
        let r = try E2E.run("/bin/bash", ["-c", "source completions/somacue.bash && complete -p somacue"], env: E2E.cleanEnvironment(),
                            cwd: E2E.repo)
        #expect(r.status == 0 && r.stdout.contains("-F _somacue somacue"), "\(r.stdout) \(r.stderr)")
    }

    /// The candidates `shell`'s own completion offers for Tab at the end of `line`, with the
    /// committed completion file loaded and the built somacue first on PATH.
    /// - bash: the completion function run as bash's programmable completion would run it;
    /// - zsh: a real line editor on a pseudo-terminal (`Fixtures/shells/zsh-complete.zsh`);
    /// - fish: `complete -C` (a candidate's description, after a tab, is dropped).
    static func complete(_ shell: String, _ line: String, env: [String: String]) throws -> [String] {
        var env = env
        env["PATH"] = E2E.products.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        let r: E2E.Result
        switch shell {
        case "bash":
            let script = """
                source completions/somacue.bash
                COMP_LINE="$1"; COMP_POINT=${#COMP_LINE}
                read -ra COMP_WORDS <<< "$COMP_LINE"
                [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                COMPREPLY=()
                _somacue somacue "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                printf '%s\\n' "${COMPREPLY[@]}"
                """
            r = try E2E.run("/bin/bash", ["-c", script, "complete", line], env: env, cwd: E2E.repo)
        case "zsh":
            let harness = E2E.repo.appendingPathComponent("Tests/EndToEndTests/Fixtures/shells/zsh-complete.zsh").path
            r = try E2E.run("/usr/bin/timeout", ["60", "/usr/bin/zsh", "-f", harness, E2E.repo.appendingPathComponent("completions").path, line],
                            env: env, cwd: E2E.repo)
        case "fish":
            r = try E2E.run("/usr/bin/fish", ["--no-config", "-c", "source completions/somacue.fish; complete -C $argv[1]", line],
                            env: env, cwd: E2E.repo)
        default:
            preconditionFailure("no completion for \(shell)")
        }
        #expect(r.status == 0 && !r.stderr.contains("rror"), "\(shell): \(line): \(r.stderr)")
        return r.stdout.split(separator: "\n").map { String($0.split(separator: "\t", maxSplits: 1).first ?? "") }
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completesVerbsFlagsAndIdsFromTheDaemon(shell: String) throws {
        // A daemon with a session of the user's own that only it knows of: the completion must
        // list it, so the ids come from the daemon (the engine, run with the caller's other
        // config folder, would not see it).
        let home = E2E.tempDir("complete-\(shell)")
        let runtime = home.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let sessions = home.appendingPathComponent("config/somacue/sessions")
        try FileManager.default.createDirectory(at: sessions, withIntermediateDirectories: true)
        let shipped = try String(contentsOf: E2E.repo.appendingPathComponent("sessions/gluteal-release.toml"), encoding: .utf8)
        try shipped.replacingOccurrences(of: #"id = "gluteal-release""#, with: #"id = "only-the-daemon-knows""#)
            .write(to: sessions.appendingPathComponent("only-the-daemon-knows.toml"), atomically: true, encoding: .utf8)
        var daemonEnv = E2E.cleanEnvironment()
        daemonEnv["XDG_CONFIG_HOME"] = home.appendingPathComponent("config").path
        daemonEnv["XDG_RUNTIME_DIR"] = runtime.path
        daemonEnv["XDG_STATE_HOME"] = home.appendingPathComponent("state").path
        daemonEnv.removeValue(forKey: "SOMACUE_SOCKET")
        let socket = runtime.appendingPathComponent("somacue/socket").path
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: E2E.somacued)
        daemon.arguments = ["serve"]
        daemon.environment = daemonEnv
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer {
            kill(daemon.processIdentifier, SIGKILL)
            daemon.waitUntilExit()
        }
        var env = E2E.cleanEnvironment(["SOMACUE_SOCKET": socket])
        env.removeValue(forKey: "XDG_RUNTIME_DIR")
        // The socket file exists from bind, a moment before listen: wait until the daemon answers
        // (else the completion would fall back to the engine, which lacks the daemon-only id).
        var answered = false
        for _ in 0..<200 where !answered {
            answered = try E2E.run(E2E.somacue, ["ping"], env: env).status == 0
            if !answered { usleep(50_000) }
        }
        #expect(answered, "somacued did not answer on \(socket)")
        let verbs = try Self.complete(shell, "somacue ", env: env)
        for verb in ["start", "pause", "resume", "toggle", "stop", "goto", "where", "next", "prev", "tempo", "volume", "status", "follow", "ping",
                     "reload", "play", "render", "timeline", "sessions", "exercises", "devices", "validate", "cues", "voices",
                     "voice", "history", "service", "help"] {
            #expect(verbs.contains(verb), "no \(verb) in \(verbs)")
        }
        let ids = try Self.complete(shell, "somacue start ", env: env)
        #expect(ids.contains("only-the-daemon-knows") && ids.contains("gluteal-release") && ids.contains("release-the-lower-back"), "\(ids)")
        #expect(try Self.complete(shell, "somacue play only-", env: env) == ["only-the-daemon-knows"])
        #expect(try Self.complete(shell, "somacue cues gl", env: env) == ["gluteal-release"])
        let voices = try Self.complete(shell, "somacue start gluteal-release --voice ", env: env)
        #expect(Set(voices).isSuperset(of: ["default", "espeak", "flite"]), "\(voices)")
        let flags = try Self.complete(shell, "somacue start gluteal-release --", env: env)
        for flag in ["--tempo", "--fit", "--voice", "--lead-in", "--replace", "--no-spawn", "--socket"] {
            #expect(flags.contains(flag), "no \(flag) in \(flags)")
        }
        #expect(Set(try Self.complete(shell, "somacue volume ", env: env)) == ["master", "voice", "tone"])
        #expect(Set(try Self.complete(shell, "somacue validate --kind ", env: env)) == ["session", "exercise", "manifest", "config"])
        #expect(Set(try Self.complete(shell, "somacue voice generate --engine ", env: env)) == ["piper", "espeak", "flite"])
        #expect(try Self.complete(shell, "somacue play gluteal-release --f", env: env).contains("--force"))
        let exercises = try Self.complete(shell, "somacue goto ", env: env)
        #expect(exercises.contains("arch-and-flatten") && exercises.contains("back-lift"), "\(exercises)")
        #expect(try Self.complete(shell, "somacue start gluteal-release --at gluteal-", env: env).contains("gluteal-release"))
        // Without a daemon the engine answers (shipped sessions only, from this environment).
        var alone = env
        alone["SOMACUE_SOCKET"] = home.appendingPathComponent("nothing-here").path
        let engineIDs = try Self.complete(shell, "somacue start ", env: alone)
        #expect(engineIDs.contains("gluteal-release") && !engineIDs.contains("only-the-daemon-knows"), "\(engineIDs)")
    }

    @Test func helpOfEveryVerbNamesSomacue() throws {
        let env = E2E.cleanEnvironment()
        for verb in ["play", "render", "timeline", "sessions", "exercises", "devices", "validate", "cues", "voices", "voice",
                     "start", "stop", "volume", "status", "follow", "history", "service"] {
            let viaHelp = try E2E.run(E2E.somacue, ["help", verb], env: env)
            #expect(viaHelp.status == 0, "help \(verb): \(viaHelp.stderr)")
            #expect(viaHelp.stdout.contains("USAGE: somacue \(verb)"), "help \(verb) shows another help: \(viaHelp.stdout.prefix(300))")
            let viaFlag = try E2E.run(E2E.somacue, [verb, "--help"], env: env)
            #expect(viaFlag.stdout.contains("USAGE: somacue \(verb)"), "\(verb) --help: \(viaFlag.stdout.prefix(300))")
            #expect(!viaHelp.stdout.contains("USAGE: somacued") && !viaFlag.stdout.contains("USAGE: somacued"), "\(verb)")
        }
        let generate = try E2E.run(E2E.somacue, ["help", "voice", "generate"], env: env)
        #expect(generate.stdout.contains("USAGE: somacue voice generate"), "\(generate.stdout.prefix(300))")
        // A usage error of an engine verb names somacue too.
        let bad = try E2E.run(E2E.somacue, ["render", "gluteal-release"], env: env)
        #expect(bad.status == 64 && bad.stderr.contains("somacue render") && !bad.stderr.contains("somacued"), "\(bad.stderr)")
        // somacued run by itself keeps its own name.
        let engine = try E2E.run(E2E.somacued, ["play", "--help"], env: env)
        #expect(engine.stdout.contains("USAGE: somacued play"), "\(engine.stdout.prefix(300))")
    }
}
