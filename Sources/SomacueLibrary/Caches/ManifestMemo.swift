import SomacueCore
import SomacuePlatform
import Synchronization

/// Parsed voice manifests for the life of the process, keyed by path and checked against the
/// file's size and modification time on every use. `sessions` plans every session with the
/// same voice, and the daemon plans on every `start`: without this, each plan parsed the
/// manifest again (most of the time `sessions` took).
final class ManifestMemo: Sendable {
    static let shared = ManifestMemo()
    /// Each manifest with its cue index (`VoicePack.index`), built once per parse.
    private let entries = Mutex<[String: (FileStamp, VoiceManifest, [CueID: Int])]>([:])

    func manifest(at path: String, parse: () throws(EngineError) -> VoiceManifest) throws(EngineError) -> (VoiceManifest, [CueID: Int]) {
        let stamp = Platform.stamp(path)
        if let stamp, let hit = entries.withLock({ $0[path] }), hit.0 == stamp { return (hit.1, hit.2) }
        let manifest = try parse()
        let index = VoicePack.index(manifest)
        if let stamp { entries.withLock { $0[path] = (stamp, manifest, index) } }
        return (manifest, index)
    }
}
