import SomacueCore
import SomacuePlatform

/// A voice pack: a folder with a `manifest.toml` naming one audio file per cue. The default
/// pack (`cues/` in the data dir) also holds the tones. Any other pack falls back to its `base`
/// (default: the default pack) for the cues it lacks, so it may replace only some cues.
public struct VoicePack: Sendable {
    /// The pack's id: "default", the folder name, or the path it was given as.
    public var name: String
    public var directory: String
    public var manifest: VoiceManifest {
        didSet { cueIndex = Self.index(manifest) }
    }
    /// Shipped with somacue (the default pack and `cues/voices/`), or the user's.
    public var shipped: Bool
    /// Where each cue id first appears in `manifest.cues` (lookups by id are hashed, not a scan
    /// of the ~300 entries per cue).
    private(set) var cueIndex: [CueID: Int]

    public init(name: String, directory: String, manifest: VoiceManifest, shipped: Bool = false) {
        self.name = name
        self.directory = directory
        self.manifest = manifest
        self.shipped = shipped
        cueIndex = Self.index(manifest)
    }

    /// With the index already built (from `ManifestMemo`).
    init(name: String, directory: String, manifest: VoiceManifest, cueIndex: [CueID: Int], shipped: Bool) {
        self.name = name
        self.directory = directory
        self.manifest = manifest
        self.shipped = shipped
        self.cueIndex = cueIndex
    }

    static func index(_ manifest: VoiceManifest) -> [CueID: Int] {
        var out: [CueID: Int] = [:]
        out.reserveCapacity(manifest.cues.count)
        for (i, cue) in manifest.cues.enumerated() where out[cue.id] == nil { out[cue.id] = i }
        return out
    }

    /// This pack's entry for `id` (the first one, if the manifest lists it twice).
    public func cue(_ id: CueID) -> ManifestCue? {
        cueIndex[id].map { manifest.cues[$0] }
    }

    /// Folders holding named packs, shipped first, then the user's (which win on a name clash).
    public static func directories(paths: Paths) -> [String] {
        [paths.shippedVoicesDir, paths.userDir + "/voices"]
    }

    /// One pack folder found on disk (its manifest not read yet).
    public struct Location: Sendable, Equatable {
        public var id: String
        public var directory: String
        public var shipped: Bool
    }

    /// Every pack: the default, the shipped named packs, then the user's, in that order.
    public static func locations(paths: Paths) -> [Location] {
        var out = [Location(id: "default", directory: paths.defaultVoiceDir, shipped: true)]
        for (i, dir) in directories(paths: paths).enumerated() {
            for n in Platform.listDirectory(dir).sorted() where Platform.exists("\(dir)/\(n)/manifest.toml") && n != "default" {
                out.append(Location(id: n, directory: "\(dir)/\(n)", shipped: i == 0))
            }
        }
        return out
    }

    /// Voice names available: "default" plus every folder with a manifest (each once).
    public static func available(paths: Paths) -> [String] {
        var names: [String] = []
        for l in locations(paths: paths) where !names.contains(l.id) { names.append(l.id) }
        return names
    }

    public static func load(directory: String, name: String, shipped: Bool = false) throws(EngineError) -> VoicePack {
        let file = directory + "/manifest.toml"
        let (manifest, index) = try ManifestMemo.shared.manifest(at: file) { () throws(EngineError) in
            try readSchemaFile(file, what: "voice manifest", status: ExitStatus.dataError) { root, reader in
                readManifest(root, reader: &reader, strictKinds: false)
            }
        }
        return VoicePack(name: name, directory: directory, manifest: manifest, cueIndex: index, shipped: shipped)
    }

    /// Finds a pack by name ("default", a folder name: the user's before the shipped one) or by
    /// path (anything with a "/"). Unknown names are exit 66 with the list of voices.
    public static func find(_ name: String, paths: Paths, relativeTo: String? = nil) throws(EngineError) -> VoicePack {
        if name == "default" { return try load(directory: paths.defaultVoiceDir, name: "default", shipped: true) }
        if name.contains("/") {
            let dir = name.hasPrefix("/") || relativeTo == nil ? name : relativeTo! + "/" + name
            guard Platform.exists(dir + "/manifest.toml") else {
                throw EngineError("somacue: no voice pack at \(dir) (expected \(dir)/manifest.toml)", status: ExitStatus.noInput)
            }
            return try load(directory: Platform.absolute(dir), name: name)
        }
        if let l = locations(paths: paths).last(where: { $0.id == name }) {
            return try load(directory: l.directory, name: name, shipped: l.shipped)
        }
        var message = "somacue: no voice \"\(name)\""
        let names = available(paths: paths)
        if let near = closestMatch(name, in: names) { message += "; did you mean \"\(near)\"?" }
        message += " (voices: \(names.joined(separator: ", ")); `somacue voices` lists them)"
        throw EngineError(message, status: ExitStatus.noInput)
    }

    /// Absolute path of a manifest entry's audio file.
    public func path(of cue: ManifestCue) -> String {
        cue.file.hasPrefix("/") ? cue.file : Platform.absolute(directory + "/" + cue.file)
    }
}

/// The cues a session can use: the selected pack, then its base packs, then the default pack.
public struct CueSource: Sendable {
    public var packs: [VoicePack]

    public init(packs: [VoicePack]) { self.packs = packs }

    /// `name` is "default", a voice folder name, or a path to a folder with a manifest.toml.
    /// Follows `voice.base` from pack to pack (a cycle is exit 65) and ends with the default.
    public static func resolve(voice name: String, paths: Paths) throws(EngineError) -> CueSource {
        try chain(from: try VoicePack.find(name, paths: paths), paths: paths)
    }

    /// `pack`, then its base packs, then the default pack.
    public static func chain(from pack: VoicePack, paths: Paths) throws(EngineError) -> CueSource {
        var packs = [pack]
        while packs.last!.name != "default" {
            let current = packs.last!
            let baseName = current.manifest.base ?? "default"
            if packs.contains(where: { $0.name == baseName }) {
                throw EngineError("somacue: \(current.directory)/manifest.toml: voice.base \"\(baseName)\" leads back to a pack already in the chain (\(packs.map(\.name).joined(separator: " -> ")) -> \(baseName)); name another base",
                                  status: ExitStatus.dataError)
            }
            let base: VoicePack
            do { base = try VoicePack.find(baseName, paths: paths, relativeTo: current.directory) } catch {
                throw EngineError("somacue: \(current.directory)/manifest.toml: voice.base: \(error.message.replacing("somacue: ", with: ""))",
                                  status: error.status == ExitStatus.noInput ? ExitStatus.dataError : error.status)
            }
            packs.append(base)
        }
        return CueSource(packs: packs)
    }

    /// The pack that supplies `id` and its entry: the first pack in the chain that lists it. A
    /// listed file that is missing or broken is an error (exit 65), not a silent fallback.
    public func entry(_ id: CueID) -> (VoicePack, ManifestCue)? {
        for pack in packs {
            if let cue = pack.cue(id) { return (pack, cue) }
        }
        return nil
    }

    /// Where `id` comes from: the index of the first pack in the chain that lists it, or nil.
    public func rank(of id: CueID) -> Int? {
        packs.firstIndex { pack in pack.cueIndex[id] != nil }
    }

    /// Whether a short prompt is used in place of its full cue: only when it comes from the
    /// pack that supplies the full cue, or one before it in the chain, so a later repetition
    /// never switches to another voice. (Spoken on demand, by `[tts]`, only when the full cue
    /// is spoken on demand too.)
    public func usesShort(_ short: CueID, for full: CueID, tts: Bool) -> Bool {
        let fullRank = rank(of: full) ?? (tts ? packs.count : nil)
        let shortRank = rank(of: short) ?? (tts ? packs.count : nil)
        guard let fullRank, let shortRank else { return false }
        return shortRank <= fullRank
    }

    /// Looks up every required cue and reads each file's header for its length at `rate`
    /// (from `headers` where the file is unchanged since it was last read).
    /// Collects every problem (not just the first) into one error.
    /// A voice cue no pack has is spoken by `tts` (the config's `[tts]`), once, when given.
    /// A short prompt (`CueRequirement.shortFor`) is optional: it is left out of the catalog,
    /// without a problem, when `usesShort` says no, and the full cue is spoken instead.
    public func catalog(for required: [CueRequirement], rate: SampleRate,
                        headers: CueHeaderCache, tts: TTSSynthesizer? = nil) throws(EngineError) -> [CueID: CueInfo] {
        defer { headers.save() }
        var out: [CueID: CueInfo] = [:]
        var problems: [String] = []
        for req in required {
            if let full = req.shortFor, !usesShort(req.id, for: full, tts: tts != nil && req.kind == .voice) { continue }
            let path: String
            let cue: ManifestCue
            if let (pack, found) = entry(req.id) {
                cue = found
                path = pack.path(of: found)
            } else if let tts, req.kind == .voice, let text = req.text {
                path = try tts.file(for: req.id, text: text)
                cue = ManifestCue(id: req.id, file: path, text: text, kind: .voice)
            } else {
                problems.append("  \(req.id): not in the voice manifest" + (req.text.map { " (text: \"\($0)\")" } ?? ""))
                continue
            }
            do {
                let frames = try headers.length(path: path, rate: rate)
                if frames == .zero {
                    problems.append("  \(req.id): \(path): the file holds no audio")
                    continue
                }
                out[req.id] = CueInfo(id: req.id, kind: req.kind, frames: frames, source: path, gain: cue.gain, lufs: cue.lufs)
            } catch {
                problems.append("  \(req.id): \(error)")
            }
        }
        if !problems.isEmpty {
            throw EngineError("somacue: \(problems.count) cue\(problems.count == 1 ? "" : "s") the session needs \(problems.count == 1 ? "has" : "have") no usable audio:\n"
                              + problems.joined(separator: "\n")
                              + "\nAdd them with `somacue voice generate --only-missing --out DIR`, or fix the voice manifest (`somacue voice check DIR`).",
                              status: ExitStatus.dataError)
        }
        return out
    }
}
