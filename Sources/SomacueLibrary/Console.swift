import SomacuePlatform
import Synchronization

/// Where the listing verbs and library warnings print: straight to stdout and stderr, or, inside
/// `Console.capturing`, into a `CommandOutput` that is written later (or dropped).
///
/// `somacue` answers the listing verbs itself when every cue header it needs is cached; it
/// learns that only at the end, and then either writes what it captured or hands the command to
/// somacued, which prints everything itself. Capturing is for that single-threaded use: while a
/// capture is open, every thread's `Console` output goes into it.
public enum Console {
    private static let capture = Mutex<CommandOutput?>(nil)

    /// `text` on stdout, as it is.
    public static func out(_ text: String) {
        let kept = capture.withLock { c -> Bool in
            guard c != nil else { return false }
            c!.append(.stdout, text)
            return true
        }
        if !kept { Platform.writeStdout(text) }
    }

    /// `line` on stderr, with a newline after it unless it ends in one (`Platform.writeStderr`).
    public static func err(_ line: String) {
        let text = line.hasSuffix("\n") ? line : line + "\n"
        let kept = capture.withLock { c -> Bool in
            guard c != nil else { return false }
            c!.append(.stderr, text)
            return true
        }
        if !kept { Platform.writeStderr(text) }
    }

    /// Runs `body` (which returns the exit status) with everything it prints through `Console`
    /// kept, in order, rather than written.
    public static func capturing(_ body: () -> Int32) -> CommandOutput {
        capture.withLock { $0 = CommandOutput() }
        let status = body()
        var out = capture.withLock { c -> CommandOutput in
            defer { c = nil }
            return c!
        }
        out.status = status
        return out
    }
}

/// A command's output, in the order it was printed, and its exit status.
public struct CommandOutput: Sendable {
    public enum Stream: Sendable { case stdout, stderr }
    public private(set) var chunks: [(Stream, String)] = []
    public var status: Int32 = 0

    public init() {}

    mutating func append(_ stream: Stream, _ text: String) {
        chunks.append((stream, text))
    }

    /// The text written to one stream.
    public func text(_ stream: Stream) -> String {
        chunks.filter { $0.0 == stream }.map(\.1).joined()
    }

    /// Writes every chunk to its stream, in order.
    public func write() {
        for (stream, text) in chunks {
            if stream == .stdout { Platform.writeStdout(text) } else { Platform.writeStderr(text) }
        }
    }
}
