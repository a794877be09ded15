#if canImport(Glibc)
import Glibc
#endif
import SomacueCore

/// The render kernel's side of the pacing guide (`SomacueCore/Guide.swift` plans it): a
/// wavetable oscillator reading the guide segments of the event table.
///
/// The table is one cycle of a sine, made on the control thread when a mixer state is
/// allocated, before any stream exists; the audio thread only reads it. Each sample is a pure
/// function of the timeline frame (the segment's integer phase formula, the table, the
/// segment's gain line), so any block size, a seek or a table swap gives the same samples as
/// the offline render.
public enum GuideWavetable {
    /// Entries per cycle; the table holds one more, a copy of the first, for interpolation.
    public static let size = 2048
    static let indexShift: UInt64 = 53  // 64 - log2(size)
    static let fractionShift: UInt64 = 29  // the next 24 bits
    static let fractionScale: Float = 1.0 / 16_777_216

    /// Control thread, before the stream starts.
    static func make() -> UnsafeMutablePointer<Float> {
        let table = UnsafeMutablePointer<Float>.allocate(capacity: size + 1)
        for i in 0..<size {
            (table + i).initialize(to: Float(sin(2 * Double.pi * Double(i) / Double(size))))
        }
        (table + size).initialize(to: table[0])
        return table
    }
}

/// Adds the guide for timeline frames [from, from + m) into `guideAcc` at block offset `k0`
/// (mono), and widens the block's touched range to cover what it wrote.
@_noLocks
func guideAccumulate(_ st: UnsafeMutablePointer<MixerState>, from: Int64, frames m: Int, at k0: Int) {
    let segments = st.pointee.table.guide
    let count = st.pointee.table.guideCount
    if count == 0 { return }
    let to = from + Int64(m)
    // The first segment that ends after `from` (segments are sorted and do not overlap).
    var lo = 0
    var hi = count
    while lo < hi {
        let mid = (lo + hi) / 2
        if segments[mid].start + segments[mid].frames <= from { lo = mid + 1 } else { hi = mid }
    }
    let acc = st.pointee.guideAcc
    let table = st.pointee.wavetable
    var i = lo
    while i < count && segments[i].start < to {
        let s = segments[i]
        i += 1
        let first = max(from, s.start)
        let last = min(to, s.start + s.frames)
        if first >= last { continue }
        let kFirst = k0 + Int(first - from)
        let n = Int(last - first)
        st.pointee.touchedFrom = min(st.pointee.touchedFrom, kFirst)
        st.pointee.touchedTo = max(st.pointee.touchedTo, kFirst + n)
        // Phase and increment at the first frame, then the same recurrence frame by frame
        // (exact in modulo-2^64 arithmetic, so equal to the closed form at every frame).
        let t0 = first - s.start
        let u = UInt64(bitPattern: t0)
        let pairs = u & 1 == 0 ? (u >> 1) &* (u &- 1) : u &* ((u &- 1) >> 1)
        var phase = s.phase &+ s.increment &* u &+ s.step &* pairs
        var increment = s.increment &+ s.step &* u
        let slope = (s.gain1 - s.gain0) / Float(s.frames)
        for j in 0..<n {
            let index = Int(truncatingIfNeeded: phase >> GuideWavetable.indexShift)
            let fraction = Float(UInt32(truncatingIfNeeded: (phase >> GuideWavetable.fractionShift) & 0xFF_FFFF))
                * GuideWavetable.fractionScale
            let a = table[index]
            let x = a + (table[index + 1] - a) * fraction
            let gain = s.gain0 + slope * Float(t0 + Int64(j))
            acc[kFirst + j] += x * gain
            phase = phase &+ increment
            increment = increment &+ s.step
        }
    }
}
