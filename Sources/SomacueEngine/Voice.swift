import SomacueAudio
import SomacueCore
import SomacuePlatform

/// A voice pack: a folder with a `manifest.toml` naming one audio file per cue. The default
/// pack (`cues/` in the data dir) also holds the tones; any other pack is layered over it, so
/// a pack may replace only some cues.
public struct VoicePack: Sendable {
    public var name: String
    public var directory: String
    public var manifest: VoiceManifest

    public init(name: String, directory: String, manifest: VoiceManifest) {
        self.name = name
        self.directory = directory
        self.manifest = manifest
    }

    /// Folders searched for a named voice: the user's voices, then the shipped ones.
    public static func directories(paths: Paths) -> [String] {
        [paths.userDir + "/voices", paths.dataDir + "/voices"]
    }

    /// Voice names available: "default" plus every folder with a manifest.
    public static func available(paths: Paths) -> [String] {
        var names = ["default"]
        for dir in directories(paths: paths) {
            for n in Platform.listDirectory(dir) where Platform.exists("\(dir)/\(n)/manifest.toml") && !names.contains(n) {
                names.append(n)
            }
        }
        return names
    }

    public static func load(directory: String, name: String) throws(EngineError) -> VoicePack {
        let file = directory + "/manifest.toml"
        let manifest = try ManifestMemo.shared.manifest(at: file) { () throws(EngineError) in
            try readSchemaFile(file, what: "voice manifest", status: ExitStatus.dataError) { root, reader in
                readManifest(root, reader: &reader)
            }
        }
        return VoicePack(name: name, directory: directory, manifest: manifest)
    }

    /// Absolute path of a manifest entry's audio file.
    public func path(of cue: ManifestCue) -> String {
        cue.file.hasPrefix("/") ? cue.file : Platform.absolute(directory + "/" + cue.file)
    }
}

/// The cues a session can use: the selected voice over the default pack.
public struct CueSource: Sendable {
    public var packs: [VoicePack]

    /// `name` is "default", a voice folder name, or a path to a folder with a manifest.toml.
    public static func resolve(voice name: String, paths: Paths) throws(EngineError) -> CueSource {
        let base = try VoicePack.load(directory: paths.defaultVoiceDir, name: "default")
        if name == "default" { return CueSource(packs: [base]) }
        if name.contains("/") {
            guard Platform.exists(name + "/manifest.toml") else {
                throw EngineError("somacue: no voice pack at \(name) (expected \(name)/manifest.toml)", status: ExitStatus.noInput)
            }
            return CueSource(packs: [try VoicePack.load(directory: name, name: name), base])
        }
        for dir in VoicePack.directories(paths: paths) where Platform.exists("\(dir)/\(name)/manifest.toml") {
            return CueSource(packs: [try VoicePack.load(directory: "\(dir)/\(name)", name: name), base])
        }
        var message = "somacue: no voice \"\(name)\""
        let names = VoicePack.available(paths: paths)
        if let near = closestMatch(name, in: names) { message += "; did you mean \"\(near)\"?" }
        message += " (voices: \(names.joined(separator: ", ")))"
        throw EngineError(message, status: ExitStatus.noInput)
    }

    public func entry(_ id: CueID) -> (VoicePack, ManifestCue)? {
        for pack in packs {
            if let cue = pack.manifest.cues.first(where: { $0.id == id }) { return (pack, cue) }
        }
        return nil
    }

    /// Looks up every required cue and reads each file's header for its length at `rate`
    /// (from `headers` where the file is unchanged since it was last read).
    /// Collects every problem (not just the first) into one error.
    public func catalog(for required: [CueRequirement], rate: SampleRate,
                        headers: CueHeaderCache = .shared) throws(EngineError) -> [CueID: CueInfo] {
        defer { headers.save() }
        var out: [CueID: CueInfo] = [:]
        var problems: [String] = []
        for req in required {
            guard let (pack, cue) = entry(req.id) else {
                problems.append("  \(req.id): not in the voice manifest" + (req.text.map { " (text: \"\($0)\")" } ?? ""))
                continue
            }
            let path = pack.path(of: cue)
            do {
                let frames = try headers.length(path: path, rate: rate)
                if frames == .zero {
                    problems.append("  \(req.id): \(path): the file holds no audio")
                    continue
                }
                out[req.id] = CueInfo(id: req.id, kind: cue.kind, frames: frames, source: path, gain: cue.gain)
            } catch {
                problems.append("  \(req.id): \(error)")
            }
        }
        if !problems.isEmpty {
            throw EngineError("somacue: \(problems.count) cue\(problems.count == 1 ? "" : "s") the session needs \(problems.count == 1 ? "has" : "have") no usable audio:\n"
                              + problems.joined(separator: "\n")
                              + "\nRegenerate the voice with `python3 cues/generate.py`, or fix the voice manifest.",
                              status: ExitStatus.dataError)
        }
        return out
    }
}
