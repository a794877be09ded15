#if canImport(Glibc)
import Glibc
#endif
import SomacueAudio
import SomacueCore
import SomacueLibrary
import SomacuePlatform

/// Checking packs (decoding and measuring every cue) and storing measured loudness in a
/// manifest: the engine's part of `VoiceCatalog` (the cues packs are measured against and the
/// `voices` rows are SomacueLibrary's).
extension VoiceCatalog {
    // MARK: - Checking a pack

    /// Longest acceptable cue, seconds: a spoken instruction or a tone.
    public static let longestVoice = 45.0
    public static let longestTone = 10.0
    /// Peak below which a cue counts as silent (dBFS).
    public static let silentPeak = -50.0

    public struct CueCheck: Sendable {
        public var id: CueID
        public var kind: CueKind
        public var file: String
        public var seconds: Double?
        public var peakDB: Double?
        public var lufs: Double?
        public var errors: [String] = []
        public var warnings: [String] = []
    }

    /// Decodes and measures every cue of `pack`: missing, unreadable, silent, clipped, overlong.
    /// (Wrongly kinded entries are reported by the manifest reader.)
    public static func check(_ pack: VoicePack, rate: SampleRate = .standard) -> [CueCheck] {
        pack.manifest.cues.map { cue in
            let path = pack.path(of: cue)
            var c = CueCheck(id: cue.id, kind: cue.kind, file: path)
            guard Platform.exists(path) else {
                c.errors.append("missing: \(path) does not exist (record it, or remove the entry)")
                return c
            }
            let loaded: LoadedCue
            do { loaded = try CueLoader.load(path: path, outputRate: rate, quality: .medium) } catch {
                c.errors.append("unreadable: \(error)")
                return c
            }
            c.seconds = rate.seconds(loaded.frames)
            var peak: Int32 = 0
            var run = 0, longestRun = 0
            for s in loaded.pcm {
                let a = abs(Int32(s))
                peak = max(peak, a)
                if a >= 32_700 { run += 1; longestRun = max(longestRun, run) } else { run = 0 }
            }
            c.peakDB = peak == 0 ? -.infinity : 20 * log10(Double(peak) / 32768)
            c.lufs = try? Loudness.measure(loaded)
            if let p = c.peakDB, p < silentPeak {
                c.errors.append("silent: the loudest sample is \(p.isFinite ? formatDB(p) : "-inf") dBFS (below \(formatDB(silentPeak)) dBFS)")
            }
            if longestRun >= 3 {
                c.errors.append("clipped: \(longestRun) samples in a row at full scale; lower the recording level and export it again")
            }
            let limit = cue.kind == .voice ? longestVoice : longestTone
            if let s = c.seconds, s > limit {
                c.errors.append("overlong: \(formatDB(s)) s, longer than \(formatDB(limit)) s for a \(cue.kind.rawValue) cue; trim the silence or split the text")
            }
            return c
        }
    }

    static func formatDB(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        return formatNumber(r)
    }

    // MARK: - Storing loudness

    /// Writes `lufs = X` into each `[[cue]]` table of the manifest at `path` that has a value in
    /// `values`: after its `file` line, or over its existing `lufs` line. Everything else in the
    /// file (comments, order, other keys) is kept. Refuses a manifest whose cue tables are not
    /// one key per line (inline tables), rather than guess.
    public static func writeLoudness(manifest path: String, values: [CueID: Double]) throws(EngineError) {
        let text: String
        do { text = try Platform.readFile(path) } catch {
            throw EngineError("somacue: cannot read \(path): \(error)", status: ExitStatus.noInput)
        }
        guard case .success(let root) = parseTOMLFile(text, file: path),
              let node = root["cue"], case .array(let items) = node.value else {
            throw EngineError("somacue: \(path): not a voice manifest with [[cue]] tables; fix it first (`somacue validate \(path)`)",
                              status: ExitStatus.dataError)
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // line index (0-based) -> replacement, and line index -> line to insert after it
        var replace: [Int: String] = [:]
        var insertAfter: [Int: String] = [:]
        for item in items {
            guard case .table(let t) = item.value, let idNode = t["id"], case .string(let id) = idNode.value,
                  let value = values[CueID(id)], value.isFinite, let fileNode = t["file"] else { continue }
            let line = "lufs = \(formatNumber((value * 100).rounded() / 100))"
            if let old = t["lufs"] {
                let i = old.position.line - 1
                guard i < lines.count, lines[i].trimmingPrefixSpaces.hasPrefix("lufs") else {
                    throw EngineError("somacue: \(path):\(old.position.line): cue \"\(id)\" keeps lufs on a line with other keys; write one key per line to use --write",
                                      status: ExitStatus.dataError)
                }
                replace[i] = line
            } else {
                let i = fileNode.position.line - 1
                guard i < lines.count, lines[i].trimmingPrefixSpaces.hasPrefix("file"), idNode.position.line != fileNode.position.line else {
                    throw EngineError("somacue: \(path):\(fileNode.position.line): cue \"\(id)\" is not written one key per line; write it as a [[cue]] table to use --write",
                                      status: ExitStatus.dataError)
                }
                insertAfter[i] = line
            }
        }
        for (i, l) in replace { lines[i] = l }
        for i in insertAfter.keys.sorted(by: >) { lines.insert(insertAfter[i]!, at: i + 1) }
        do { try Platform.writeFile(path + ".tmp", lines.joined(separator: "\n")) } catch {
            throw EngineError("somacue: cannot write \(path).tmp: \(error)", status: ExitStatus.cannotCreate)
        }
        guard rename(path + ".tmp", path) == 0 else {
            throw EngineError("somacue: cannot replace \(path): \(Platform.errorText(errno))", status: ExitStatus.cannotCreate)
        }
    }
}

extension String {
    var trimmingPrefixSpaces: Substring { self.drop { $0 == " " || $0 == "\t" } }
}
