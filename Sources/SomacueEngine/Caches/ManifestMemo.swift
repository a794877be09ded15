import SomacueCore
import SomacuePlatform
import Synchronization

/// Parsed voice manifests for the life of the process, keyed by path and checked against the
/// file's size and modification time on every use. `sessions` plans every session with the
/// same voice, and the daemon plans on every `start`: without this, each plan parsed the
/// manifest again (most of the time `sessions` took).
final class ManifestMemo: Sendable {
    static let shared = ManifestMemo()
    private let entries = Mutex<[String: (FileStamp, VoiceManifest)]>([:])

    func manifest(at path: String, parse: () throws(EngineError) -> VoiceManifest) throws(EngineError) -> VoiceManifest {
        let stamp = Platform.stamp(path)
        if let stamp, let hit = entries.withLock({ $0[path] }), hit.0 == stamp { return hit.1 }
        let manifest = try parse()
        if let stamp { entries.withLock { $0[path] = (stamp, manifest) } }
        return manifest
    }
}
