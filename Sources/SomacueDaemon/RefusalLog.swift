/// Refused connections of one kind, told at most once per `interval` with how many there were
/// since the previous line, so that a program that connects in a loop cannot flood the journal.
/// The first refusal after a quiet interval is told at once; later ones wait for the next line,
/// which the server writes when `due` comes (so a burst's count is never lost).
struct RefusalLog {
    let interval: Double
    /// Refusals not told yet.
    private(set) var count = 0
    /// What the most recent refusal was about ("from pid 42").
    private var last = ""
    /// No line before this monotonic time.
    private var quietUntil = -Double.infinity

    init(interval: Double = 1) {
        self.interval = interval
    }

    /// Monotonic time at which a line with the refusals counted so far is due, or nil.
    var due: Double? { count > 0 ? quietUntil : nil }

    /// Counts one refusal; returns what to tell now, or nil when it waits for the next line.
    mutating func refused(_ detail: String, now: Double) -> (count: Int, last: String)? {
        count += 1
        last = detail
        return take(now: now)
    }

    /// The refusals counted since the previous line, when a line may be written now.
    mutating func take(now: Double) -> (count: Int, last: String)? {
        guard count > 0, now >= quietUntil else { return nil }
        defer {
            count = 0
            quietUntil = now + interval
        }
        return (count, last)
    }
}
