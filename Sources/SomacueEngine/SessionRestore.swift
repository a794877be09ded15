import SomacueCore
import SomacueLibrary
import SomacuePlatform
import SomacueRecords

// Sessions that survive the daemon: the player saves its logical position to state.json (through
// the StateWriter thread) at every phase boundary and on pause; a new daemon brings the session
// back paused at the start of that phase (through the same loading as `start`), unless the save is older than 12 hours or the session's
// files changed, in which case the history records it as interrupted.

extension LivePlayer {
    /// Saves are restored only this long (seconds).
    static let restoreWindow: Int64 = 12 * 3600

    /// Fingerprint of a planned session: its laid-out timeline (made from the session, its
    /// exercises and the voice's cue lengths and files), as hex.
    static func fingerprint(_ planned: PlannedSession) -> String {
        String(Platform.fingerprint(Array(planned.timeline.json.compact.utf8)), radix: 16)
    }

    /// Posts the state for the phase that holds timeline `frame`.
    func saveState(_ a: some SessionProgress, at frame: Int64) {
        guard let writer = stateWriter else { return }
        let t = a.timeline
        let pos = FrameCount(max(0, min(frame, t.frames.value)))
        guard let k = t.segments.lastIndex(where: { $0.frame <= pos }) else { return }
        let seg = t.segments[k]
        writer.save(SavedSession(session: t.sessionID, title: t.sessionTitle, segment: k, phase: seg.phase.rawValue,
                                 exercise: seg.exercise, exerciseIndex: seg.exerciseIndex, side: seg.side?.rawValue, rep: seg.rep,
                                 tempo: a.tempo.value, startTempo: a.startTempo.value, voice: a.voice,
                                 leadIn: a.loaded.plan.leadIn, startedAt: a.startedAt, savedAt: Platform.wallClock(),
                                 inputs: a.inputs))
    }

    /// At start-up: brings back a saved session, paused at the start of its phase. Every problem
    /// is logged and leaves the daemon idle; none stops it from starting.
    public func restoreSavedSession() {
        guard let writer = stateWriter, active == nil, loading == nil else { return }
        let saved: SavedSession
        switch StateFile.load(writer.path) {
        case .none:
            return
        case .corrupt(let reason, let movedTo):
            warn("the saved session \(writer.path) is damaged (\(reason)); " + (movedTo.map { "moved it to \($0); " } ?? "")
                + "starting idle")
            return
        case .saved(let s):
            saved = s
        }
        func interrupted(_ why: String, practised: Double = 0) {
            log("not restoring \(saved.session): \(why); recorded as interrupted")
            if let path = Records.historyPath() {
                let entry = HistoryEntry(start: saved.startedAt, session: saved.session, title: saved.title, tempo: saved.tempo,
                                         voice: saved.voice, practised: practised, outcome: .interrupted, exercise: saved.exercise,
                                         exerciseIndex: saved.exerciseIndex)
                try? HistoryFile.append(entry, to: path)
            }
            writer.remove()
        }
        let age = Platform.wallClock() - saved.savedAt
        guard age >= 0 && age <= Self.restoreWindow else {
            interrupted("it was saved \(age / 3600) h ago (sessions are kept for 12 h)")
            return
        }
        guard let session = try? library.session(saved.session) else {
            interrupted("the session is gone")
            return
        }
        func laidOut(_ tempo: Double) -> PlannedSession? {
            try? plan(session: session, library: library, config: config,
                      options: SessionOptions(tempo: tempo, voice: saved.voice, leadIn: saved.leadIn),
                      paths: paths, extraCues: Self.overlayCues, whereCues: true)
        }
        guard let original = laidOut(saved.startTempo), Self.fingerprint(original) == saved.inputs else {
            interrupted("its session, exercises, voice or settings changed since it was saved")
            return
        }
        guard let planned = saved.tempo == saved.startTempo ? original : laidOut(saved.tempo),
              saved.segment < planned.timeline.segments.count,
              planned.timeline.segments[saved.segment].phase.rawValue == saved.phase else {
            interrupted("its position no longer fits the session")
            return
        }
        // The same path as `start`: decoding and the device off the control thread; the session
        // becomes `paused` at its phase start once every cue is in place (LiveLoading.swift).
        let frame = planned.timeline.segments[saved.segment].frame
        let restore = Loading.Restore(frame: frame.value, savedAt: saved.savedAt, phase: saved.phase)
        switch beginLoading(planned, voice: saved.voice, restore: restore, inputs: saved.inputs,
                            startTempo: Tempo(saved.startTempo) ?? planned.timeline.tempo) {
        case .failure(let error):
            // The saved state stays for the next start.
            warn("cannot restore \(saved.session) now: \(error.message)")
        case .success(let l):
            l.startedAt = saved.startedAt
            l.lastSegment = saved.segment
            l.nextEvent = planned.timeline.events.firstIndex { $0.frame >= frame } ?? planned.timeline.events.count
            setState(.loading)
            log("restoring \(saved.session) at the start of its \(saved.phase) phase")
        }
    }
}
