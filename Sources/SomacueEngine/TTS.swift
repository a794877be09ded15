#if canImport(Glibc)
import Glibc
#endif
import SomacueCore
import SomacuePlatform

/// Speaks cues that no voice pack has with the config's `[tts]` command, once: the result is
/// kept in `$XDG_CACHE_HOME/somacue/tts/<key>.wav`, keyed by the template, the voice and the
/// text, so the next run finds it and runs nothing.
public struct TTSSynthesizer: Sendable {
    public var config: TTSConfig
    public var voice: String
    public var cacheDir: String
    /// Only look in the cache, never run the command (listing sessions must not speak).
    public var cachedOnly: Bool

    public init(config: TTSConfig, voice: String, cacheDir: String = TTSSynthesizer.defaultCacheDir, cachedOnly: Bool = false) {
        self.config = config
        self.voice = voice
        self.cacheDir = cacheDir
        self.cachedOnly = cachedOnly
    }

    public static var defaultCacheDir: String {
        (Platform.cacheDirectory() ?? "/root/.cache/somacue") + "/tts"
    }

    /// The cached file for `text`, made now if it is not there yet.
    public func file(for id: CueID, text: String) throws(EngineError) -> String {
        let path = "\(cacheDir)/\(config.cacheKey(voice: voice, text: text)).wav"
        if Platform.fileType(path) == .regular { return path }
        if cachedOnly {
            throw EngineError("somacue: cue \(id) has not been spoken by [tts] yet", status: ExitStatus.dataError)
        }
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
        return path
    }
}
