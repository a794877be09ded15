import SomacueAudio
import SomacueCore
import SomacueLibrary

// When the control thread next needs to look at a playing session. The tick turns the kernel's
// position into `phase`, `cue` and `finished` events, closes the stream after the last sound and
// notices a lost device; between those moments there is nothing to do. Instead of a fixed 20 ms
// timer (50 wakeups a second for the whole session), the tick is due when the next timeline
// event, phase start or the session's end is reached, and at least every `maxTickMs` for the
// device check and systemd's STATUS= progress line.
extension LivePlayer {
    /// Shortest wait between ticks: a little under one period, so an event is reported at most
    /// one callback after the kernel rendered it.
    static let minTickMs = 20
    /// Longest wait: how late a lost device may be noticed, and how often STATUS= can move.
    static let maxTickMs = 250

    /// Milliseconds until the next tick of an active session (not waiting for its device).
    func activeTickMs(_ a: Active) -> Int {
        let rate = a.timeline.sampleRate
        // A note from the audio thread is awaited (a seek): look again soon.
        if a.pendingSeek != nil { return Self.minTickMs }
        if let close = a.closeAfterOutput {
            let out = a.mixer.pointee.outputPosition.load(ordering: .acquiring)
            return Self.clampTick(frames: close - out, rate: rate)
        }
        guard state == .playing else { return Self.maxTickMs }
        let t = a.timeline
        let pos = a.mixer.pointee.position.load(ordering: .acquiring)
        var next = t.frames.value
        if a.nextEvent < t.events.count { next = min(next, t.events[a.nextEvent].frame.value) }
        // The segment after the one last reported (the usual case), else a search.
        let hint = a.lastSegment + 1
        if hint > 0, hint < t.segments.count, t.segments[hint].frame.value > pos, t.segments[hint - 1].frame.value <= pos {
            next = min(next, t.segments[hint].frame.value)
        } else if let seg = t.segments.first(where: { $0.frame.value > pos }) {
            next = min(next, seg.frame.value)
        }
        return Self.clampTick(frames: next - pos, rate: rate)
    }

    /// How far past the kernel's position a new event table must start to take effect in time:
    /// a callback renders a whole period, and one may run between reading the position and the
    /// table's arrival at the next.
    func swapMargin(_ rate: SampleRate) -> FrameCount {
        let period = Int64(OutputBuffering(latencyMs: config.latencyMs, sampleRate: rate).periodFrames)
        return rate.frames(seconds: 0.1) + FrameCount(2 * period)
    }

    /// `frames` of output as milliseconds, rounded up, within `minTickMs...maxTickMs`.
    static func clampTick(frames: Int64, rate: SampleRate) -> Int {
        guard frames > 0 else { return minTickMs }
        // Past the longest wait the exact value does not matter (and frames x 1000 could overflow).
        guard frames <= Int64(rate.hz) * Int64(maxTickMs) / 1000 else { return maxTickMs }
        let ms = (frames * 1000 + Int64(rate.hz) - 1) / Int64(rate.hz)
        return Int(min(max(ms, Int64(minTickMs)), Int64(maxTickMs)))
    }
}
