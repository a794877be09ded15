import Testing
@testable import SomacueCore

/// Floating-to-integer conversions and number formatting are total: a value from a file such as
/// `1e19`, `1e300` or `inf` becomes a diagnostic, never a trap (issue 6, defect 1).
@Suite("Checked conversions")
struct CheckedConversionTests {
    @Test func checkedIsNilOutsideTheRange() {
        #expect(Int64(checked: 1e19) == nil)
        #expect(Int64(checked: -1e19) == nil)
        #expect(Int64(checked: 9_223_372_036_854_775_808.0) == nil)  // 2^63
        #expect(Int64(checked: Double.nan) == nil)
        #expect(Int64(checked: Double.infinity) == nil)
        #expect(Int64(checked: -Double.infinity) == nil)
        #expect(Int32(checked: 3e9) == nil)
        #expect(UInt8(checked: -1.0) == nil)
        #expect(Int16(checked: Float(40_000)) == nil)
    }

    @Test func checkedRoundsInRange() {
        #expect(Int64(checked: 2.5) == 3)
        #expect(Int64(checked: -2.5) == -3)
        #expect(Int64(checked: 2.7, rounding: .down) == 2)
        #expect(Int64(checked: -2.7, rounding: .towardZero) == -2)
        #expect(Int64(checked: -9_223_372_036_854_775_808.0) == Int64.min)
        #expect(Int(checked: 1e15) == 1_000_000_000_000_000)
    }

    @Test func saturatingClampsAndMapsNaNToZero() {
        #expect(Int64(saturating: 1e300) == Int64.max)
        #expect(Int64(saturating: -1e300) == Int64.min)
        #expect(Int64(saturating: Double.infinity) == Int64.max)
        #expect(Int64(saturating: Double.nan) == 0)
        #expect(Int16(saturating: Float(1e9)) == Int16.max)
        #expect(Int16(saturating: Float(-1e9)) == Int16.min)
        #expect(Int16(saturating: Float.nan) == 0)
        #expect(Int16(saturating: Float(-0.6)) == -1)
        #expect(Int(saturating: 41.99, rounding: .down) == 41)
    }

    @Test func formatNumberIsTotal() {
        #expect(formatNumber(1e19) == "1e+19")
        #expect(formatNumber(-1e300) == "-1e+300")
        #expect(formatNumber(1e17) == "1e+17")
        #expect(formatNumber(Double.nan) == "nan")
        #expect(formatNumber(Double.infinity) == "inf")
        #expect(formatNumber(Double.greatestFiniteMagnitude).hasSuffix("e+308"))
        #expect(formatNumber(9.22e18, maxFraction: 9) == "9.22e+18")
        // Ordinary values keep their short forms.
        #expect(formatNumber(1.5) == "1.5")
        #expect(formatNumber(0.25) == "0.25")
        #expect(formatNumber(-0.1) == "-0.1")
        #expect(formatNumber(600) == "600")
        #expect(formatNumber(0.12345) == "0.123")
        #expect(formatNumber(0.0004) == "0")
        #expect(formatNumber(999_999_999_999_999) == "999999999999999")
        #expect(formatNumber(1.5, maxFraction: 40) == "1.5")
    }

    @Test func secondsToFramesNeverTraps() {
        let rate = SampleRate.standard
        #expect(rate.frames(seconds: 1.5) == FrameCount(Int64(72_000)))
        #expect(rate.frames(seconds: 1e300) == FrameCount(Int64.max))
        #expect(rate.frames(seconds: -Double.infinity) == FrameCount(Int64.min))
        #expect(rate.checkedFrames(seconds: 1e17) == nil)
        #expect(rate.checkedFrames(seconds: .nan) == nil)
        #expect(rate.checkedFrames(seconds: 2) == FrameCount(Int64(96_000)))
    }

    /// The exact files of the report: a float where a string belongs, and a gain of 1e300.
    @Test func hugeNumbersInFilesAreDiagnostics() throws {
        let session = try parseTOML("[session]\ntitle = 1e19\nopening = \"a\"\nclosing = \"b\"\n[[step]]\nexercise = \"x\"\n")
        var r = SchemaReader(file: "s.toml")
        _ = readSession(session, reader: &r)
        #expect(r.diagnostics.map(\.description).contains("s.toml:2:9: error: session.title: expected a string, found float 1e+19"))

        let manifest = try parseTOML("[[cue]]\nid = \"x\"\nfile = \"x.wav\"\ntext = \"x\"\ngain = 1e300\n")
        var m = SchemaReader(file: "manifest.toml")
        _ = readManifest(manifest, reader: &m)
        #expect(m.diagnostics.map(\.description) == ["manifest.toml:5:8: error: cue[1].gain: expected a number from 0 to 1.5, found 1e+300"])

        let config = try parseTOML("[audio]\nlatency_ms = -1e300\n[session]\ntempo = inf\n")
        var c = SchemaReader(file: "config.toml")
        _ = readConfig(config, reader: &c)
        #expect(c.diagnostics.count == 2)
        #expect(c.diagnostics.allSatisfy { $0.severity == .error && $0.position != nil })
        #expect(c.diagnostics.contains { $0.message.contains("-1e+300") })
        #expect(c.diagnostics.contains { $0.message.contains("inf") })
    }
}
