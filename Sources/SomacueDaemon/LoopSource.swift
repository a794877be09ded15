import SomacueCore
import SomacueProtocol

/// Something else the daemon's control thread serves besides the socket: a descriptor polled
/// in the server's one poll(2) loop (the MPRIS bus connection), with an optional deadline, and a
/// view of the player's events. Everything runs on the control thread, like the player, so a
/// source may call the player directly; the audio thread never sees it.
public protocol LoopSource: AnyObject {
    /// The descriptor and poll events to wait for now, or nil when there is nothing to poll
    /// (the source is then only asked again on the next iteration).
    var pollDescriptor: (fd: Int32, events: Int16)? { get }
    /// Monotonic seconds at which `process` must run even without I/O, or nil.
    var deadline: Double? { get }
    /// Called after poll when the descriptor is ready (`revents` non-zero) or the deadline passed.
    func process(revents: Int16)
    /// The player's events of one loop iteration, in order, as subscribers get them.
    func playerEvents(_ events: [(EventName, [(String, JSON)])])
    /// The server is shutting down: release the descriptor.
    func close()
}
