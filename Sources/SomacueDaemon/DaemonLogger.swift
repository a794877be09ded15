#if canImport(Glibc)
import Glibc
#endif
import SomacuePlatform
import Synchronization

/// Log lines on stderr. Under systemd (`JOURNAL_STREAM` set) each line starts with the kernel
/// style priority `<N>` that journald turns into the entry's priority; on a terminal or in a
/// file each line starts with `somacued: ` instead. What libraries print on stderr reaches the
/// log through `StderrRelay`, with the same prefixes.
public final class DaemonLogger {
    /// syslog priorities; a smaller value is more severe.
    public enum Level: Int, Sendable, CaseIterable, Comparable {
        case error = 3, warning = 4, notice = 5, info = 6, debug = 7

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        /// `error`, `warning`, `notice`, `info` or `debug` (for a `--log-level` option).
        public init?(name: String) {
            switch name.lowercased() {
            case "error", "err": self = .error
            case "warning", "warn": self = .warning
            case "notice": self = .notice
            case "info": self = .info
            case "debug": self = .debug
            default: return nil
            }
        }
    }

    /// Messages less severe than this are dropped.
    public var minimumLevel: Level
    /// Whether lines carry journald priority prefixes.
    public let journal: Bool
    private let sink: (String) -> Void

    /// `sink` receives whole formatted lines (each ending in "\n"); by default they go to stderr.
    public init(minimumLevel: Level = .info, journal: Bool = DaemonLogger.stderrIsJournal(),
                sink: ((String) -> Void)? = nil) {
        self.minimumLevel = minimumLevel
        self.journal = journal
        self.sink = sink ?? DaemonLogger.writeToStderr
    }

    /// True when `JOURNAL_STREAM` is set and names stderr ("device:inode", systemd.exec(5)).
    /// Comparing the two matters because the variable is inherited: a daemon that a unit's
    /// child started with stderr redirected to a file must not write `<N>` prefixes there.
    public static func stderrIsJournal(_ value: String? = Platform.env("JOURNAL_STREAM")) -> Bool {
        guard let value else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode
    }

    public func isEnabled(_ level: Level) -> Bool { level <= minimumLevel }

    public func log(_ level: Level, _ message: @autoclosure () -> String) {
        guard isEnabled(level) else { return }
        sink(format(level, message()))
    }

    public func error(_ message: @autoclosure () -> String) { log(.error, message()) }
    public func warning(_ message: @autoclosure () -> String) { log(.warning, message()) }
    public func notice(_ message: @autoclosure () -> String) { log(.notice, message()) }
    public func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    public func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }

    /// The text written for one message: every line prefixed (journald reads the priority per
    /// line, so a multi-line diagnostic keeps its priority), each ending in "\n".
    public func format(_ level: Level, _ message: String) -> String {
        let prefix = journal ? "<\(level.rawValue)>" : "somacued: "
        var out = ""
        for line in message.split(separator: "\n", omittingEmptySubsequences: false) {
            out += prefix
            out += line
            out += "\n"
        }
        return out
    }

    /// One write(2) per message so that lines from the daemon and a library do not interleave
    /// mid-line. Goes to the original stderr also while a `StderrRelay` holds fd 2.
    private static func writeToStderr(_ text: String) {
        var text = text
        let fd = daemonLogDescriptor.load(ordering: .acquiring)
        text.withUTF8 { buffer in
            guard var p = buffer.baseAddress else { return }
            var left = buffer.count
            while left > 0 {
                let n = write(fd, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    return  // nowhere left to report it
                }
                p += n
                left -= n
            }
        }
    }
}
