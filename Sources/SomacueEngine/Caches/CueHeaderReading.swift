import SomacueAudio
import SomacueCore
import SomacueLibrary

extension CueHeaderCache {
    /// The process-wide cache of the engine, persisted under the user's cache directory: a
    /// file it does not know as it is now is read with libsndfile (`CueLoader.header`).
    public static let shared = CueHeaderCache(file: CueHeaderCache.defaultFile, reader: CueHeaderCache.libsndfile)

    /// The header of `path`, read and checked by `CueLoader.header`; its error's text otherwise.
    public static let libsndfile: CueHeaderReader = { (path: String) throws(CueHeaderError) -> AudioFileInfo in
        do {
            return try CueLoader.header(path: path)
        } catch {
            throw CueHeaderError("\(error)")
        }
    }
}
