/// What an audio file's header says: libsndfile's `SF_INFO` as `SomacueAudio` reads it, and as
/// the cue-header cache (`SomacueLibrary`) keeps it. Plain values, so that a module without an
/// audio library can hold a header; only the audio module interprets the format word.
public struct AudioFileInfo: Sendable, Equatable {
    /// Frames per channel. `Int64.max` (`SF_COUNT_MAX`) means libsndfile could not tell.
    public var frames: Int64
    public var sampleRate: SampleRate
    public var channels: Int
    /// libsndfile format word, e.g. `0x10002` = `SF_FORMAT_WAV | SF_FORMAT_PCM_16`.
    public var format: Int32

    public init(frames: Int64, sampleRate: SampleRate, channels: Int, format: Int32) {
        self.frames = frames
        self.sampleRate = sampleRate
        self.channels = channels
        self.format = format
    }

    /// True when libsndfile knows the length (false for some cut-off Ogg streams).
    public var hasKnownLength: Bool { frames != Int64.max && frames >= 0 }

    /// The longest cue the mixer accepts, in seconds: the cue loader refuses a longer file (a
    /// bound that also protects against headers announcing absurd lengths), and a cache line
    /// announcing more is damaged.
    public static let maximumCueSeconds = 600
}
