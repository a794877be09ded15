import SomacueCore
import SomacuePlatform

/// Where the config's `[tts]` command keeps what it spoke: `$XDG_CACHE_HOME/somacue/tts/<key>.wav`,
/// keyed by the template, the voice and the text, so a cue is spoken once. Looking a cue up is
/// this module's; running the command is the engine's (`TTSSpeaker.command`), handed in as a
/// `TTSSpeaker`. Without one only cues already spoken are used (listing sessions never speaks).
public struct TTSSynthesizer: Sendable {
    public var config: TTSConfig
    public var voice: String
    public var cacheDir: String
    /// Speaks a cue not in the cache yet; nil: such a cue is an error (nothing is run).
    public var speaker: TTSSpeaker?

    public init(config: TTSConfig, voice: String, cacheDir: String = TTSSynthesizer.defaultCacheDir, speaker: TTSSpeaker? = nil) {
        self.config = config
        self.voice = voice
        self.cacheDir = cacheDir
        self.speaker = speaker
    }

    public static var defaultCacheDir: String {
        (Platform.cacheDirectory() ?? "/root/.cache/somacue") + "/tts"
    }

    /// The cached file for `text`, spoken now by the speaker if it is not there yet.
    public func file(for id: CueID, text: String) throws(EngineError) -> String {
        let path = "\(cacheDir)/\(config.cacheKey(voice: voice, text: text)).wav"
        if Platform.fileType(path) == .regular { return path }
        guard let speaker else {
            throw EngineError("somacue: cue \(id) has not been spoken by [tts] yet", status: ExitStatus.dataError)
        }
        try speaker.speak(self, id, text, path)
        return path
    }
}

/// Makes the file `path` for a cue by speaking `text` (the engine runs the `[tts]` command).
public struct TTSSpeaker: Sendable {
    public let speak: @Sendable (_ synthesizer: TTSSynthesizer, _ id: CueID, _ text: String, _ path: String) throws(EngineError) -> Void

    public init(_ speak: @escaping @Sendable (_ synthesizer: TTSSynthesizer, _ id: CueID, _ text: String, _ path: String) throws(EngineError) -> Void) {
        self.speak = speak
    }
}
