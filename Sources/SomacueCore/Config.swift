/// The user configuration (`config.toml`). Every key is optional; defaults are documented in
/// the shipped `config.toml` and in README.md.
public struct Config: Sendable, Equatable {
    public var device = "default"
    public var sampleRate = SampleRate.standard
    public var latencyMs = 100.0
    public var prerollMs = 500.0
    public var resampler = "medium"

    public var masterVolume = 1.0
    public var voiceVolume = 1.0
    public var toneVolume = 0.6
    /// Loudness every voice cue is brought to (EBU R 128, LUFS), before the volumes.
    public var voiceLUFS = -18.0
    /// Loudness every tone is brought to; with the default tone volume (0.6) tones sit at about
    /// the voice's loudness.
    public var toneLUFS = -14.0

    public var tempo = Tempo.normal
    public var voice = "default"
    public var leadIn = 0.0
    public var safetyNote = true
    /// `[session] announce_every`: minutes between spoken reports of the time left (nil: off).
    public var announceEvery: Double?
    /// `[session] announce_halfway`: "halfway" and the time left at the middle of a session.
    public var announceHalfway = false

    /// The pacing guide (`[guide]`); a session may change it (`[session.guide]`).
    public var guide = GuideSettings()

    /// Speech on demand for cues no voice pack has (`[tts]`); nil: off.
    public var tts: TTSConfig?

    /// Control-socket limits of the daemon.
    public var maxLineBytes = 4096
    public var maxClients = 64
    /// Seconds after which a client that completes no request line (a subscriber: that reads
    /// nothing it is sent) is closed.
    public var clientTimeout = 60.0
    /// While more reply bytes than this wait for a client, its requests are not read.
    public var maxReplyQueueBytes = 65_536
    /// A subscriber with more unread event bytes than this is dropped.
    public var maxEventQueueBytes = 65_536

    public init() {}

    public static let resamplers = ["best", "medium", "fastest", "linear"]
    public static let volumeRange: ClosedRange<Double> = 0...1.5
    public static let leadInRange: ClosedRange<Double> = 0...600
    /// `announce_every`, in minutes: a minute to 12 hours (the longest session).
    public static let announceEveryRange: ClosedRange<Double> = 1...720
    public static let lufsTargetRange: ClosedRange<Double> = -40 ... -6
}

/// Reads a config table; unknown keys, wrong types and out-of-range values are all reported.
public func readConfig(_ root: TOMLTable, reader r: inout SchemaReader) -> Config {
    var c = Config()
    r.rejectUnknownKeys(in: root, path: "", known: ["audio", "volume", "session", "daemon", "tts", "guide"])
    if let a = r.table(root, "audio", path: "") {
        r.rejectUnknownKeys(in: a, path: "audio", known: ["device", "sample_rate", "latency_ms", "preroll_ms", "resampler"])
        if let v = r.string(a, "device", path: "audio") { c.device = v }
        if let v = r.integer(a, "sample_rate", path: "audio", range: Int64(SampleRate.supported.lowerBound)...Int64(SampleRate.supported.upperBound)) {
            c.sampleRate = SampleRate(Int(v))
        }
        if let v = r.number(a, "latency_ms", path: "audio", range: 1...2000, unit: "ms") { c.latencyMs = v }
        if let v = r.number(a, "preroll_ms", path: "audio", range: 0...10_000, unit: "ms") { c.prerollMs = v }
        if let v = r.choice(a, "resampler", path: "audio", options: Config.resamplers) { c.resampler = v }
    }
    if let v = r.table(root, "volume", path: "") {
        r.rejectUnknownKeys(in: v, path: "volume", known: ["master", "voice", "tone", "voice_lufs", "tone_lufs"])
        if let x = r.number(v, "master", path: "volume", range: Config.volumeRange) { c.masterVolume = x }
        if let x = r.number(v, "voice", path: "volume", range: Config.volumeRange) { c.voiceVolume = x }
        if let x = r.number(v, "tone", path: "volume", range: Config.volumeRange) { c.toneVolume = x }
        if let x = r.number(v, "voice_lufs", path: "volume", range: Config.lufsTargetRange, unit: "LUFS") { c.voiceLUFS = x }
        if let x = r.number(v, "tone_lufs", path: "volume", range: Config.lufsTargetRange, unit: "LUFS") { c.toneLUFS = x }
    }
    if let s = r.table(root, "session", path: "") {
        r.rejectUnknownKeys(in: s, path: "session", known: ["tempo", "voice", "lead_in", "safety_note",
                                                                        "announce_every", "announce_halfway"])
        if let x = r.number(s, "tempo", path: "session", range: Tempo.range), let t = Tempo(x) { c.tempo = t }
        if let x = r.string(s, "voice", path: "session") { c.voice = x }
        if let x = r.number(s, "lead_in", path: "session", range: Config.leadInRange, unit: "seconds") { c.leadIn = x }
        if let x = r.bool(s, "safety_note", path: "session") { c.safetyNote = x }
        if let x = r.number(s, "announce_every", path: "session", range: Config.announceEveryRange, unit: "minutes") { c.announceEvery = x }
        if let x = r.bool(s, "announce_halfway", path: "session") { c.announceHalfway = x }
    }
    if let t = r.table(root, "tts", path: "") { c.tts = readTTS(t, reader: &r) }
    if let t = r.table(root, "guide", path: "") { c.guide = readGuide(t, reader: &r, path: "guide").applied(to: c.guide) }
    if let d = r.table(root, "daemon", path: "") {
        r.rejectUnknownKeys(in: d, path: "daemon", known: ["max_line_bytes", "max_clients", "client_timeout",
                                                          "max_reply_queue_bytes", "max_event_queue_bytes"])
        if let x = r.integer(d, "max_line_bytes", path: "daemon", range: 256...1_048_576) { c.maxLineBytes = Int(x) }
        if let x = r.integer(d, "max_clients", path: "daemon", range: 1...1024) { c.maxClients = Int(x) }
        if let x = r.number(d, "client_timeout", path: "daemon", range: 1...86_400, unit: "seconds") { c.clientTimeout = x }
        if let x = r.integer(d, "max_reply_queue_bytes", path: "daemon", range: 1024...67_108_864) { c.maxReplyQueueBytes = Int(x) }
        if let x = r.integer(d, "max_event_queue_bytes", path: "daemon", range: 256...67_108_864) { c.maxEventQueueBytes = Int(x) }
    }
    return c
}
