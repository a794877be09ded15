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
/// (mono), and widens the block's guide range (`guideFrom`, `guideTo`) to cover what it wrote.
/// Frames at or past the table's end are left out: the mix silences them anyway, so the guide
/// range only ever holds audible frames (`mixGuide` relies on it).
@_noLocks
func guideAccumulate(_ st: UnsafeMutablePointer<MixerState>, from: Int64, frames m: Int, at k0: Int) {
    let segments = st.pointee.table.guide
    let count = st.pointee.table.guideCount
    if count == 0 { return }
    let to = min(from + Int64(m), st.pointee.table.totalFrames)
    if to <= from { return }
    // The first segment that ends after `from` (segments are sorted and do not overlap).
    var lo = 0
    var hi = count
    while lo < hi {
        let mid = (lo + hi) / 2
        if segments[mid].start + segments[mid].frames <= from { lo = mid + 1 } else { hi = mid }
    }
    let acc = st.pointee.guideAcc
    let table = UnsafePointer(st.pointee.wavetable)
    var i = lo
    while i < count && segments[i].start < to {
        let s = segments[i]
        i += 1
        let first = max(from, s.start)
        let last = min(to, s.start + s.frames)
        if first >= last { continue }
        let kFirst = k0 + Int(first - from)
        let n = Int(last - first)
        st.pointee.guideFrom = min(st.pointee.guideFrom, kFirst)
        st.pointee.guideTo = max(st.pointee.guideTo, kFirst + n)
        guideRun(s, from: first - s.start, frames: n, into: acc + kFirst, table: table)
    }
}

/// Segment `s`'s frames [t0, t0 + n) (segment-relative) added into `dst[0..<n]`.
///
/// Every sample is the closed form of the segment at its frame, computed with the same
/// operations in the same order whichever path takes it: four frames at a time while the
/// segment is short enough for its frame offsets to fit an Int32 (the phase of each lane moves
/// on by four frames with the exact modulo-2^64 recurrence), then one at a time.
@_noLocks
@inline(__always)
func guideRun(_ s: GuideSegment, from t0: Int64, frames n: Int, into dst: UnsafeMutablePointer<Float>,
              table: UnsafePointer<Float>) {
    let slope = (s.gain1 - s.gain0) / Float(s.frames)
    var j = 0
    if n >= 4 && s.frames <= Int64(Int32.max) {
        // Lane l holds frame t0 + j + l: its phase and increment, and its frame offset.
        var phase = SIMD4<UInt64>(s.phase(at: t0), s.phase(at: t0 + 1), s.phase(at: t0 + 2), s.phase(at: t0 + 3))
        var increment = SIMD4<UInt64>(s.increment(at: t0), s.increment(at: t0 + 1), s.increment(at: t0 + 2),
                                      s.increment(at: t0 + 3))
        // Four frames on: phase + 4 increment + 6 step, increment + 4 step.
        let jump = s.step &* 6
        let step4 = s.step &* 4
        let t32 = Int32(truncatingIfNeeded: t0)
        var t = SIMD4<Int32>(t32, t32 &+ 1, t32 &+ 2, t32 &+ 3)
        let gain0 = SIMD4<Float>(repeating: s.gain0)
        let slopes = SIMD4<Float>(repeating: slope)
        while j + 4 <= n {
            let index = phase &>> GuideWavetable.indexShift
            let bits = SIMD4<Int32>(truncatingIfNeeded: (phase &>> GuideWavetable.fractionShift) & 0xFF_FFFF)
            let fraction = SIMD4<Float>(bits) * GuideWavetable.fractionScale
            let i0 = Int(truncatingIfNeeded: index[0]), i1 = Int(truncatingIfNeeded: index[1])
            let i2 = Int(truncatingIfNeeded: index[2]), i3 = Int(truncatingIfNeeded: index[3])
            let a = SIMD4<Float>(table[i0], table[i1], table[i2], table[i3])
            let b = SIMD4<Float>(table[i0 + 1], table[i1 + 1], table[i2 + 1], table[i3 + 1])
            let x = a + (b - a) * fraction
            let gain = gain0 + slopes * SIMD4<Float>(t)
            let p = UnsafeMutableRawPointer(dst + j)
            p.storeBytes(of: p.loadUnaligned(as: SIMD4<Float>.self) + x * gain, as: SIMD4<Float>.self)
            phase = phase &+ (increment &<< 2) &+ jump
            increment = increment &+ step4
            t = t &+ 4
            j += 4
        }
    }
    if j == n { return }
    // The rest frame by frame: phase and increment at the first, then the same recurrence
    // (exact in modulo-2^64 arithmetic, so equal to the closed form at every frame).
    let first = t0 + Int64(j)
    var phase = s.phase(at: first)
    var increment = s.increment(at: first)
    while j < n {
        let index = Int(truncatingIfNeeded: phase >> GuideWavetable.indexShift)
        let fraction = Float(UInt32(truncatingIfNeeded: (phase >> GuideWavetable.fractionShift) & 0xFF_FFFF))
            * GuideWavetable.fractionScale
        let a = table[index]
        let x = a + (table[index + 1] - a) * fraction
        let gain = s.gain0 + slope * Float(t0 + Int64(j))
        dst[j] += x * gain
        phase = phase &+ increment
        increment = increment &+ s.step
        j += 1
    }
}
