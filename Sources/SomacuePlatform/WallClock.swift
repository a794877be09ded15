#if canImport(Glibc)
import Glibc
#endif

// Wall-clock time for records people read (history, saved state): whole seconds since the
// epoch, written as UTC ISO 8601 and shown in local time. Audio never uses any of this.

extension Platform {
    /// Seconds since 1970-01-01 UTC.
    public static func wallClock() -> Int64 { Int64(time(nil)) }

    /// `2026-12-02T01:40:05Z`.
    public static func isoUTC(_ seconds: Int64) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return "\(four(parts.tm_year + 1900))-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// `2026-12-02 02:40` in local time.
    public static func localMinute(_ seconds: Int64) -> String {
        var t = time_t(seconds)
        var parts = tm()
        localtime_r(&t, &parts)
        return "\(four(parts.tm_year + 1900))-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min))"
    }

    /// Reads `YYYY-MM-DDTHH:MM:SSZ` (UTC) or, with `localDateOK`, a bare `YYYY-MM-DD` (local
    /// midnight). Nil for anything else, including impossible dates.
    public static func parseDate(_ text: String, localDateOK: Bool = false) -> Int64? {
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int32? {
            guard from + count <= b.count else { return nil }
            var v: Int32 = 0
            for c in b[from..<(from + count)] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int32(c - 48)
            }
            return v
        }
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let year = num(0, 4), let month = num(5, 2), let day = num(8, 2),
              (1...12).contains(month), (1...31).contains(day), year >= 1970 else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        if b.count == 10 {
            guard localDateOK else { return nil }
            parts.tm_isdst = -1
            let t = mktime(&parts)
            guard t != -1, parts.tm_mday == day else { return nil }
            return Int64(t)
        }
        guard b.count == 20, b[10] == UInt8(ascii: "T"), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              b[19] == UInt8(ascii: "Z"), let h = num(11, 2), let m = num(14, 2), let s = num(17, 2),
              h < 24, m < 60, s < 61 else { return nil }
        parts.tm_hour = h
        parts.tm_min = m
        parts.tm_sec = s
        let t = timegm(&parts)
        guard t != -1, parts.tm_mday == day else { return nil }
        return Int64(t)
    }

    /// Local midnight at the start of this week (Monday).
    public static func startOfLocalWeek(_ now: Int64) -> Int64 {
        var t = time_t(now)
        var parts = tm()
        localtime_r(&t, &parts)
        let sinceMonday = (parts.tm_wday + 6) % 7
        parts.tm_mday -= sinceMonday
        parts.tm_hour = 0
        parts.tm_min = 0
        parts.tm_sec = 0
        parts.tm_isdst = -1
        return Int64(mktime(&parts))
    }

    private static func two(_ x: Int32) -> String { x < 10 ? "0\(x)" : "\(x)" }
    private static func four(_ x: Int32) -> String { String(repeating: "0", count: max(0, 4 - String(x).count)) + String(x) }
}
