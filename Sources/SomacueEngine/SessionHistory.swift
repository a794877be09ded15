import SomacueCore
import SomacuePlatform
import SomacueRecords

// The daemon's side of the practice history: one line in history.jsonl when a session ends.

extension LivePlayer {
    /// Appends `a`'s session to the history, as it stands at timeline `frame`. A failure to write
    /// is logged; it never affects the session.
    func recordHistory(_ a: Active, _ outcome: SessionOutcome, at frame: Int64) {
        guard let path = Records.historyPath() else { return }
        let t = a.timeline
        let pos = FrameCount(max(0, min(frame, t.frames.value)))
        var entry = HistoryEntry(start: a.startedAt, session: t.sessionID, title: t.sessionTitle, tempo: a.tempo.value,
                                 voice: a.voice, practised: t.sampleRate.seconds(pos), outcome: outcome)
        if let seg = t.segment(at: pos), let id = seg.exercise {
            entry.exercise = id
            entry.exerciseTitle = seg.exerciseTitle
            entry.exerciseIndex = seg.exerciseIndex
            entry.exerciseCount = t.exerciseCount
        }
        do { try HistoryFile.append(entry, to: path) } catch {
            warn("cannot add to the history \(path): \(error)")
        }
    }
}
