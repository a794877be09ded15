import SomacueCore
import SomacueLibrary

/// Why the rest of a session could not be laid out at another tempo.
public enum RetimeFailure: Error, Sendable {
    /// No phase ends after the position: the session is ending.
    case ending
    /// The pacing engine did not give the same phases at the new tempo (a bug).
    case cannotLayOut
}

/// A session's timeline with everything after one phase laid out again at another tempo.
public struct Retimed: Sendable {
    public var timeline: Timeline
    /// Where the new pace begins: the end of the phase that was playing.
    public var fromFrame: FrameCount
}

/// Lays the rest of `old` out again at `tempo` from the end of the phase playing at `position`
/// (the next one when the boundary is within 100 ms, too close to be sure the audio thread has
/// not crossed it). The part already played, and the phase playing now, keep their frames, so
/// the kernel can swap to the new event table mid-phase without a glitch. Used by the daemon's
/// `tempo` and by the ←/→ keys of foreground `play`.
public func retime(_ old: Timeline, plan: PlannedSession, configTempo: Tempo, to tempo: Tempo,
                   at position: FrameCount, margin: FrameCount? = nil) -> Result<Retimed, RetimeFailure> {
    guard var k = old.segments.firstIndex(where: { $0.end > position }) else { return .failure(.ending) }
    // `margin` (default 0.1 s): how close to its end the current phase may be and still be kept.
    let margin = margin ?? old.sampleRate.frames(seconds: 0.1)
    if old.segments[k].end - position < margin, k + 1 < old.segments.count { k += 1 }
    let settings = PacingSettings(sampleRate: old.sampleRate, tempo: configTempo, leadIn: plan.leadIn, preroll: plan.preroll,
                                  safetyNote: plan.safetyNote, forcedTempo: tempo,
                                  announceEvery: plan.announceEvery, announceHalfway: plan.announceHalfway)
    let engine = PacingEngine(session: plan.session, exercises: plan.exercises, settings: settings)
    guard let fresh = try? engine.compile(cues: plan.catalog), fresh.segments.count == old.segments.count else {
        return .failure(.cannotLayOut)
    }
    let boundary = old.segments[k].end
    var merged = old
    merged.tempo = tempo
    if k + 1 < old.segments.count {
        let shift = boundary - fresh.segments[k + 1].frame
        merged.segments = Array(old.segments[...k]) + fresh.segments[(k + 1)...].map { s in
            var s = s
            s.frame += shift
            return s
        }
        merged.events = old.events.filter { $0.frame < boundary } + fresh.events.filter { $0.frame >= fresh.segments[k + 1].frame }.map { e in
            var e = e
            e.frame += shift
            return e
        }
        merged.frames = fresh.frames + shift
    }
    return .success(Retimed(timeline: merged, fromFrame: boundary))
}
