/// One client's pending output: reply and event lines in the order they are sent, plus how many
/// of the unsent bytes are events. The two kinds have different limits: replies pause reading
/// (back-pressure, never a drop), unread events get a subscriber dropped.
struct OutputQueue {
    private var bytes: [UInt8] = []
    /// First unsent byte.
    private var start = 0
    /// Lengths of consecutive same-kind stretches of the unsent bytes, oldest first; adjacent
    /// stretches of one kind are merged, so this stays short.
    private var runs: [(isEvent: Bool, length: Int)] = []
    private var firstRun = 0

    /// Unsent event bytes.
    private(set) var eventBytes = 0

    var count: Int { bytes.count - start }
    var isEmpty: Bool { start == bytes.count }
    var replyBytes: Int { count - eventBytes }

    /// Appends one line and its "\n".
    mutating func append(line: some Collection<UInt8>, isEvent: Bool) {
        bytes.append(contentsOf: line)
        bytes.append(0x0A)
        let length = line.count + 1
        if isEvent { eventBytes += length }
        if firstRun < runs.count, runs[runs.count - 1].isEvent == isEvent {
            runs[runs.count - 1].length += length
        } else {
            runs.append((isEvent, length))
        }
    }

    /// Calls `body` with the unsent bytes; it returns how many it sent.
    mutating func send(_ body: (UnsafeRawBufferPointer) -> Int) -> Int {
        let sent = bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        if sent > 0 { consume(sent) }
        return sent
    }

    private mutating func consume(_ n: Int) {
        start += n
        var left = n
        while left > 0 {
            let take = min(left, runs[firstRun].length)
            if runs[firstRun].isEvent { eventBytes -= take }
            runs[firstRun].length -= take
            left -= take
            if runs[firstRun].length == 0 { firstRun += 1 }
        }
        if start == bytes.count {
            // Keep a typical reply's worth of capacity; give back what a burst needed, so that
            // an idle daemon stays small.
            bytes.removeAll(keepingCapacity: bytes.capacity <= 16_384)
            start = 0
            runs.removeAll(keepingCapacity: true)
            firstRun = 0
        } else {
            // Amortized: each byte (and run) moves at most once per halving.
            if start >= 65_536 && start >= bytes.count / 2 {
                bytes.removeSubrange(0..<start)
                start = 0
            }
            if firstRun >= 64 && firstRun >= runs.count / 2 {
                runs.removeSubrange(0..<firstRun)
                firstRun = 0
            }
        }
    }

    mutating func removeAll() {
        bytes = []
        start = 0
        runs = []
        firstRun = 0
        eventBytes = 0
    }
}
