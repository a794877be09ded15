#if canImport(Glibc)
import Glibc
#endif
import SomacueCore
import SomacuePlatform
import SomacueProtocol

// The practice history: `$XDG_STATE_HOME/somacue/history.jsonl`, one JSON object a line, appended
// by the daemon when a session ends and read by `somacue history`. A damaged line (a crash in
// the middle of a write, an edit by hand) is skipped with a warning, never a failure.

public enum Records {
    /// `$XDG_STATE_HOME/somacue`, else `~/.local/state/somacue`; nil without either variable.
    public static func stateDirectory() -> String? { Platform.baseDirectory(.state).map { $0 + "/somacue" } }

    public static func historyPath() -> String? { stateDirectory().map { $0 + "/history.jsonl" } }
}

/// How a session ended.
public enum SessionOutcome: String, Sendable, CaseIterable {
    /// It played to the end.
    case completed
    /// `stop`, or replaced by another `start`.
    case stopped
    /// The daemon went away and the session could not be restored (too old, or its files changed),
    /// or a cue failed to decode after some of the session was heard.
    case interrupted
}

/// One finished session.
public struct HistoryEntry: Sendable, Equatable {
    /// Wall-clock start, seconds since the epoch (written as UTC ISO 8601).
    public var start: Int64
    public var session: String
    public var title: String
    public var tempo: Double
    public var voice: String
    /// Seconds of the session that were played.
    public var practised: Double
    public var outcome: SessionOutcome
    /// The exercise it ended in (absent in the opening and closing).
    public var exercise: String?
    public var exerciseTitle: String?
    public var exerciseIndex: Int?
    public var exerciseCount: Int?

    public init(start: Int64, session: String, title: String, tempo: Double, voice: String, practised: Double,
                outcome: SessionOutcome, exercise: String? = nil, exerciseTitle: String? = nil,
                exerciseIndex: Int? = nil, exerciseCount: Int? = nil) {
        self.start = start
        self.session = session
        self.title = title
        self.tempo = tempo
        self.voice = voice
        self.practised = practised
        self.outcome = outcome
        self.exercise = exercise
        self.exerciseTitle = exerciseTitle
        self.exerciseIndex = exerciseIndex
        self.exerciseCount = exerciseCount
    }

    public var json: JSON {
        var o = JSONObject()
        o.set("start", Platform.isoUTC(start))
        o.set("session", session)
        o.set("title", title)
        o.set("tempo", tempo)
        o.set("voice", voice)
        o.set("practised", (practised * 10).rounded() / 10)
        o.set("outcome", outcome.rawValue)
        if let exercise {
            var e = JSONObject()
            e.set("id", exercise)
            e.set("title", exerciseTitle)
            e.set("index", exerciseIndex)
            e.set("count", exerciseCount)
            o.set("exercise", e.json)
        }
        return o.json
    }

    /// Reads one line; the reason when it is not a history entry.
    public static func parse(_ line: some Collection<UInt8>) -> Result<HistoryEntry, HistoryLineError> {
        let value: JSON
        do { value = try parseJSON(line) } catch { return .failure(HistoryLineError(reason: "not JSON: \(error)")) }
        guard case .object = value else { return .failure(HistoryLineError(reason: "not a JSON object")) }
        func string(_ v: JSON?) -> String? { if case .string(let s)? = v { s } else { nil } }
        func number(_ v: JSON?) -> Double? {
            switch v {
            case .int(let i)?: Double(i)
            case .double(let d)?: d
            default: nil
            }
        }
        guard let startText = string(value["start"]), let start = Platform.parseDate(startText) else {
            return .failure(HistoryLineError(reason: "no valid \"start\" time"))
        }
        guard let session = string(value["session"]) else { return .failure(HistoryLineError(reason: "no \"session\"")) }
        guard let outcome = string(value["outcome"]).flatMap(SessionOutcome.init(rawValue:)) else {
            return .failure(HistoryLineError(reason: "no valid \"outcome\""))
        }
        guard let practised = number(value["practised"]), practised.isFinite, practised >= 0 else {
            return .failure(HistoryLineError(reason: "no valid \"practised\" seconds"))
        }
        var entry = HistoryEntry(start: start, session: session, title: string(value["title"]) ?? session,
                                 tempo: number(value["tempo"]) ?? 1, voice: string(value["voice"]) ?? "default",
                                 practised: practised, outcome: outcome)
        if let e = value["exercise"] {
            entry.exercise = string(e["id"])
            entry.exerciseTitle = string(e["title"])
            entry.exerciseIndex = number(e["index"]).flatMap { Int(exactly: $0) }
            entry.exerciseCount = number(e["count"]).flatMap { Int(exactly: $0) }
        }
        return .success(entry)
    }
}

public struct HistoryLineError: Error, Sendable, Equatable {
    public var reason: String
}

public enum HistoryFile {
    /// Appends one entry as one line with a single write(2) on an O_APPEND descriptor, so lines
    /// from two writers never interleave. Creates the folder (0700) and file (0600) if needed.
    public static func append(_ entry: HistoryEntry, to path: String) throws(Platform.IOError) {
        try Platform.makeDirectories(Platform.dirname(path), mode: 0o700)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Platform.IOError(path: path, errno: errno) }
        defer { close(fd) }
        // A line left unterminated by a crash must not swallow this one.
        var st = stat()
        var prefix = ""
        if fstat(fd, &st) == 0, st.st_size > 0 {
            var last: UInt8 = 0
            if pread(fd, &last, 1, st.st_size - 1) == 1, last != 10 { prefix = "\n" }
        }
        let bytes = Array((prefix + entry.json.compact + "\n").utf8)
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw Platform.IOError(path: path, errno: n < 0 ? errno : EIO) }
    }

    /// Every readable entry, and a warning for each damaged line (`path:LINE: ...`).
    public static func read(_ path: String) -> (entries: [HistoryEntry], warnings: [String]) {
        guard let bytes = try? Platform.readBytes(path) else { return ([], []) }
        var entries: [HistoryEntry] = []
        var warnings: [String] = []
        var lineNumber = 0
        for line in bytes.split(separator: 10, omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty || line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            switch HistoryEntry.parse(line) {
            case .success(let entry): entries.append(entry)
            case .failure(let error): warnings.append("\(path):\(lineNumber): skipped a damaged line (\(error.reason))")
            }
        }
        return (entries, warnings)
    }
}
