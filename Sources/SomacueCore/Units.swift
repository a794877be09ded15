/// A number of audio frames, or a frame position counted from the start of a timeline.
///
/// Timeline arithmetic is done in whole frames only (an hour at 48 kHz is about 1.7e8 frames,
/// so `Int64`); seconds appear only at the edges, when reading files or printing.
public struct FrameCount: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: Int64
    @inlinable public init(_ value: Int64) { self.value = value }
    @inlinable public init(_ value: Int) { self.value = Int64(value) }
    public static let zero = FrameCount(Int64(0))

    @inlinable public static func + (a: FrameCount, b: FrameCount) -> FrameCount { FrameCount(a.value + b.value) }
    @inlinable public static func - (a: FrameCount, b: FrameCount) -> FrameCount { FrameCount(a.value - b.value) }
    @inlinable public static func += (a: inout FrameCount, b: FrameCount) { a.value += b.value }
    @inlinable public static func < (a: FrameCount, b: FrameCount) -> Bool { a.value < b.value }
    @inlinable public var int: Int { Int(value) }
    public var description: String { value.description }
}

/// An audio sample rate in frames per second.
public struct SampleRate: Hashable, Sendable, CustomStringConvertible {
    public var hz: Int
    @inlinable public init(_ hz: Int) { self.hz = hz }
    public static let standard = SampleRate(48_000)
    /// Accepted range for cue files and output devices.
    public static let supported: ClosedRange<Int> = 8_000...192_000

    /// Converts seconds to frames, rounding to the nearest frame. Only used at the edges
    /// (file values, command-line flags, all range-checked before); everything after works in
    /// frames. Total: a value beyond `Int64` saturates instead of trapping (`checkedFrames` says
    /// nil instead).
    @inlinable public func frames(seconds: Double) -> FrameCount {
        FrameCount(Int64(saturating: seconds * Double(hz)))
    }
    /// `frames(seconds:)`, or nil when the result is not a finite number of frames within `Int64`.
    @inlinable public func checkedFrames(seconds: Double) -> FrameCount? {
        Int64(checked: seconds * Double(hz)).map(FrameCount.init)
    }
    /// Seconds for display and for the JSON outputs.
    @inlinable public func seconds(_ frames: FrameCount) -> Double { Double(frames.value) / Double(hz) }

    /// Length of `sourceFrames` at `sourceRate` once converted to this rate:
    /// floor(source frames x output rate / source rate).
    @inlinable public func convertedLength(sourceFrames: Int64, sourceRate: SampleRate) -> FrameCount {
        FrameCount(sourceFrames * Int64(hz) / Int64(sourceRate.hz))
    }
    public var description: String { "\(hz) Hz" }
}

/// Playback speed multiplier: 1.0 the default pace, 0.5 twice as slow, 2.0 twice as fast.
public struct Tempo: Hashable, Sendable, CustomStringConvertible {
    public let value: Double
    public static let range: ClosedRange<Double> = 0.25...2.0
    public static let normal = Tempo(unchecked: 1.0)
    /// Returns nil outside `Tempo.range`.
    public init?(_ value: Double) {
        guard value.isFinite, Tempo.range.contains(value) else { return nil }
        self.value = value
    }
    init(unchecked value: Double) { self.value = value }
    public var description: String { formatNumber(value) }
}

/// Cue identifier as written in manifests and timelines (e.g. `arch-and-flatten.contract`).
public struct CueID: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public static func < (a: CueID, b: CueID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { rawValue }
}

/// Formats a Double without Foundation: integral values without a fraction, others with up to
/// `maxFraction` digits (at most 9), trailing zeros removed. Total: NaN, the infinities and
/// magnitudes of 1e15 and more (which a file may hold, e.g. `gain = 1e300`) come out in Swift's
/// shortest form ("1e+300", "inf", "nan").
public func formatNumber(_ x: Double, maxFraction: Int = 3) -> String {
    let places = min(max(maxFraction, 0), 9)
    var scale: Int64 = 1
    for _ in 0..<places { scale *= 10 }
    guard x.isFinite, abs(x) < 1e15 else { return x.description }
    if x == x.rounded(), let whole = Int64(checked: x) { return String(whole) }
    // Beyond 2^53 the scaled value is no longer exact: Swift's shortest form is the honest one.
    guard let scaled = Int64(checked: abs(x) * Double(scale)), scaled < 1 << 53 else { return x.description }
    let whole = scaled / scale
    var frac = scaled % scale
    var s = (x < 0 && scaled != 0 ? "-" : "") + String(whole)
    if frac != 0 {
        var digits = String(frac)
        while digits.count < places { digits = "0" + digits }
        while digits.hasSuffix("0") { digits.removeLast(); frac /= 10 }
        s += "." + digits
    }
    return s
}
