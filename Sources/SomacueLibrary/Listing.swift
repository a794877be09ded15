import SomacueCore
import SomacuePlatform

/// The listing verbs, `sessions`, `exercises`, `voices` and `timeline SESSION`: one
/// implementation for both executables. somacued runs them (through its argument parser, or its
/// fast path for the plain forms); `somacue` runs the plain forms itself, captured (`Console`),
/// when every cue header they need is in the cache, and hands them to somacued otherwise.
/// Everything is printed through `Console`; an `EngineError` is left to the caller.
public enum Listing {
    /// A listing verb with nothing but `--json` and `--config PATH`: the commands `somacue` and
    /// shell completions run most, which both executables answer without the argument parser.
    public struct Request: Sendable, Equatable {
        public enum Verb: Sendable, Equatable {
            case sessions, exercises, voices
            case timeline(String)
        }

        public var verb: Verb
        public var json: Bool
        public var configPath: String?

        /// The request `words` (the arguments after the program name) make, or nil for anything
        /// else (another flag, help, a typo, a second `--json`), which goes through the parser.
        public init?(_ words: [String]) {
            guard let first = words.first else { return nil }
            var json = false
            var configPath: String?
            var positional: [String] = []
            var i = 1
            while i < words.count {
                let w = words[i]
                if w == "--json", !json {
                    json = true
                } else if configPath == nil, let value = Platform.longOption("--config", in: words, at: &i) {
                    configPath = value
                } else if !w.hasPrefix("-"), !w.isEmpty {
                    positional.append(w)
                } else {
                    return nil
                }
                i += 1
            }
            switch (first, positional.count) {
            case ("sessions", 0): verb = .sessions
            case ("exercises", 0): verb = .exercises
            case ("voices", 0): verb = .voices
            case ("timeline", 1): verb = .timeline(positional[0])
            default: return nil
            }
            self.json = json
            self.configPath = configPath
        }

        /// Runs it. `executable` decides where the shipped data is (`Paths.discover`).
        public func run(executable: String?, cueFiles: CueFiles) throws(EngineError) {
            switch verb {
            case .sessions: try Listing.sessions(json: json, configPath: configPath, executable: executable, headers: cueFiles.headers)
            case .exercises: try Listing.exercises(json: json, configPath: configPath, executable: executable)
            case .voices: try Listing.voices(json: json, configPath: configPath, executable: executable)
            case .timeline(let session):
                try Listing.timeline(session, options: { () throws(EngineError) in SessionOptions() }, json: json,
                                     configPath: configPath, executable: executable, cueFiles: cueFiles)
            }
        }
    }

    /// The data, the configuration and the library a listing reads.
    public struct Context: Sendable {
        public var paths: Paths
        public var config: Config
        public var library: Library

        public init(configPath: String?, executable: String? = Platform.executablePath()) throws(EngineError) {
            paths = try Paths.discover(executable: executable)
            (config, _) = try loadConfig(explicitPath: configPath, paths: paths)
            library = Library.load(paths: paths)
        }
    }

    /// `sessions`: every session with its length (from the cue headers), tempo, posture and title.
    public static func sessions(json: Bool, configPath: String?, executable: String? = Platform.executablePath(),
                                headers: CueHeaderCache) throws(EngineError) {
        let ctx = try Context(configPath: configPath, executable: executable)
        var rows: [JSON] = []
        var table: [[String]] = [["ID", "DURATION", "TEMPO", "POSTURE", "TITLE"]]
        for id in ctx.library.sessions.keys.sorted() {
            let s = ctx.library.sessions[id]!
            let duration = listedDuration(of: s, library: ctx.library, config: ctx.config, paths: ctx.paths, headers: headers)
            let tempo = s.tempo ?? ctx.config.tempo
            rows.append(sessionSummary(s, duration: duration, tempo: tempo))
            let stepTempos = s.steps.contains { $0.tempo != nil } ? "*" : ""
            table.append([s.id, duration.map(formatClock) ?? "?", "\(tempo)\(stepTempos)", s.posture.rawValue, s.title])
        }
        let note = table.contains { $0[2].hasSuffix("*") } ? "* some steps have a tempo of their own\n" : ""
        Console.out(json ? JSON.array(rows).pretty + "\n" : formatTable(table) + note)
        reportProblems(ctx.library)
    }

    /// `exercises`: every exercise with whether it is done per side, its posture and title.
    public static func exercises(json: Bool, configPath: String?, executable: String? = Platform.executablePath()) throws(EngineError) {
        let ctx = try Context(configPath: configPath, executable: executable)
        let list = ctx.library.exercises.keys.sorted().map { ctx.library.exercises[$0]! }
        if json {
            Console.out(JSON.array(list.map { e in
                var o = JSONObject()
                o.set("id", e.id)
                o.set("title", e.title)
                o.set("sides", e.sides)
                o.set("posture", e.posture.rawValue)
                return o.json
            }).pretty + "\n")
        } else {
            Console.out(formatTable([["ID", "SIDES", "POSTURE", "TITLE"]]
                + list.map { [$0.id, $0.sides ? "yes" : "no", $0.posture.rawValue, $0.title] }))
        }
        reportProblems(ctx.library)
    }

    /// `voices`: every pack with its cue count, the cues the sessions need that it takes from
    /// its base or the default voice, and those no pack has. A pack that cannot be read is left
    /// out and makes the status 65, after the others are listed.
    public static func voices(json: Bool, configPath: String?, executable: String? = Platform.executablePath()) throws(EngineError) {
        let ctx = try Context(configPath: configPath, executable: executable)
        let required = try VoiceCatalog.requiredCues(for: VoiceCatalog.sessions([], library: ctx.library), library: ctx.library)
        var rows: [JSON] = []
        var table: [[String]] = [["ID", "DEFAULT", "CUES", "FALLBACK", "MISSING", "BASE", "TITLE"]]
        var problems: [String] = []
        for l in VoicePack.locations(paths: ctx.paths) {
            let source: CueSource
            do throws(EngineError) {
                source = try CueSource.chain(from: try VoicePack.load(directory: l.directory, name: l.id, shipped: l.shipped), paths: ctx.paths)
            } catch {
                problems.append(error.message)
                continue
            }
            var row = VoiceCatalog.listing(pack: l.id, source: source, required: required, isDefault: l.id == ctx.config.voice)
            if case .object(let fields) = row {
                func count(_ k: String) -> String {
                    if case .array(let a)? = fields.first(where: { $0.0 == k })?.1 { return "\(a.count)" }
                    return "?"
                }
                let pack = source.packs[0]
                table.append([l.id, l.id == ctx.config.voice ? "*" : "", "\(pack.manifest.cues.count)", count("fallback"),
                              count("missing"), l.id == "default" ? "" : source.packs.dropFirst().map(\.name).joined(separator: " > "),
                              pack.manifest.title ?? pack.manifest.name ?? l.id])
                row = .object(fields)
            }
            rows.append(row)
        }
        Console.out(json ? JSON.array(rows).pretty + "\n" : formatTable(table))
        if !problems.isEmpty {
            throw EngineError(problems.joined(separator: "\n"), status: ExitStatus.dataError)
        }
    }

    /// `timeline SESSION`: when every cue plays. `options` is read after the configuration (its
    /// errors come after the configuration's warnings, as the argument parser's path has it).
    public static func timeline(_ session: String, options: () throws(EngineError) -> SessionOptions, json: Bool,
                                configPath: String?, executable: String? = Platform.executablePath(),
                                cueFiles: CueFiles) throws(EngineError) {
        let ctx = try Context(configPath: configPath, executable: executable)
        let s = try ctx.library.session(session)
        let planned = try plan(session: s, library: ctx.library, config: ctx.config, options: try options(), paths: ctx.paths,
                               cueFiles: cueFiles)
        reportFit(planned)
        Console.out(json ? planned.timeline.json.pretty + "\n" : timelineTable(planned.timeline))
    }

    /// Problems in library files (a broken file is skipped, the others are listed), on stderr.
    public static func reportProblems(_ library: Library) {
        for d in library.diagnostics.sortedByPosition() { Console.err(d.description) }
    }

    /// Says which tempo `--fit` chose, on stderr (stdout may be JSON).
    public static func reportFit(_ planned: PlannedSession) {
        if let report = planned.fitReport { Console.err("somacue: " + report) }
    }
}

/// Rows as columns two spaces apart, each as wide as its widest cell (the last left ragged).
public func formatTable(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    var widths = [Int](repeating: 0, count: first.count)
    for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
    var out = ""
    for row in rows {
        var line = ""
        for (i, c) in row.enumerated() {
            line += i == row.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count + 2)
        }
        out += line + "\n"
    }
    return out
}

/// `timeline`'s table: one row per cue, then the totals.
public func timelineTable(_ t: Timeline) -> String {
    var rows: [[String]] = [["TIME", "FRAME", "PHASE", "EXERCISE", "SIDE", "REP", "CUE"]]
    for e in t.events {
        rows.append([formatClock(t.sampleRate.seconds(e.frame)) + "." + String(Int(saturating: t.sampleRate.seconds(e.frame) * 10, rounding: .down) % 10),
                     "\(e.frame)", e.phase.rawValue, e.exercise ?? "", e.side?.rawValue ?? "",
                     e.rep.map(String.init) ?? "", e.cue.rawValue])
    }
    let total = t.sampleRate.seconds(t.frames)
    return formatTable(rows) + "\(t.events.count) cues, \(formatClock(total)) (\(t.frames) frames at \(t.sampleRate.hz) Hz, tempo \(t.tempo))\n"
}
