import SomacueAudio
import SomacueCore
import SomacueLibrary
import SomacueProtocol

// `where`: the listener asks where they are, and hears the exercise, the side, the repetition
// and the time left in the next quiet spot of the timeline (Whereabouts.swift). The report is
// added to the timeline like any cue and swapped into the kernel like a tempo change: nothing
// already planned moves, and it is never spoken over another voice.
extension LivePlayer {
    /// Far enough ahead of the playing frame that the new event table reaches the audio thread
    /// before the report's first sample is due.
    static let whereLead = 0.3

    func whereAmI() -> Result<JSON, ProtocolError> {
        guard let a = active, state == .playing || state == .paused else {
            return .failure(ProtocolError(.wrongState, "no session is playing"))
        }
        let t = a.timeline
        let pos = FrameCount(a.pausedAt ?? a.position)
        let from = pos + t.sampleRate.frames(seconds: Self.whereLead)
        let catalog = a.loaded.plan.catalog
        let none = ProtocolError(.wrongState, "there is no quiet moment left in this session to say where you are")
        // What is said depends on where it is said, and where depends on its length: settle both
        // (a longer report may move to a later spot; a few rounds always agree).
        var spot = from
        var placed: (timeline: Timeline, frame: FrameCount)?
        var cues: [CueID] = []
        var seg: Segment?
        for _ in 0..<4 {
            guard let here = t.segment(at: spot) else { return .failure(none) }
            cues = Whereabouts.report(in: here, sessionID: t.sessionID, remaining: t.sampleRate.seconds(t.frames - spot))
            if let missing = cues.first(where: { catalog[$0] == nil }) {
                return .failure(ProtocolError(.invalidSession, "the voice \(a.voice) has no cue \(missing) (nor has the default pack); add it with `somacue voice generate --only-missing`"))
            }
            guard let p = t.speaking(cues, from: spot, catalog: catalog) else { return .failure(none) }
            placed = p
            seg = t.segment(at: p.frame)
            if p.frame == spot { break }
            spot = p.frame
        }
        guard let placed, let seg else { return .failure(none) }
        guard swapTimeline(a, placed.timeline) else { return .failure(ProtocolError(.internalError, "audio command queue full")) }
        a.nextEvent = placed.timeline.events.firstIndex { $0.frame >= pos } ?? placed.timeline.events.count
        var o = JSONObject()
        o.set("state", state.rawValue)
        o.set("frame", placed.frame.value)
        o.set("at", t.sampleRate.seconds(placed.frame))
        o.set("cues", JSON.array(cues.map { .string($0.rawValue) }))
        let gap = t.sampleRate.frames(seconds: PacingDefaults.betweenVoices)
        var end = placed.frame
        for (i, id) in cues.enumerated() { end += (catalog[id]?.frames ?? .zero) + (i == 0 ? .zero : gap) }
        o.set("endFrame", end.value)
        if let ex = exerciseJSON(seg, t) { o.set("exercise", ex) }
        o.set("rep", seg.rep)
        o.set("reps", seg.reps)
        o.set("side", seg.side?.rawValue)
        o.set("remaining", t.sampleRate.seconds(t.frames - placed.frame))
        return .success(o.json)
    }
}
