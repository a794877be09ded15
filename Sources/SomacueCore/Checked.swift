/// Floating-point to integer conversions that never trap.
///
/// `Int(x)` traps (SIGILL) when `x` is NaN, infinite or outside the integer's range, and a value
/// from a file or a command line can be any of those (`1e19`, `1e300`). Every floating-to-integer
/// conversion in somacue goes through one of these two initializers instead:
///
/// - `Int64(checked: x)` is nil when the value does not fit, so the caller can report it
///   (a diagnostic at file:line:col, or exit status 64 for an argument);
/// - `Int64(saturating: x)` clamps to the type's range (NaN becomes 0), for values that are
///   already validated or only displayed, where "as large as possible" is the right answer.
///
/// Both round with `rule` first (to nearest, halves away from zero, unless told otherwise).
extension FixedWidthInteger {
    @inlinable
    public init?<F: BinaryFloatingPoint>(checked value: F, rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero) {
        // `init?(exactly:)` is nil for NaN, the infinities and anything outside the range.
        self.init(exactly: value.rounded(rule))
    }

    @inlinable
    public init<F: BinaryFloatingPoint>(saturating value: F, rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero) {
        let r = value.rounded(rule)
        if let exact = Self(exactly: r) {
            self = exact
        } else if r.isNaN {
            self = 0
        } else {
            self = r < 0 ? Self.min : Self.max
        }
    }
}
