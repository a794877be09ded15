import SomacueAudio
import SomacueCore
import SomacueLibrary
import SomacueProtocol

// Jumps that always tell the listener where they are: `next`, `prev`, `goto` and `start --at`
// land on an exercise's start with its title and position instructions planned in (the
// integration rest that normally announces them was skipped), and `stop --after-exercise`
// moves the closing up. Each is a re-layout of the rest of the timeline, swapped into the
// kernel like a tempo change: the frames already played never change.
extension LivePlayer {
    /// The exercise `target` names in the timeline, or an `out_of_range` refusal.
    func exerciseIndex(_ target: ExerciseTarget, in t: Timeline) -> Result<Int, ProtocolError> {
        switch target {
        case .index(let n):
            guard (1...max(1, t.exerciseCount)).contains(n), t.exerciseCount > 0 else {
                return .failure(ProtocolError(.outOfRange, "this session has exercises 1 to \(t.exerciseCount), not \(n)"))
            }
            return .success(n)
        case .id(let id):
            guard let n = t.exerciseIndex(named: id) else {
                var ids: [String] = []
                for s in t.segments { if let e = s.exercise, !ids.contains(e) { ids.append(e) } }
                return .failure(ProtocolError(.outOfRange, "no exercise \"\(id)\" in \(t.sessionID); its exercises: \(ids.joined(separator: ", "))"))
            }
            return .success(n)
        }
    }

    func goto(_ target: ExerciseTarget) -> Result<JSON, ProtocolError> {
        guard let a = active, state != .idle else { return .failure(ProtocolError(.wrongState, "no session is playing")) }
        let index: Int
        switch exerciseIndex(target, in: a.timeline) {
        case .success(let n): index = n
        case .failure(let e): return .failure(e)
        }
        guard let seg = a.timeline.positionSegment(ofExercise: index) else {
            return .failure(ProtocolError(.internalError, "exercise \(index) has no start in the timeline"))
        }
        return jump(a, to: a.timeline.segments[seg].frame)
    }

    /// Plans exercise `index`'s title and position instructions into its position phase, so a
    /// jump there announces it. The first exercise always has them.
    func announceExercise(_ a: Active, at target: FrameCount) {
        let t = a.timeline
        guard let seg = t.segments.firstIndex(where: { $0.frame == target && $0.phase == .position }),
              let index = t.segments[seg].exerciseIndex, index > 1 else { return }
        let plan = a.loaded.plan
        let settings = PacingSettings(sampleRate: t.sampleRate, tempo: config.tempo, leadIn: plan.leadIn, preroll: plan.preroll,
                                      safetyNote: plan.safetyNote, forcedTempo: a.forcedTempo, announce: [index],
                                      announceEvery: plan.announceEvery, announceHalfway: plan.announceHalfway)
        let engine = PacingEngine(session: plan.session, exercises: plan.exercises, settings: settings)
        guard let fresh = try? engine.compile(cues: plan.catalog), let merged = t.splicing(fresh, fromSegment: seg) else {
            log("could not plan the announcement of exercise \(index); jumping without it")
            return
        }
        _ = swapTimeline(a, merged)
    }

    /// Hands a re-laid timeline to the audio thread (the frames before the change are equal).
    func swapTimeline(_ a: Active, _ merged: Timeline) -> Bool {
        a.generation += 1
        let table = EventTable.make(a.loaded.kernelEvents(for: merged), totalFrames: merged.frames.value, generation: a.generation,
                                    guide: a.loaded.guideSegments(for: merged))
        guard a.mixer.pointee.send(.swap(table)) else {
            table.free()
            return false
        }
        a.timeline = merged
        return true
    }

    func stopAfterExercise() -> Result<JSON, ProtocolError> {
        guard let a = active, state != .idle else { return .failure(ProtocolError(.wrongState, "no session is playing")) }
        let t = a.timeline
        let pos = FrameCount(a.pausedAt ?? a.position)
        guard let merged = t.endingAfterTrack(at: pos, margin: swapMargin(t.sampleRate)) else {
            return .failure(ProtocolError(.wrongState, "the session is already closing"))
        }
        guard swapTimeline(a, merged) else { return .failure(ProtocolError(.internalError, "audio command queue full")) }
        a.nextEvent = merged.events.firstIndex { $0.frame >= pos } ?? merged.events.count
        let closing = merged.segments.first { $0.phase == .closing }?.frame ?? merged.frames
        log("the session ends after this exercise, at \(merged.sampleRate.seconds(closing)) s")
        var o = JSONObject()
        o.set("state", state.rawValue)
        o.set("closingAt", merged.sampleRate.seconds(closing))
        o.set("duration", merged.sampleRate.seconds(merged.frames))
        return .success(o.json)
    }
}
