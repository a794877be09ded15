#if canImport(Glibc)
import Glibc
#endif
import CSomacueBus
import CSystemd
import SomacueCore
import SomacueDaemon
import SomacuePlatform
import SomacueProtocol

/// somacued as an MPRIS media player (`org.mpris.MediaPlayer2.somacue` on the session bus), so
/// that media keys, headset buttons (through BlueZ's mpris-proxy) and `playerctl` steer it.
///
/// Every method is carried out as the same protocol command the CLI sends (`toggle`, `next`,
/// `seek`, ...), through the player's one entry point, so each is audible exactly like the CLI
/// command. The bus connection is a `LoopSource`: its descriptor sits in the control server's
/// poll loop, on the control thread, never on the audio thread. The only blocking bus calls are
/// the connection and the name request at start-up.
public final class MPRISService: LoopSource {
    public static let busName = "org.mpris.MediaPlayer2.somacue"
    static let objectPath = "/org/mpris/MediaPlayer2"
    static let playerInterface = "org.mpris.MediaPlayer2.Player"
    static let errorPrefix = "org.mpris.MediaPlayer2.somacue.Error."

    private let player: PlayerControl
    private let logger: DaemonLogger
    private var bus: OpaquePointer?
    private var rootSlot: OpaquePointer?
    private var playerSlot: OpaquePointer?
    private let handlers: UnsafeMutablePointer<somacue_bus_handlers>
    /// The properties as last announced (PropertiesChanged is sent for what differs).
    private var published: MPRISProperties?
    /// The session last seen loaded: what Play starts while idle.
    private(set) var lastSession: String?
    /// When a PlayPause last paused (monotonic seconds): a second press soon after asks `where`.
    private var pausedByPress: Double?
    /// Seconds within which a second PlayPause after a pause means "resume and say where".
    static let doublePress = 1.0

    /// Connects to the session bus and takes the MPRIS name. Without a session bus (a server,
    /// a bare systemd user service) or with the name taken, logs one line and returns nil: the
    /// daemon works on without MPRIS.
    public static func connect(player: PlayerControl, logger: DaemonLogger) -> MPRISService? {
        var bus: OpaquePointer?
        var r = sd_bus_open_user(&bus)
        guard r >= 0, let bus else {
            logger.notice("no D-Bus session bus (\(Platform.errorText(-r))); media keys and playerctl cannot reach somacued, the socket works as always")
            return nil
        }
        _ = sd_bus_set_description(bus, "somacued")
        let service = MPRISService(player: player, logger: logger, bus: bus)
        r = somacue_mpris_add_object(bus, service.handlers, &service.rootSlot, &service.playerSlot)
        guard r >= 0 else {
            logger.error("cannot register the MPRIS object on the session bus: \(Platform.errorText(-r)); continuing without MPRIS")
            service.close()
            return nil
        }
        r = sd_bus_request_name(bus, busName, 0)
        guard r >= 0 else {
            let why = r == -EEXIST ? "another player owns it" : Platform.errorText(-r)
            logger.warning("cannot own \(busName) on the session bus (\(why)); continuing without MPRIS")
            service.close()
            return nil
        }
        service.published = service.current()
        logger.info("MPRIS: \(busName) on the session bus")
        return service
    }

    private init(player: PlayerControl, logger: DaemonLogger, bus: OpaquePointer) {
        self.player = player
        self.logger = logger
        self.bus = bus
        handlers = .allocate(capacity: 1)
        handlers.initialize(to: somacue_bus_handlers(method: mprisMethod, get: mprisGet, set: mprisSet, context: nil))
        handlers.pointee.context = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        close()
        handlers.deallocate()
    }

    // MARK: LoopSource

    public var pollDescriptor: (fd: Int32, events: Int16)? {
        guard let bus else { return nil }
        let fd = sd_bus_get_fd(bus)
        let events = sd_bus_get_events(bus)
        guard fd >= 0, events >= 0 else { return nil }
        return (fd, Int16(truncatingIfNeeded: events))
    }

    public var deadline: Double? {
        guard let bus else { return nil }
        var usec: UInt64 = 0
        guard sd_bus_get_timeout(bus, &usec) >= 0, usec != UInt64.max else { return nil }
        return Double(usec) / 1_000_000
    }

    public func process(revents: Int16) {
        guard let bus else { return }
        // Bounded: a flood of messages cannot starve the socket clients.
        for _ in 0..<256 {
            let r = sd_bus_process(bus, nil)
            if r == 0 { return }
            if r < 0 {
                logger.warning("lost the D-Bus session bus (\(Platform.errorText(-r))); MPRIS is off until somacued restarts")
                close()
                return
            }
        }
    }

    public func playerEvents(_ events: [(EventName, [(String, JSON)])]) {
        for (name, fields) in events where name == .finished {
            if case .string(let id)? = fields.first(where: { $0.0 == "session" })?.1 { lastSession = id }
        }
        announceChanges()
    }

    public func close() {
        rootSlot = rootSlot.flatMap { sd_bus_slot_unref($0) }
        playerSlot = playerSlot.flatMap { sd_bus_slot_unref($0) }
        if let bus {
            _ = sd_bus_flush(bus)
            sd_bus_flush_close_unref(bus)
        }
        bus = nil
    }

    // MARK: State

    func current() -> MPRISProperties {
        let status = (try? player.handle(.status).get()) ?? .object([])
        if case .string(let id)? = status["session"]?["id"] { lastSession = id }
        return MPRISProperties(status: status, canStartIdle: lastSession != nil)
    }

    /// Sends PropertiesChanged for every Player property that differs from what was announced.
    func announceChanges() {
        guard let bus else { return }
        let now = current()
        let names = published.map { now.changed(from: $0) } ?? []
        published = now
        guard !names.isEmpty else { return }
        var strings = names.map { strdup($0) }
        strings.append(nil)
        let r = strings.withUnsafeMutableBufferPointer {
            sd_bus_emit_properties_changed_strv(bus, Self.objectPath, Self.playerInterface, $0.baseAddress)
        }
        for s in strings { free(s) }
        if r < 0 { logger.debug("MPRIS: PropertiesChanged failed: \(Platform.errorText(-r))") }
    }

    /// The `Seeked` signal: the position jumped in a way the rate does not explain.
    func announceSeek() {
        guard let bus else { return }
        let position = current().position
        var message: OpaquePointer?
        guard sd_bus_message_new_signal(bus, &message, Self.objectPath, Self.playerInterface, "Seeked") >= 0, let message else { return }
        var value = position
        if sd_bus_message_append_basic(message, CChar(UInt8(ascii: "x")), &value) >= 0 {
            _ = sd_bus_send(bus, message, nil)
        }
        sd_bus_message_unref(message)
    }

    // MARK: Methods

    /// Runs one protocol command for a bus method; a refusal becomes a D-Bus error.
    @discardableResult
    func run(_ command: Command, _ error: UnsafeMutablePointer<sd_bus_error>?) -> Result<JSON, ProtocolError> {
        let result = player.handle(command)
        if case .failure(let failure) = result {
            logger.info("MPRIS \(command.name): \(failure.code.rawValue): \(failure.message)")
        }
        return result
    }

    func method(_ name: String, _ message: OpaquePointer?, _ error: UnsafeMutablePointer<sd_bus_error>?) -> Int32 {
        let state = current()
        var result: Result<JSON, ProtocolError> = .success(.object([]))
        switch name {
        case "PlayPause":
            // A headset has one button: pressed twice within a second, it resumes at once and
            // then says where you are (the first press has already paused, without waiting).
            let now = Platform.monotonicSeconds()
            switch state.status {
            case .playing:
                result = run(.pause, error)
                if case .success = result { pausedByPress = now }
            case .paused:
                let quick = pausedByPress.map { now - $0 <= Self.doublePress } ?? false
                pausedByPress = nil
                result = run(.resume, error)
                if quick, case .success = result { run(.whereAmI, error) }
            case .stopped: result = startLast(error)
            }
        case "Play":
            switch state.status {
            case .playing: break
            case .paused: result = run(.resume, error)
            case .stopped: result = startLast(error)
            }
        case "Pause":
            if state.status == .playing { result = run(.pause, error) }
        case "Stop":
            if state.status != .stopped { result = run(.stop, error) }
        case "Next":
            if state.canGoNext { result = run(.next, error) }
        case "Previous":
            if state.status != .stopped {
                result = run(.prev, error)
                if case .success = result { announceSeek() }
            }
        case "Seek":
            var offset: Int64 = 0
            guard sd_bus_message_read_basic(message, CChar(UInt8(ascii: "x")), &offset) >= 0 else {
                return fail(error, "InvalidArgs", "Seek needs an offset in microseconds")
            }
            guard state.status != .stopped else { break }
            let target = state.position.addingReportingOverflow(offset)
            let to = target.overflow ? (offset > 0 ? Int64.max : 0) : target.partialValue
            if to >= state.trackDuration {
                // MPRIS: seeking past the end of the track acts like Next.
                if state.canGoNext { result = run(.next, error) }
            } else {
                result = run(.seek(max(0, Double(to)) / 1_000_000), error)
                if case .success = result { announceSeek() }
            }
        case "SetPosition":
            var track: UnsafePointer<CChar>?
            var position: Int64 = 0
            guard sd_bus_message_read_basic(message, CChar(UInt8(ascii: "o")), &track) >= 0, let track,
                  sd_bus_message_read_basic(message, CChar(UInt8(ascii: "x")), &position) >= 0 else {
                return fail(error, "InvalidArgs", "SetPosition needs a track id and a position in microseconds")
            }
            // MPRIS: a stale track id or a position outside the track is ignored.
            guard state.status != .stopped, String(cString: track) == state.metadata.trackID,
                  position >= 0, position < state.trackDuration else { break }
            result = run(.seek(Double(position) / 1_000_000), error)
            if case .success = result { announceSeek() }
        case "OpenUri":
            return fail(error, "NotSupported", "somacued plays sessions, not URIs; use `somacue start SESSION`")
        case "Raise", "Quit":
            break  // CanRaise and CanQuit are false: nothing to do.
        default:
            return fail(error, "UnknownMethod", "unknown method \(name)")
        }
        if case .failure(let failure) = result {
            return fail(error, dbusErrorName(failure.code), failure.message)
        }
        return replyEmpty(message)
    }

    func startLast(_ error: UnsafeMutablePointer<sd_bus_error>?) -> Result<JSON, ProtocolError> {
        guard let session = lastSession else {
            return .failure(ProtocolError(.wrongState, "nothing to play yet; start a session once with `somacue start SESSION`"))
        }
        // Idle, so nothing plays that `replace` could cut: it only lets the start go ahead while
        // the stop sound of the previous session is still playing out.
        return run(.start(StartArgs(session: session, replace: true)), error)
    }

    func replyEmpty(_ call: OpaquePointer?) -> Int32 {
        var reply: OpaquePointer?
        var r = sd_bus_message_new_method_return(call, &reply)
        guard r >= 0, let reply else { return r }
        r = sd_bus_send(nil, reply, nil)
        sd_bus_message_unref(reply)
        return r < 0 ? r : 1
    }

    func fail(_ error: UnsafeMutablePointer<sd_bus_error>?, _ name: String, _ text: String) -> Int32 {
        sd_bus_error_set(error, Self.errorPrefix + name, text)
    }

    func dbusErrorName(_ code: ErrorCode) -> String {
        code.rawValue.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    // MARK: Properties

    func get(_ interface: String, _ property: String, _ reply: OpaquePointer?, _ error: UnsafeMutablePointer<sd_bus_error>?) -> Int32 {
        guard let reply else { return -EINVAL }
        let w = Writer(message: reply)
        if interface == "org.mpris.MediaPlayer2" {
            switch property {
            case "CanQuit", "CanRaise", "HasTrackList": return w.bool(false)
            case "Identity": return w.string("somacue")
            case "DesktopEntry": return w.string("somacue")
            case "SupportedUriSchemes", "SupportedMimeTypes": return w.stringArray([])
            default: return fail(error, "UnknownProperty", "unknown property \(property)")
            }
        }
        let p = current()
        switch property {
        case "PlaybackStatus": return w.string(p.status.rawValue)
        case "Rate", "MinimumRate", "MaximumRate": return w.double(1)
        case "Metadata": return w.metadata(p.metadata)
        case "Volume": return w.double(p.volume)
        case "Position": return w.int64(p.position)
        case "CanGoNext": return w.bool(p.canGoNext)
        case "CanGoPrevious": return w.bool(p.canGoPrevious)
        case "CanPlay": return w.bool(p.canPlay)
        case "CanPause": return w.bool(p.canPause)
        case "CanSeek": return w.bool(p.canSeek)
        case "CanControl": return w.bool(true)
        default: return fail(error, "UnknownProperty", "unknown property \(property)")
        }
    }

    func set(_ property: String, _ value: OpaquePointer?, _ error: UnsafeMutablePointer<sd_bus_error>?) -> Int32 {
        guard property == "Volume" else { return fail(error, "ReadOnly", "\(property) cannot be set") }
        var volume: Double = 0
        let r = sd_bus_message_read_basic(value, CChar(UInt8(ascii: "d")), &volume)
        guard r >= 0 else { return r }
        // MPRIS allows any value; the player's range is 0 to 1.5.
        let clamped = volume.isNaN ? 1 : min(max(volume, ArgumentLimits.volume.lowerBound), ArgumentLimits.volume.upperBound)
        if case .failure(let failure) = run(.volume(.master, clamped), error) {
            return fail(error, dbusErrorName(failure.code), failure.message)
        }
        return 0
    }
}

/// Appends values to an sd-bus message (sd_bus_message_append is variadic, which Swift cannot
/// call; the basic and container calls do the same work).
private struct Writer {
    let message: OpaquePointer

    func bool(_ b: Bool) -> Int32 {
        var v: Int32 = b ? 1 : 0
        return sd_bus_message_append_basic(message, CChar(UInt8(ascii: "b")), &v)
    }

    func string(_ s: String) -> Int32 {
        s.withCString { sd_bus_message_append_basic(message, CChar(UInt8(ascii: "s")), $0) }
    }

    func double(_ d: Double) -> Int32 {
        var v = d
        return sd_bus_message_append_basic(message, CChar(UInt8(ascii: "d")), &v)
    }

    func int64(_ i: Int64) -> Int32 {
        var v = i
        return sd_bus_message_append_basic(message, CChar(UInt8(ascii: "x")), &v)
    }

    func stringArray(_ items: [String]) -> Int32 {
        var r = sd_bus_message_open_container(message, CChar(UInt8(ascii: "a")), "s")
        for item in items where r >= 0 { r = string(item) }
        return r < 0 ? r : sd_bus_message_close_container(message)
    }

    func metadata(_ m: MPRISProperties.Metadata) -> Int32 {
        var r = sd_bus_message_open_container(message, CChar(UInt8(ascii: "a")), "{sv}")
        func entry(_ key: String, _ signature: String, _ body: () -> Int32) {
            guard r >= 0 else { return }
            r = sd_bus_message_open_container(message, CChar(UInt8(ascii: "e")), "sv")
            if r >= 0 { r = string(key) }
            if r >= 0 { r = sd_bus_message_open_container(message, CChar(UInt8(ascii: "v")), signature) }
            if r >= 0 { r = body() }
            if r >= 0 { r = sd_bus_message_close_container(message) }
            if r >= 0 { r = sd_bus_message_close_container(message) }
        }
        entry("mpris:trackid", "o") {
            m.trackID.withCString { sd_bus_message_append_basic(message, CChar(UInt8(ascii: "o")), $0) }
        }
        if let title = m.title { entry("xesam:title", "s") { string(title) } }
        if let album = m.album { entry("xesam:album", "s") { string(album) } }
        if let length = m.length { entry("mpris:length", "x") { int64(length) } }
        if let number = m.trackNumber {
            entry("xesam:trackNumber", "i") {
                var v = number
                return sd_bus_message_append_basic(message, CChar(UInt8(ascii: "i")), &v)
            }
        }
        return r < 0 ? r : sd_bus_message_close_container(message)
    }
}

private func service(_ context: UnsafeMutableRawPointer?) -> MPRISService? {
    context.map { Unmanaged<MPRISService>.fromOpaque($0).takeUnretainedValue() }
}

private let mprisMethod: sd_bus_message_handler_t = { message, context, error in
    guard let s = service(context), let member = sd_bus_message_get_member(message) else { return -EINVAL }
    return s.method(String(cString: member), message, error)
}

private let mprisGet: sd_bus_property_get_t = { _, _, interface, property, reply, context, error in
    guard let s = service(context), let interface, let property else { return -EINVAL }
    return s.get(String(cString: interface), String(cString: property), reply, error)
}

private let mprisSet: sd_bus_property_set_t = { _, _, _, property, value, context, error in
    guard let s = service(context), let property else { return -EINVAL }
    return s.set(String(cString: property), value, error)
}
