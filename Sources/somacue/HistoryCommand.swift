import ArgumentParser
import SomacueCore
import SomacuePlatform
import SomacueRecords

// `somacue history`: the sessions the daemon recorded in $XDG_STATE_HOME/somacue/history.jsonl,
// read here without asking the daemon (it works while none runs).

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the sessions you practised, with the total time this week.",
        discussion: """
            Reads $XDG_STATE_HOME/somacue/history.jsonl (default ~/.local/state/somacue), where \
            somacued adds a line whenever a session ends. A damaged line is skipped with a warning.
            """)
    @Flag(help: "Print the entries as a JSON array.") var json = false
    @Option(help: ArgumentHelp("Only sessions started on or after DATE (YYYY-MM-DD, local time; or YYYY-MM-DDTHH:MM:SSZ).", valueName: "date"))
    var since: String?

    func validate() throws {
        if let since, Platform.parseDate(since, localDateOK: true) == nil {
            throw ValidationError("--since takes a date such as 2026-12-01 (or 2026-12-01T18:30:00Z), not \"\(since)\"")
        }
    }

    func run() {
        guard let path = Records.historyPath() else {
            Platform.writeStderr("somacue: neither XDG_STATE_HOME nor HOME is set, so there is no history to read")
            Platform.exit(ExitStatus.usage)
        }
        let (all, warnings) = HistoryFile.read(path)
        for w in warnings { Platform.writeStderr("somacue: warning: " + w) }
        let from = since.flatMap { Platform.parseDate($0, localDateOK: true) } ?? Int64.min
        let shown = all.filter { $0.start >= from }
        if json {
            Platform.writeStdout(JSON.array(shown.map(\.json)).pretty + "\n")
            Platform.exit(ExitStatus.ok)
        }
        if all.isEmpty {
            Platform.writeStdout("No sessions recorded yet (\(path)).\n")
            Platform.exit(ExitStatus.ok)
        }
        var rows = [["STARTED", "SESSION", "PRACTISED", "ENDED"]]
        for e in shown {
            var ended = e.outcome.rawValue
            if e.outcome != .completed, let title = e.exerciseTitle {
                ended += " in " + title + (e.exerciseIndex.flatMap { i in e.exerciseCount.map { " (\(i)/\($0))" } } ?? "")
            }
            rows.append([Platform.localMinute(e.start), e.title, Human.clock(e.practised), ended])
        }
        var out = shown.isEmpty ? "No sessions since \(since ?? "then").\n" : table(rows)
        let weekStart = Platform.startOfLocalWeek(Platform.wallClock())
        let week = all.filter { $0.start >= weekStart }
        let total = week.reduce(0) { $0 + $1.practised }
        out += "This week: \(Human.clock(total)) in \(week.count) session\(week.count == 1 ? "" : "s").\n"
        Platform.writeStdout(out)
        Platform.exit(ExitStatus.ok)
    }

    func table(_ rows: [[String]]) -> String {
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.map { row in
            row.enumerated().map { i, c in i == row.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count + 2) }.joined()
        }.joined(separator: "\n") + "\n"
    }
}
