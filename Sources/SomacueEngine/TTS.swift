#if canImport(Glibc)
import Glibc
#endif
import SomacueCore
import SomacueLibrary
import SomacuePlatform

/// Speaks cues that no voice pack has with the config's `[tts]` command, into the file
/// `TTSSynthesizer` (SomacueLibrary) looks for, so the next run finds it and runs nothing.
extension TTSSpeaker {
    /// Runs `tts.command` for one cue: writes a partial file beside the cache entry and renames it
    /// into place only when the command succeeded and wrote it.
    public static let command = TTSSpeaker { (synthesizer: TTSSynthesizer, id: CueID, text: String, path: String) throws(EngineError) in
        let config = synthesizer.config
        let cacheDir = synthesizer.cacheDir
        do { try Platform.makeDirectories(cacheDir) } catch {
            throw EngineError("somacue: cannot create the TTS cache \(cacheDir): \(error)", status: ExitStatus.cannotCreate)
        }
        let partial = path + ".part\(getpid()).wav"
        let (argv, input) = config.expand(text: text, out: partial)
        let outcome: Subprocess.Outcome
        do { outcome = try Subprocess.run(argv, stdin: input) } catch {
            throw EngineError("somacue: tts.command for cue \(id): \(error); check [tts] command in the config", status: ExitStatus.dataError)
        }
        let stderr = outcome.stderr.split(separator: "\n").suffix(5).joined(separator: "\n  ")
        guard outcome.status == 0 else {
            unlink(partial)
            throw EngineError("somacue: tts.command (\(argv[0])) failed with status \(outcome.status) speaking cue \(id)"
                              + (stderr.isEmpty ? "" : ":\n  \(stderr)") + "\nFix [tts] in the config, or give the cue a file in a voice pack.",
                              status: ExitStatus.dataError)
        }
        guard Platform.fileType(partial) == .regular else {
            throw EngineError("somacue: tts.command (\(argv[0])) exited 0 but wrote no file for cue \(id); {out} must be where it writes its WAV"
                              + (stderr.isEmpty ? "" : ":\n  \(stderr)"),
                              status: ExitStatus.dataError)
        }
        guard rename(partial, path) == 0 else {
            let e = errno
            unlink(partial)
            throw EngineError("somacue: cannot store \(path): \(Platform.errorText(e))", status: ExitStatus.cannotCreate)
        }
    }
}
