import SomacueCore
import SomacueLibrary
import SomacuePlatform
import SomacueRecords

// The daemon's side of the practice history: one line in history.jsonl when a session ends.

/// What the state file, the history and the phase events need of a session, whether it still
/// loads (`Loading`) or plays (`LivePlayer.Active`).
protocol SessionProgress: AnyObject {
    var loaded: LoadedSession { get }
    var timeline: Timeline { get }
    /// The tempo it plays at now, and the one it started at.
    var tempo: Tempo { get }
    var startTempo: Tempo { get }
    var voice: String { get }
    /// Wall-clock start (a restored session keeps its first start).
    var startedAt: Int64 { get }
    /// Fingerprint of the layout at the starting tempo (state.json).
    var inputs: String { get }
    /// The last phase and exercise announced, and the next cue to announce.
    var lastSegment: Int { get set }
    var lastExercise: Int? { get set }
    var nextEvent: Int { get set }
}

extension LivePlayer {
    /// Appends `a`'s session to the history, as it stands at timeline `frame`. A failure to write
    /// is logged; it never affects the session.
    func recordHistory(_ a: some SessionProgress, _ outcome: SessionOutcome, at frame: Int64) {
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
