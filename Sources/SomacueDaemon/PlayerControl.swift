import SomacueCore
import SomacueProtocol

/// What the control server needs from the player. The server owns sockets and clients; the
/// player owns the session, the audio device and the timeline. Both run on the daemon's one
/// control thread (the audio callback is the only other thread), so no locking is needed here.
public protocol PlayerControl: AnyObject {
    /// Carries out one command (never `subscribe`, which the server handles itself) and returns
    /// the reply's `data`, or a protocol error.
    func handle(_ command: Command) -> Result<JSON, ProtocolError>
    /// Events since the last call, in order: `state`, `exercise`, `phase`, `cue`, `finished`,
    /// `error`, `tempo`, `volume`. Each is the event's fields without the `event` key.
    func takeEvents() -> [(EventName, [(String, JSON)])]
    /// Milliseconds until `tick()` is due, or nil when idle (the server then sleeps until a
    /// socket or a signal wakes it: an idle daemon uses no CPU).
    var tickInterval: Int? { get }
    /// Advances the player's view of the audio thread (notes, position, phase changes).
    func tick()
    /// Reloads config, sessions and voices (SIGHUP or the `reload` command). A failure keeps
    /// everything as it was and returns `reload_failed` with a `diagnostics` array; the session
    /// that is playing is never touched.
    func reload() -> Result<JSON, ProtocolError>
    /// Fades out, closes the device and returns (SIGTERM/SIGINT); must finish within 2 s.
    func shutdown()
    /// Set by the server so that `status` can report it.
    var clientCount: Int { get set }
    /// One line for systemd's STATUS=: "Idle", "Playing Gluteal Release, 4:10 of 11:32".
    var statusLine: String { get }
}

extension PlayerControl {
    public var statusLine: String { "Running" }
}
