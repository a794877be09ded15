import SomacueCore
import SomacuePlatform

/// What voice packs are measured against: the cues the engine and the sessions need, and one
/// row of `voices`. (Checking packs by decoding them and storing loudness are the engine's.)
public enum VoiceCatalog {
    /// Every cue the engine may play (its own voices and tones, the `where` reports) and every cue `sessions` need,
    /// with the lead-in cues. Kinds come from the engine, never from a pack.
    public static func requiredCues(for sessions: [Session], library: Library) throws(EngineError) -> [CueRequirement] {
        var required: [CueRequirement] = (BuiltinCue.voices + Whereabouts.voices).map { CueRequirement(id: $0.id, kind: .voice, text: $0.text) }
            + BuiltinCue.tones.map { CueRequirement(id: $0.id, kind: .tone, text: nil) }
        var seen = Set(required.map(\.id))
        for s in sessions {
            var settings = PacingSettings()
            settings.leadIn = 1  // include the lead-in cues
            let engine = PacingEngine(session: s, exercises: library.exercises, settings: settings)
            let list: [CueRequirement]
            do { list = try engine.requiredCues() } catch {
                throw EngineError("somacue: \(error)", status: ExitStatus.dataError)
            }
            for r in list where seen.insert(r.id).inserted { required.append(r) }
        }
        return required
    }

    /// The sessions named on a command line, or every session when none is.
    public static func sessions(_ args: [String], library: Library) throws(EngineError) -> [Session] {
        if args.isEmpty { return library.sessions.keys.sorted().map { library.sessions[$0]! } }
        var out: [Session] = []
        for a in args { out.append(try library.session(a)) }
        return out
    }

    /// One row of `somacue voices`.
    public static func listing(pack id: String, source: CueSource, required: [CueRequirement], isDefault: Bool) -> JSON {
        let pack = source.packs[0]
        var missing: [JSON] = []
        var fallback: [JSON] = []
        for r in required {
            // A short prompt this pack would not use (its full cue comes from a pack before the
            // one that has the short one) is neither missing nor a fallback: the full cue plays.
            if let full = r.shortFor, !source.usesShort(r.id, for: full, tts: false) { continue }
            guard let (supplier, _) = source.entry(r.id) else { missing.append(.string(r.id.rawValue)); continue }
            if supplier.directory != pack.directory { fallback.append(.string(r.id.rawValue)) }
        }
        var o = JSONObject()
        o.set("id", id)
        o.set("title", pack.manifest.title ?? pack.manifest.name ?? id)
        o.set("path", pack.directory)
        o.set("generator", pack.manifest.generator.map(JSON.string) ?? JSON.null)
        o.set("default", isDefault)
        o.set("cues", pack.manifest.cues.count)
        o.set("missing", JSON.array(missing))
        o.set("fallback", JSON.array(fallback))
        return o.json
    }
}
