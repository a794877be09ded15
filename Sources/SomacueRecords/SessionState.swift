#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SomacueCore
import SomacuePlatform
import SomacueProtocol

// The session that is playing, kept in `$XDG_STATE_HOME/somacue/state.json` so that a daemon that
// crashed, was killed or restarted brings it back, paused at the start of the phase it was in.
// The position is logical (which phase of which step), not a frame: a live tempo change or an
// edited file would make a frame wrong. `inputs` fingerprints what the session was laid out from,
// so a changed session, exercise or voice is noticed and not restored.

public struct SavedSession: Sendable, Equatable {
    public static let formatVersion = 1

    public var session: String
    public var title: String
    /// Index of the phase (segment) in the session's timeline, and what it is, for people and
    /// for the check on restore.
    public var segment: Int
    public var phase: String
    public var exercise: String?
    public var exerciseIndex: Int?
    public var side: String?
    public var rep: Int?
    /// Tempo in use, and the one the session started with (the fingerprint is of that layout).
    public var tempo: Double
    public var startTempo: Double
    public var voice: String
    public var leadIn: Double
    /// Wall-clock seconds: when the session started, and when this was saved.
    public var startedAt: Int64
    public var savedAt: Int64
    /// Fingerprint of the session as laid out at `startTempo` (session, exercises, cue lengths).
    public var inputs: String

    public init(session: String, title: String, segment: Int, phase: String, exercise: String?, exerciseIndex: Int?,
                side: String?, rep: Int?, tempo: Double, startTempo: Double, voice: String, leadIn: Double,
                startedAt: Int64, savedAt: Int64, inputs: String) {
        self.session = session
        self.title = title
        self.segment = segment
        self.phase = phase
        self.exercise = exercise
        self.exerciseIndex = exerciseIndex
        self.side = side
        self.rep = rep
        self.tempo = tempo
        self.startTempo = startTempo
        self.voice = voice
        self.leadIn = leadIn
        self.startedAt = startedAt
        self.savedAt = savedAt
        self.inputs = inputs
    }

    public var json: JSON {
        var o = JSONObject()
        o.set("version", SavedSession.formatVersion)
        o.set("session", session)
        o.set("title", title)
        var p = JSONObject()
        p.set("segment", segment)
        p.set("phase", phase)
        p.set("exercise", exercise)
        p.set("step", exerciseIndex)
        p.set("side", side)
        p.set("rep", rep)
        o.set("position", p.json)
        o.set("tempo", tempo)
        o.set("startTempo", startTempo)
        o.set("voice", voice)
        o.set("leadIn", leadIn)
        o.set("started", Platform.isoUTC(startedAt))
        o.set("saved", Platform.isoUTC(savedAt))
        o.set("inputs", inputs)
        return o.json
    }

    /// Reads a state file's text; the reason when it is not a usable state.
    public static func parse(_ bytes: [UInt8]) -> Result<SavedSession, StateFileError> {
        let value: JSON
        do { value = try parseJSON(bytes) } catch { return .failure(StateFileError(reason: "not JSON (\(error))")) }
        func string(_ v: JSON?) -> String? { if case .string(let s)? = v { s } else { nil } }
        func number(_ v: JSON?) -> Double? {
            switch v {
            case .int(let i)?: Double(i)
            case .double(let d)?: d.isFinite ? d : nil
            default: nil
            }
        }
        func int(_ v: JSON?) -> Int? { number(v).flatMap { Int(exactly: $0) } }
        guard int(value["version"]) == formatVersion else { return .failure(StateFileError(reason: "unknown version")) }
        guard let session = string(value["session"]), let p = value["position"], let segment = int(p["segment"]), segment >= 0,
              let phase = string(p["phase"]), let tempo = number(value["tempo"]), let startTempo = number(value["startTempo"]),
              let voice = string(value["voice"]), let started = string(value["started"]).flatMap({ Platform.parseDate($0) }),
              let saved = string(value["saved"]).flatMap({ Platform.parseDate($0) }), let inputs = string(value["inputs"]) else {
            return .failure(StateFileError(reason: "a required field is missing or has the wrong type"))
        }
        return .success(SavedSession(session: session, title: string(value["title"]) ?? session, segment: segment, phase: phase,
                                     exercise: string(p["exercise"]), exerciseIndex: int(p["step"]), side: string(p["side"]),
                                     rep: int(p["rep"]), tempo: tempo, startTempo: startTempo, voice: voice,
                                     leadIn: number(value["leadIn"]) ?? 0, startedAt: started, savedAt: saved, inputs: inputs))
    }
}

public struct StateFileError: Error, Sendable, Equatable {
    public var reason: String
}

public enum StateFile {
    public static func path() -> String? { Records.stateDirectory().map { $0 + "/state.json" } }

    public enum Loaded: Equatable {
        case none
        case saved(SavedSession)
        /// Unreadable: moved aside to `movedTo` (nil when even that failed).
        case corrupt(reason: String, movedTo: String?)
    }

    /// Reads the state file. A damaged one is moved aside (`state.json.corrupt-TIME`) so that it
    /// is reported once, never again, and never stops the daemon.
    public static func load(_ path: String) -> Loaded {
        guard let bytes = try? Platform.readBytes(path) else { return .none }
        switch SavedSession.parse(bytes) {
        case .success(let s): return .saved(s)
        case .failure(let e):
            let aside = path + ".corrupt-\(Platform.wallClock())"
            return .corrupt(reason: e.reason, movedTo: rename(path, aside) == 0 ? aside : nil)
        }
    }
}

/// Writes state.json on a thread of its own, so that the control loop never waits for a disk.
/// The control thread posts the newest state (or its removal); a burst of posts is written once.
public final class StateWriter: @unchecked Sendable {
    enum Job: Equatable { case write([UInt8]), remove }

    public let path: String
    private let pending = Mutex<Job?>(nil)
    private let wake: (read: Int32, write: Int32)
    private var thread: pthread_t?
    private let log: @Sendable (String) -> Void

    public init?(path: String, log: @escaping @Sendable (String) -> Void) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        self.path = path
        self.log = log
        wake = (fds[0], fds[1])
        let context = Unmanaged.passRetained(self).toOpaque()
        var t = pthread_t()
        guard pthread_create(&t, nil, { raw in
            let writer = Unmanaged<StateWriter>.fromOpaque(raw!).takeRetainedValue()
            writer.loop()
            return nil
        }, context) == 0 else {
            Unmanaged<StateWriter>.fromOpaque(context).release()
            return nil
        }
        thread = t
    }

    /// Saves `state` (replacing any save not yet written).
    public func save(_ state: SavedSession) { post(.write(Array((state.json.pretty + "\n").utf8))) }

    /// Removes the state file: the session is over.
    public func remove() { post(.remove) }

    /// Waits until everything posted so far is on disk (shutdown).
    public func flush() {
        for _ in 0..<200 {
            if pending.withLock({ $0 == nil }) && !busy.load(ordering: .acquiring) { return }
            Platform.sleep(seconds: 0.005)
        }
    }

    private let busy = Atomic<Bool>(false)

    private func post(_ job: Job) {
        pending.withLock { $0 = job }
        var b: UInt8 = 1
        _ = Glibc.write(wake.write, &b, 1)
    }

    private func loop() {
        var buf = [UInt8](repeating: 0, count: 64)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(wake.read, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            busy.store(true, ordering: .releasing)
            let job = pending.withLock { j -> Job? in
                defer { j = nil }
                return j
            }
            switch job {
            case .write(let bytes)?:
                do {
                    try Platform.makeDirectories(Platform.dirname(path), mode: 0o700)
                    try Platform.writeAtomically(path, bytes, mode: 0o600)
                } catch {
                    log("cannot save the session state \(path): \(error)")
                }
            case .remove?:
                if !Platform.removeFile(path) { log("cannot remove \(path): \(Platform.errorText(errno))") }
            case nil:
                break
            }
            busy.store(false, ordering: .releasing)
        }
    }
}
