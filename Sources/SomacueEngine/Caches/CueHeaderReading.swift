import SomacueAudio
import SomacueCore
import SomacueLibrary

extension CueHeaderCache {
    /// The process-wide cache of the engine, persisted under the user's cache directory: a
    /// file it does not know as it is now is read with libsndfile (`CueLoader.header`).
    public static let shared = CueHeaderCache(file: CueHeaderCache.defaultFile, reader: CueHeader.read)
}

extension CueHeader {
    /// The header of `path`, read and checked by `CueLoader.header`; its error's text otherwise.
    public static let read: CueHeaderReader = { (path: String) throws(CueHeaderError) -> CueHeader in
        do {
            return CueHeader(try CueLoader.header(path: path))
        } catch {
            throw CueHeaderError("\(error)")
        }
    }

    init(_ info: AudioFileInfo) {
        self.init(frames: info.frames, sampleRate: info.sampleRate, channels: info.channels, format: info.format)
    }
}
