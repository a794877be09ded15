/// What `LineFramer.nextLine()` hands out.
public enum LineFramerOutput: Sendable, Equatable {
    /// One complete, non-empty line without its `\n` (and without a `\r` before it).
    case line([UInt8])
    /// A line exceeded the limit. Reported once; the framer then stays silent and the caller
    /// should send a `line_too_long` error and close the connection.
    case tooLong
}

/// Splits a byte stream into lines with a bounded line length.
///
/// Bytes are appended to one buffer; consumed lines only move a start index. The consumed prefix
/// is dropped when it is at least half the buffer (or the whole of it), so framing costs time
/// linear in the input however the bytes are split (byte by byte, or 10,000 requests at once).
/// The search for `\n` resumes where the previous one stopped.
///
/// A line's length is counted without its terminator (`\n` or `\r\n`). Empty lines (also
/// `\r\n` alone) are skipped; a line of spaces is handed out (and gets an `invalid_json` reply).
///
/// Call `nextLine()` until it returns nil after every `feed`, so that an over-long line is
/// noticed before more than one read's worth of it is buffered.
public struct LineFramer: Sendable {
    public let maxLineBytes: Int
    private var buffer: [UInt8] = []
    /// First unconsumed byte.
    private var start = 0
    /// Bytes in start..<scanned are known to hold no `\n`.
    private var scanned = 0
    private var failed = false

    public init(maxLineBytes: Int = 4096) {
        precondition(maxLineBytes > 0, "maxLineBytes must be positive")
        self.maxLineBytes = maxLineBytes
    }

    /// Bytes fed but not yet handed out as lines.
    public var bufferedByteCount: Int { buffer.count - start }

    /// True once `.tooLong` was reported; further input is ignored.
    public var hasFailed: Bool { failed }

    public mutating func feed(_ bytes: some Collection<UInt8>) {
        guard !failed else { return }
        if start > 0 {
            if start == buffer.count {
                // Keep a normal read's worth of capacity; give back what a burst needed.
                buffer.removeAll(keepingCapacity: buffer.capacity <= 65_536)
                scanned = 0
                start = 0
            } else if start >= buffer.count - start {
                buffer.removeSubrange(0..<start)
                scanned -= start
                start = 0
            }
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func nextLine() -> LineFramerOutput? {
        while !failed {
            let n = buffer.count
            let from = max(scanned, start)
            let newline: Int? = buffer.withUnsafeBufferPointer { p in
                var k = from
                while k < n {
                    if p[k] == 0x0A { return k }
                    k += 1
                }
                return nil
            }
            guard let nl = newline else {
                scanned = n
                // Without a newline yet, up to maxLineBytes + 1 bytes may be pending when the
                // last one is a `\r` that a `\n` may still follow.
                let pending = n - start
                if pending > maxLineBytes + 1 || (pending == maxLineBytes + 1 && buffer[n - 1] != 0x0D) {
                    return fail()
                }
                return nil
            }
            var end = nl
            if end > start && buffer[end - 1] == 0x0D { end -= 1 }
            if end - start > maxLineBytes { return fail() }
            let lineStart = start
            start = nl + 1
            scanned = start
            if end > lineStart { return .line(Array(buffer[lineStart..<end])) }
        }
        return nil
    }

    /// At end of input: the unterminated last line, if any (with a trailing `\r` removed),
    /// subject to the same limit. Clears the framer.
    public mutating func finish() -> LineFramerOutput? {
        guard !failed else { return nil }
        var end = buffer.count
        if end > start && buffer[end - 1] == 0x0D { end -= 1 }
        let result: LineFramerOutput?
        if end - start > maxLineBytes {
            result = fail()
        } else {
            result = end > start ? .line(Array(buffer[start..<end])) : nil
        }
        buffer = []
        start = 0
        scanned = 0
        return result
    }

    private mutating func fail() -> LineFramerOutput {
        failed = true
        buffer = []
        start = 0
        scanned = 0
        return .tooLong
    }
}
