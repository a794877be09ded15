/// The pacing guide: a soft tone whose pitch rises through each contraction, stays up through
/// the hold and falls through the release, and a very quiet breath-paced pad in the rests, so a
/// listener with closed eyes can follow the movement's speed and never mistakes a long rest for
/// a stopped player.
///
/// Planned here, on the control side, in whole frames: `planGuide` turns a laid-out timeline
/// into `GuideSegment`s, the plain data the render kernel's oscillator reads
/// (`SomacueAudio/GuideOscillator.swift`). Pure: no clock, no C, no allocation on the audio
/// thread.

/// What the guide plays between movements (position, rests, side switches, integration rests
/// and the opening).
public enum GuideRests: String, Sendable, CaseIterable {
    /// The guide's low pitch at `pad_volume`, swelling and fading at a slow breathing pace.
    case pad
    /// The guide's low pitch held steady at `pad_volume`.
    case tone
    /// Nothing: the guide sounds only during contract, hold and release.
    case off
}

/// The guide's settings: `[guide]` in the config, `[session.guide]` in a session file.
public struct GuideSettings: Sendable, Equatable {
    public var enabled = true
    /// Peak gain of the tone during contract, hold and release (linear, before the master
    /// volume): 0.04 is about -29 LUFS, well under the voices' -18.
    public var volume = 0.04
    /// Peak gain of the pad (or steady tone) between movements.
    public var padVolume = 0.01
    /// Pitch at rest and at the start of a contraction, and at the top of it.
    public var lowHz = 220.0
    public var highHz = 330.0
    public var rests = GuideRests.pad

    public init() {}

    public static let volumeRange: ClosedRange<Double> = 0...1
    public static let pitchRange: ClosedRange<Double> = 50...2000
}

/// A session file's `[session.guide]`: only the keys it gives override the config's.
public struct GuideOverrides: Sendable, Equatable {
    public var enabled: Bool?
    public var volume: Double?
    public var padVolume: Double?
    public var lowHz: Double?
    public var highHz: Double?
    public var rests: GuideRests?

    public init() {}

    public var isEmpty: Bool { self == GuideOverrides() }

    public func applied(to base: GuideSettings) -> GuideSettings {
        var g = base
        if let enabled { g.enabled = enabled }
        if let volume { g.volume = volume }
        if let padVolume { g.padVolume = padVolume }
        if let lowHz { g.lowHz = lowHz }
        if let highHz { g.highHz = highHz }
        if let rests { g.rests = rests }
        return g
    }
}

/// Reads a `[guide]` table (config) or `[session.guide]` (session); every problem is reported
/// at its position.
public func readGuide(_ t: TOMLTable, reader r: inout SchemaReader, path: String) -> GuideOverrides {
    r.rejectUnknownKeys(in: t, path: path, known: ["enabled", "volume", "pad_volume", "low_hz", "high_hz", "rests"])
    var g = GuideOverrides()
    g.enabled = r.bool(t, "enabled", path: path)
    g.volume = r.number(t, "volume", path: path, range: GuideSettings.volumeRange)
    g.padVolume = r.number(t, "pad_volume", path: path, range: GuideSettings.volumeRange)
    g.lowHz = r.number(t, "low_hz", path: path, range: GuideSettings.pitchRange, unit: "Hz")
    g.highHz = r.number(t, "high_hz", path: path, range: GuideSettings.pitchRange, unit: "Hz")
    g.rests = r.choice(t, "rests", path: path, options: GuideRests.allCases.map(\.rawValue)).flatMap(GuideRests.init)
    if let low = g.lowHz, let high = g.highHz, low >= high {
        r.error("\(path).high_hz: the top of the guide's pitch (\(formatNumber(high)) Hz) must be above low_hz (\(formatNumber(low)) Hz)",
                at: t["high_hz"]?.position)
        g.highHz = nil
    }
    return g
}

/// One stretch of the guide for the render kernel: timeline frames [start, start + frames), a
/// tone whose phase (in 2^-64 cycles) at frame `start + t` is
/// `phase + increment * t + step * t * (t - 1) / 2` (all modulo 2^64), so its frequency moves
/// linearly by `step` per frame, and a gain moving linearly from `gain0` towards `gain1`
/// (gain0 + ((gain1 - gain0) / frames) * t, in Float). The phase is integer and the gain a
/// function of `t` alone, so the kernel computes the same sample for a frame whatever block it
/// falls in: live play equals the render bit for bit.
public struct GuideSegment: Sendable, Hashable {
    public var start: Int64
    public var frames: Int64
    public var phase: UInt64
    public var increment: UInt64
    /// Change of `increment` per frame, as the bit pattern of a signed value.
    public var step: UInt64
    public var gain0: Float
    public var gain1: Float
    public var end: Int64 { start + frames }

    public init(start: Int64, frames: Int64, phase: UInt64, increment: UInt64, step: UInt64, gain0: Float, gain1: Float) {
        self.start = start
        self.frames = frames
        self.phase = phase
        self.increment = increment
        self.step = step
        self.gain0 = gain0
        self.gain1 = gain1
    }

    /// The phase `t` frames into the segment (any t >= 0; exact modulo 2^64).
    @inlinable
    public func phase(at t: Int64) -> UInt64 {
        let u = UInt64(bitPattern: t)
        // t * (t - 1) / 2 without overflow trouble: halve the even factor first.
        let pairs = u & 1 == 0 ? (u >> 1) &* (u &- 1) : u &* ((u &- 1) >> 1)
        return phase &+ increment &* u &+ step &* pairs
    }

    /// The increment `t` frames into the segment.
    @inlinable
    public func increment(at t: Int64) -> UInt64 { increment &+ step &* UInt64(bitPattern: t) }
}

/// Fixed timings of the guide.
public enum GuideTuning {
    /// Gain ramps where the guide's level changes between phases.
    public static let rampSeconds = 0.25
    /// One breath of the pad: it swells for 40% of it and fades for the rest (6 a minute).
    public static let breathSeconds = 10.0
    /// The pad's quietest point, as a share of `pad_volume`.
    public static let breathFloor = 0.4
    /// Fade-in of the pad at the first words of the session.
    public static let openingFadeSeconds = 2.0
}

/// The guide for `timeline`: sorted, non-overlapping segments, empty when the guide is off.
///
/// Every phase of the timeline is planned on its own: its tone starts at phase 0 and is tuned
/// (by well under a semitone) to a whole number of cycles, so it ends at phase 0 too, and its
/// level at each end depends only on the kinds of the phases that meet there. Phases join
/// without a jump in phase or level (no click), and a phase sounds the same wherever it lies:
/// after a live tempo change, the rest of the session sounds exactly as a render at the new
/// tempo.
public func planGuide(_ timeline: Timeline, settings g: GuideSettings) -> [GuideSegment] {
    guard g.enabled, g.volume > 0 || (g.padVolume > 0 && g.rests != .off) else { return [] }
    let rate = timeline.sampleRate
    let segments = timeline.segments
    // The opening is guided from its first spoken words.
    let openingStart = timeline.events.first { $0.phase == .opening && $0.kind == .voice }?.frame.value

    enum Kind { case none, movement, between }
    func kind(_ s: Segment) -> Kind {
        switch s.phase {
        case .contract, .hold, .release: return g.volume > 0 ? .movement : .none
        case .closing: return .none
        case .opening: return openingStart != nil && g.rests != .off && g.padVolume > 0 ? .between : .none
        case .position, .rest, .switch, .integrate: return g.rests != .off && g.padVolume > 0 ? .between : .none
        }
    }
    let quietest = g.rests == .pad ? g.padVolume * GuideTuning.breathFloor : g.padVolume
    func edge(_ k: Kind) -> Double {
        switch k {
        case .none: return 0
        case .movement: return g.volume
        case .between: return quietest
        }
    }
    let ramp = rate.frames(seconds: GuideTuning.rampSeconds).value

    var out: [GuideSegment] = []
    for (i, s) in segments.enumerated() {
        let k = kind(s)
        if k == .none { continue }
        var start = s.frame.value
        let end = s.end.value
        var entry = i > 0 ? min(edge(k), edge(kind(segments[i - 1]))) : 0
        if s.phase == .opening, let first = openingStart {
            start = max(start, min(first, end))
            entry = 0
        }
        let exit = i + 1 < segments.count ? min(edge(k), edge(kind(segments[i + 1]))) : 0
        let length = end - start
        if length <= 0 { continue }

        let (f0, f1): (Double, Double)
        switch s.phase {
        case .contract: (f0, f1) = (g.lowHz, g.highHz)
        case .hold: (f0, f1) = (g.highHz, g.highHz)
        case .release: (f0, f1) = (g.highHz, g.lowHz)
        default: (f0, f1) = (g.lowHz, g.lowHz)
        }
        guard let osc = wholeCycles(from: f0, to: f1, frames: length, rate: rate) else { continue }

        // The level as points (frame in the phase, gain), joined by straight lines.
        var points: [(Int64, Double)] = [(0, entry)]
        switch k {
        case .movement:
            let r = min(ramp, length / 4)
            points += [(r, g.volume), (length - r, g.volume)]
        case .between where g.rests == .pad:
            let fade = s.phase == .opening ? rate.frames(seconds: GuideTuning.openingFadeSeconds).value : 0
            let breath = rate.frames(seconds: GuideTuning.breathSeconds).value
            let n = max(1, (length + breath / 2) / breath)
            for b in 0..<n {
                let from = length * b / n, to = length * (b + 1) / n
                // Each breath starts at its quietest; the first starts from the entry level.
                if b > 0 { points.append((from, quietest)) }
                let peak = from + (to - from) * 2 / 5
                points.append((max(peak, min(fade, length / 2)), g.padVolume))
            }
            // The last breath fades to the exit level.
        default:
            let r = min(ramp, length / 4)
            points += [(r, g.padVolume), (length - r, g.padVolume)]
        }
        points.append((length, exit))

        for (p, q) in zip(points, points.dropFirst()) where q.0 > p.0 && (p.1 > 0 || q.1 > 0) {
            out.append(GuideSegment(start: start + p.0, frames: q.0 - p.0,
                                    phase: osc.phase(at: p.0), increment: osc.increment(at: p.0), step: osc.step,
                                    gain0: Float(p.1), gain1: Float(q.1)))
        }
    }
    return out
}

/// A tone gliding from `f0` to `f1` Hz over `frames`, retuned to a whole number of cycles so
/// that it ends where it began (phase 0, within `frames` 2^-64ths of a cycle). Nil when the
/// frequencies are not below half the sample rate.
func wholeCycles(from f0: Double, to f1: Double, frames: Int64, rate: SampleRate) -> GuideSegment? {
    let hz = Double(rate.hz)
    let length = Double(frames)
    // Cycles of the discrete glide: sum over t < frames of (f0 + (f1 - f0) t / frames) / rate.
    let cycles = (f0 * length + (f1 - f0) * (length - 1) / 2) / hz
    guard cycles > 0, f0 < hz / 2, f1 < hz / 2 else { return nil }
    let scale = max(1, cycles.rounded()) / cycles
    let a = f0 * scale / hz, b = f1 * scale / hz
    guard a < 0.5, b < 0.5, let increment = UInt64(checked: a * 0x1p64),
          let step = Int64(checked: (b - a) * 0x1p64 / length) else { return nil }
    var osc = GuideSegment(start: 0, frames: frames, phase: 0, increment: increment,
                           step: UInt64(bitPattern: step), gain0: 0, gain1: 0)
    // Take what is left of a cycle at the end off the increment (a shift of at most half a
    // cycle over the whole phase, a few parts per million in pitch).
    let left = Int64(bitPattern: osc.phase(at: frames))
    osc.increment = osc.increment &- UInt64(bitPattern: left / frames)
    return osc
}
