#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SomacueCore
import SomacuePlatform
import SomacueProtocol

/// The daemon's control socket: one thread, one poll(2) loop, no locks.
///
/// Every client is nonblocking and has its own output queue, so a slow or stuck client never
/// delays the others or the player. Replies that pile up pause reading that client's requests
/// (back-pressure); unread events get a subscriber dropped. With no clients and an idle player
/// the loop sleeps in poll with no timeout at all.
public final class ControlServer {
    public let socketPath: String
    /// Only this user's connections are served (checked with SO_PEERCRED).
    public let allowedUID: uid_t
    /// Where READY=1 / STOPPING=1 / STATUS= / WATCHDOG=1 go (systemd's `$NOTIFY_SOCKET`); nil sends nothing.
    public var notifySocket: String? = Platform.env("NOTIFY_SOCKET")
    /// Seconds between WATCHDOG=1 pings (half of systemd's `WATCHDOG_USEC`); nil sends none.
    public var watchdogInterval: Double? = SocketActivation.watchdogInterval()
    /// Loop iterations so far; lets tests check that an idle daemon does not wake up.
    let iterations = Atomic<Int>(0)

    private var config: Config
    private let player: PlayerControl
    private let appVersion: String
    private let logger: DaemonLogger
    private let handlesSignals: Bool

    /// Signal bytes and `requestStop`/`requestReload` arrive here. Lives as long as the server,
    /// so a late `requestStop` from another thread never writes to a reused descriptor.
    private let wake: (read: Int32, write: Int32)?
    private let wakeErrno: Int32

    private var listener: UnixSocket.Listener?
    private var clients: [Client] = []
    private var openClients = 0
    private var nextClientNumber = 1
    private var stopRequested = false
    private var reloadRequested = false
    /// When `player.tick()` is due; kept across iterations so that busy sockets cannot postpone it.
    private var tickDue: Double?
    /// After EMFILE and the like the listener stays readable; stop polling it for a while
    /// instead of spinning.
    private var acceptPausedUntil: Double?
    private var readBuffer: UnsafeMutableBufferPointer<UInt8>?
    /// A listening socket systemd passed (socket activation): used as it is, never bound,
    /// probed, unlinked or removed.
    private let inherited: SocketActivation.Inherited?
    /// When the next WATCHDOG=1 is due (monotonic seconds).
    private var watchdogDue: Double?
    /// The last STATUS= sent, and when the player's progress is next looked at for it.
    private var lastStatus: String?
    private var statusDue: Double?
    /// Further descriptors of the control thread (the MPRIS bus), polled after the clients.
    private var sources: [LoopSource] = []
    /// Connections refused for `max_clients` and for another user's uid, told at most once a second.
    private var overLimitRefusals = RefusalLog()
    private var foreignRefusals = RefusalLog()

    private static let readChunk = 65_536

    /// `inherited`: the socket systemd passed (see `SocketActivation.take()`); `socketPath` is
    /// then only its name, for messages.
    public init(socketPath: String, config: Config, player: PlayerControl, appVersion: String, logger: DaemonLogger,
                allowedUID: uid_t = getuid(), handleSignals: Bool = true, inherited: SocketActivation.Inherited? = nil) {
        self.socketPath = inherited?.path ?? socketPath
        self.inherited = inherited
        self.config = config
        self.player = player
        self.appVersion = appVersion
        self.logger = logger
        self.allowedUID = allowedUID
        self.handlesSignals = handleSignals
        wake = UnixSocket.makePipe()
        wakeErrno = wake == nil ? errno : 0
    }

    deinit {
        // A server that bound but never ran (the caller gave up) leaves no socket file behind.
        closeListener()
        if let wake {
            Glibc.close(wake.read)
            Glibc.close(wake.write)
        }
        readBuffer?.deallocate()
    }

    /// `--socket PATH`, else `$SOMACUE_SOCKET`, else `$XDG_RUNTIME_DIR/somacue/socket`.
    public static func socketPath(explicit: String?) throws(ServerError) -> String {
        switch Platform.controlSocketPath(explicit: explicit) {
        case .success(let path): return path
        case .failure(let error): throw .noSocketPath(error.message)
        }
    }

    /// New limits (after a reload). The line limit applies to clients that connect from now on;
    /// the others apply at once.
    public func updateLimits(_ config: Config) {
        self.config = config
    }

    /// Adds a descriptor to the poll loop (call before `run()`, on the thread that runs it).
    public func add(source: LoopSource) {
        sources.append(source)
    }

    /// Binds and listens. `run()` does this itself; calling it first lets the caller fail fast
    /// (e.g. exit 75 when another daemon answers) before opening the audio device.
    public func bind() throws(ServerError) {
        guard listener == nil else { return }
        if let inherited {
            listener = UnixSocket.Listener(fd: inherited.fd, device: 0, inode: 0, inheritedFromSystemd: true)
            logger.info("listening on \(socketPath) (socket from systemd)")
            return
        }
        let bound = try UnixSocket.listen(at: socketPath)
        listener = bound
        if bound.replacedStale { logger.notice("removed the stale socket of a daemon that is gone: \(socketPath)") }
        logger.info("listening on \(socketPath)")
    }

    /// Makes `run()` shut down and return, as SIGTERM does. Safe from any thread.
    public func requestStop() { poke(UInt8(SIGTERM)) }

    /// Makes `run()` reload the player, as SIGHUP does. Safe from any thread.
    public func requestReload() { poke(UInt8(SIGHUP)) }

    private func poke(_ byte: UInt8) {
        guard let wake else { return }
        var b = byte
        _ = Glibc.write(wake.write, &b, 1)
    }

    /// Serves clients until SIGTERM/SIGINT (or `requestStop()`), then shuts the player down,
    /// closes every client, removes its socket file and returns.
    public func run() throws(ServerError) {
        guard let wake else { throw .system("cannot create the wake-up pipe", errno: wakeErrno) }
        try bind()
        var signals: SignalForwarding?
        if handlesSignals {
            do {
                signals = try SignalForwarding.install(writeFD: wake.write)
            } catch {
                closeListener()
                throw error
            }
        }
        if readBuffer == nil { readBuffer = .allocate(capacity: Self.readChunk) }
        stopRequested = false
        lastStatus = player.statusLine
        systemdNotify("READY=1\nSTATUS=\(lastStatus ?? "")", socket: notifySocket)
        if let interval = watchdogInterval { watchdogDue = Platform.monotonicSeconds() + interval }

        let failure = serve(wakeFD: wake.read)

        systemdNotify("STOPPING=1\nSTATUS=Stopping", socket: notifySocket)
        logger.notice(failure == nil ? "shutting down" : "shutting down after an error")
        closeListener()
        player.shutdown()
        for source in sources { source.close() }
        sources = []
        // Final events (the player stopping) and queued replies get one nonblocking attempt.
        distributeEvents()
        for client in clients where !client.closed {
            sendPending(client)
            close(client, nil)
        }
        clients = []
        signals?.restore()
        readBuffer?.deallocate()
        readBuffer = nil
        if let failure { throw failure }
    }

    // MARK: The loop

    private func serve(wakeFD: Int32) -> ServerError? {
        var fds: [pollfd] = []
        while !stopRequested {
            let timeout = pollTimeout(now: Platform.monotonicSeconds())
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0))
            let acceptOpen = acceptPausedUntil.map { Platform.monotonicSeconds() >= $0 } ?? true
            if acceptOpen { acceptPausedUntil = nil }
            // A negative fd is skipped by poll, which keeps the indexes fixed.
            fds.append(pollfd(fd: acceptOpen ? listener?.fd ?? -1 : -1, events: Int16(POLLIN), revents: 0))
            let polled = clients.count
            for client in clients {
                fds.append(pollfd(fd: client.fd, events: interest(client), revents: 0))
            }
            let firstSource = fds.count
            for source in sources {
                let want = source.pollDescriptor
                fds.append(pollfd(fd: want?.fd ?? -1, events: want?.events ?? 0, revents: 0))
            }

            let ready = poll(&fds, nfds_t(fds.count), timeout)
            iterations.add(1, ordering: .relaxed)
            if ready < 0 {
                if errno == EINTR { continue }
                let code = errno
                logger.error("poll failed: \(Platform.errorText(code))")
                return .system("poll", errno: code)
            }
            if fds[0].revents != 0 { drainWakePipe(wakeFD) }
            if stopRequested { break }
            if reloadRequested { reload() }

            for index in 0..<polled where fds[index + 2].revents != 0 {
                service(clients[index], revents: fds[index + 2].revents)
            }
            if fds[1].revents != 0 { acceptClients() }
            let now = Platform.monotonicSeconds()
            reportRefusals(now: now)
            for (offset, source) in sources.enumerated() {
                let revents = fds[firstSource + offset].revents
                if revents != 0 || source.deadline.map({ now >= $0 }) == true { source.process(revents: revents) }
            }

            if let due = tickDue, Platform.monotonicSeconds() >= due {
                tickDue = nil
                player.tick()
            }
            let hadEvents = distributeEvents()
            updateStatus(force: hadEvents)
            keepWatchdogHappy()
            expireIdleClients()
            if clients.contains(where: \.closed) { clients.removeAll(where: \.closed) }
        }
        return nil
    }

    /// Milliseconds until the next tick or client timeout, or -1 (sleep until something
    /// happens) when neither is pending.
    private func pollTimeout(now: Double) -> Int32 {
        var deadline: Double?
        if let ms = player.tickInterval {
            let due = now + Double(max(0, ms)) / 1000
            tickDue = min(tickDue ?? due, due)
            deadline = tickDue
        } else {
            tickDue = nil
        }
        for client in clients where !client.closed {
            guard let since = client.subscription == nil ? client.lastRequest : client.unreadSince else { continue }
            let expiry = since + config.clientTimeout
            deadline = min(deadline ?? expiry, expiry)
        }
        if let due = overLimitRefusals.due { deadline = min(deadline ?? due, due) }
        if let due = foreignRefusals.due { deadline = min(deadline ?? due, due) }
        if let paused = acceptPausedUntil { deadline = min(deadline ?? paused, paused) }
        if let due = watchdogDue { deadline = min(deadline ?? due, due) }
        for source in sources {
            if let due = source.deadline { deadline = min(deadline ?? due, due) }
        }
        guard let deadline else { return -1 }
        // Rounded up: waking a fraction of a millisecond early would just spin once more.
        let ms = ((deadline - now) * 1000).rounded(.up)
        return max(0, Int32(saturating: ms))
    }

    private func interest(_ client: Client) -> Int16 {
        var events: Int16 = 0
        if !client.readClosed && !client.closeAfterFlush && client.output.replyBytes <= config.maxReplyQueueBytes {
            events |= Int16(POLLIN)
        }
        if !client.output.isEmpty { events |= Int16(POLLOUT) }
        return events
    }

    private func drainWakePipe(_ fd: Int32) {
        var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        while true {
            let n = withUnsafeMutableBytes(of: &bytes) { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            withUnsafeBytes(of: &bytes) { raw in
                for byte in raw.prefix(n) {
                    switch Int32(byte) {
                    case SIGTERM, SIGINT:
                        if !stopRequested { logger.notice("\(Int32(byte) == SIGINT ? "SIGINT" : "SIGTERM") received") }
                        stopRequested = true
                    case SIGHUP:
                        reloadRequested = true
                    default:
                        break
                    }
                }
            }
        }
    }

    private func reload() {
        reloadRequested = false
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        systemdNotify("RELOADING=1\nMONOTONIC_USEC=\(Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000)", socket: notifySocket)
        logger.notice("SIGHUP: reloading")
        switch player.reload() {
        case .success:
            logger.info("reload done")
        case .failure(let error):
            var message = "reload failed, keeping the previous configuration: \(error.message)"
            if case .array(let items)? = error.extra.first(where: { $0.0 == "diagnostics" })?.1 {
                for item in items {
                    if case .string(let text) = item { message += "\n  " + text } else { message += "\n  " + item.compact }
                }
            }
            logger.error(message)
        }
        systemdNotify("READY=1", socket: notifySocket)
    }

    // MARK: Accepting

    private func acceptClients() {
        guard let listener else { return }
        // Bounded so that a connection storm cannot starve the clients already connected.
        for _ in 0..<64 {
            let fd = UnixSocket.accept(listener.fd)
            if fd < 0 {
                switch -fd {
                case EAGAIN, EWOULDBLOCK:
                    return
                case EINTR, ECONNABORTED, EPROTO:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    logger.error("cannot accept a client: \(Platform.errorText(-fd)); not accepting for 1 s")
                    acceptPausedUntil = Platform.monotonicSeconds() + 1
                    return
                default:
                    logger.error("cannot accept a client: \(Platform.errorText(-fd))")
                    return
                }
            }
            let now = Platform.monotonicSeconds()
            guard let peer = UnixSocket.peerCredentials(fd) else {
                logger.warning("refused a connection: cannot read its credentials (\(Platform.errorText(errno)))")
                Glibc.close(fd)
                continue
            }
            guard peer.uid == allowedUID else {
                // Nothing is sent: another user learns nothing about this daemon.
                if let told = foreignRefusals.refused("from uid \(peer.uid) (pid \(peer.pid))", now: now) { tellForeign(told) }
                Glibc.close(fd)
                continue
            }
            guard openClients < config.maxClients else {
                let line = Array((encodeError(id: nil, .tooManyClients(limit: config.maxClients)) + "\n").utf8)
                // A fresh socket's buffer is empty, so this one line fits without waiting.
                _ = line.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if let told = overLimitRefusals.refused("from pid \(peer.pid)", now: now) { tellOverLimit(told) }
                Glibc.close(fd)
                continue
            }
            let client = Client(fd: fd, number: nextClientNumber, pid: peer.pid, maxLineBytes: config.maxLineBytes, now: now)
            nextClientNumber += 1
            clients.append(client)
            openClients += 1
            player.clientCount = openClients
            logger.debug("client \(client.number) connected (pid \(peer.pid))")
            client.output.append(line: greeting(appVersion: appVersion).utf8, isEvent: false)
            sendPending(client)
        }
    }

    /// Writes the refusal counts that waited for their second to pass.
    private func reportRefusals(now: Double) {
        if let told = overLimitRefusals.take(now: now) { tellOverLimit(told) }
        if let told = foreignRefusals.take(now: now) { tellForeign(told) }
    }

    private func tellOverLimit(_ told: (count: Int, last: String)) {
        let what = told.count == 1 ? "a connection \(told.last)" : "\(told.count) connections since the last such line (the last \(told.last))"
        logger.warning("refused \(what): already \(openClients) clients (max_clients = \(config.maxClients))")
    }

    private func tellForeign(_ told: (count: Int, last: String)) {
        let what = told.count == 1 ? "a connection \(told.last)" : "\(told.count) connections of other users since the last such line (the last \(told.last))"
        logger.warning("refused \(what); only uid \(allowedUID) may control this daemon")
    }

    // MARK: Client I/O

    private func service(_ client: Client, revents: Int16) {
        guard !client.closed else { return }
        if revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
            abandon(client)
            return
        }
        if revents & Int16(POLLIN) != 0 { readFrom(client) }
        if !client.closed && revents & Int16(POLLOUT) != 0 { flush(client) }
    }

    /// One read per wake-up keeps a client that pipelines a lot from starving the others.
    private func readFrom(_ client: Client) {
        guard let buffer = readBuffer else { return }
        let n = recv(client.fd, buffer.baseAddress, buffer.count, 0)
        if n > 0 {
            client.framer.feed(UnsafeBufferPointer(rebasing: buffer[..<n]))
        } else if n == 0 {
            client.readClosed = true
        } else {
            switch errno {
            case EAGAIN, EWOULDBLOCK, EINTR: return
            default:
                logger.debug("client \(client.number): read failed: \(Platform.errorText(errno))")
                abandon(client)
                return
            }
        }
        pump(client)
    }

    /// Sends what is queued, then answers requests that were waiting for room.
    private func flush(_ client: Client) {
        sendPending(client)
        pump(client)
    }

    /// Answers buffered requests and sends the replies, for as long as sending makes room.
    /// Requests already in the framer never wake poll again, so they must be handled here
    /// whenever the reply queue drops under its limit, or the client would stall.
    private func pump(_ client: Client) {
        while !client.closed {
            let paused = processLines(client)
            sendPending(client)
            if !paused || client.closed || client.output.replyBytes > config.maxReplyQueueBytes { break }
        }
        finishIfDone(client)
    }

    /// Answers framed requests in order while the reply queue is under its limit; returns true
    /// when it stopped for that limit with requests left. At end of input the unterminated last
    /// line counts as a request too.
    @discardableResult
    private func processLines(_ client: Client) -> Bool {
        while !client.closed && !client.closeAfterFlush {
            if !client.peerGone && client.output.replyBytes > config.maxReplyQueueBytes { return true }
            guard let item = client.framer.nextLine() else { break }
            handle(item, from: client)
        }
        if client.readClosed && !client.inputDone && !client.closed && !client.closeAfterFlush {
            client.inputDone = true
            if let item = client.framer.finish() { handle(item, from: client) }
        }
        return false
    }

    private func handle(_ item: LineFramerOutput, from client: Client) {
        switch item {
        case .tooLong:
            reply(client, encodeError(id: nil, .lineTooLong(maxLineBytes: client.framer.maxLineBytes)))
            client.closeAfterFlush = true
            logger.notice("client \(client.number): request line longer than \(client.framer.maxLineBytes) bytes; closing it")
        case .line(let bytes):
            // Only a complete line restarts the idle timer: blank lines never reach here, and
            // bytes of an unfinished line do not count.
            client.lastRequest = Platform.monotonicSeconds()
            switch parseRequest(bytes) {
            case .failure(let failure):
                reply(client, failure.reply)
            case .success(let request):
                if case .subscribe(let names) = request.command {
                    reply(client, encodeReply(id: request.id, data: subscribe(client, names)))
                    return
                }
                switch player.handle(request.command) {
                case .success(let data): reply(client, encodeReply(id: request.id, data: data))
                case .failure(let error): reply(client, encodeError(id: request.id, error))
                }
            }
        }
    }

    /// Replaces the connection's event filter (nil: every event). An empty list unsubscribes,
    /// which also makes the idle timeout apply again.
    private func subscribe(_ client: Client, _ names: [EventName]?) -> JSON {
        let list = names ?? EventName.allCases
        client.subscription = list.isEmpty ? nil : Set(list)
        client.unreadSince = nil
        if !list.isEmpty {
            // Keep the kernel's buffer for a subscriber small, so that one that stops reading is
            // noticed after about max_event_queue_bytes, not after hundreds of KiB sit unread in
            // the socket (the kernel clamps the value to its own minimum).
            var size = Int32(clamping: config.maxEventQueueBytes)
            setsockopt(client.fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        return .object([("events", .array(list.map { .string($0.rawValue) }))])
    }

    private func reply(_ client: Client, _ line: String) {
        guard !client.peerGone else { return }
        client.output.append(line: line.utf8, isEvent: false)
    }

    /// Nonblocking: sends until the socket buffer is full, never waits.
    private func sendPending(_ client: Client) {
        let watched = client.subscription != nil
        if watched { noteReading(client) }
        defer { if watched && !client.closed { noteUnread(client) } }
        while !client.closed && !client.output.isEmpty {
            var failure: Int32 = 0
            let sent = client.output.send { bytes in
                let n = Glibc.send(client.fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                if n < 0 { failure = errno }
                return max(n, 0)
            }
            if sent > 0 { continue }
            switch failure {
            case EINTR: continue
            case 0, EAGAIN, EWOULDBLOCK: return
            case EPIPE, ECONNRESET: abandon(client)
            default:
                logger.debug("client \(client.number): write failed: \(Platform.errorText(failure))")
                close(client, nil)
            }
            return
        }
    }

    /// A subscriber is exempt from the idle timeout while it reads what it is sent. It has read
    /// something since the last look when the kernel holds less of our bytes for it than it did
    /// then (or none): that restarts its timer, or stops it when nothing at all is waiting.
    private func noteReading(_ client: Client) {
        guard client.unreadSince != nil else { return }
        let queued = UnixSocket.unreadByPeer(client.fd)
        if queued == 0 || queued < client.unreadBytes {
            client.unreadSince = queued == 0 && client.output.isEmpty ? nil : Platform.monotonicSeconds()
        }
        client.unreadBytes = queued
    }

    /// After sending to a subscriber: what is still unread starts its timer, unless running.
    private func noteUnread(_ client: Client) {
        let queued = UnixSocket.unreadByPeer(client.fd)
        client.unreadBytes = queued
        if queued == 0 && client.output.isEmpty {
            client.unreadSince = nil
        } else if client.unreadSince == nil {
            client.unreadSince = Platform.monotonicSeconds()
        }
    }

    /// The peer is gone entirely: run what it sent before leaving (a fire-and-forget `stop`
    /// must still stop), discard the replies, and close.
    private func abandon(_ client: Client) {
        guard !client.closed else { return }
        client.peerGone = true
        client.output.removeAll()
        if !client.closeAfterFlush {
            if let buffer = readBuffer, !client.readClosed {
                // Bounded by what the peer left in its socket buffer: nobody can add more.
                while true {
                    let n = recv(client.fd, buffer.baseAddress, buffer.count, 0)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { break }
                    client.framer.feed(UnsafeBufferPointer(rebasing: buffer[..<n]))
                    processLines(client)
                }
                client.readClosed = true
            }
            // Also the requests that were waiting for reply room (peerGone lifts that limit).
            processLines(client)
        }
        close(client, nil)
    }

    private func finishIfDone(_ client: Client) {
        guard !client.closed, client.output.isEmpty else { return }
        if client.closeAfterFlush || (client.readClosed && client.inputDone) { close(client, nil) }
    }

    private func close(_ client: Client, _ reason: String?) {
        guard !client.closed else { return }
        client.closed = true
        Glibc.close(client.fd)
        client.output.removeAll()
        openClients -= 1
        player.clientCount = openClients
        if let reason { logger.warning("client \(client.number): \(reason)") } else { logger.debug("client \(client.number) disconnected") }
    }

    // MARK: Events and timers

    /// Sends the pending events; true when there were any.
    @discardableResult
    private func distributeEvents() -> Bool {
        let events = player.takeEvents()
        guard !events.isEmpty else { return false }
        for source in sources { source.playerEvents(events) }
        // Encoded once, shared by every subscriber.
        let lines = events.map { (name: $0.0, bytes: Array(encodeEvent($0.0, $0.1).utf8)) }
        let limit = config.maxEventQueueBytes
        for client in clients where !client.closed && !client.peerGone && !client.closeAfterFlush {
            guard let filter = client.subscription else { continue }
            var added = false
            for line in lines where filter.contains(line.name) {
                client.output.append(line: line.bytes, isEvent: true)
                added = true
            }
            guard added else { continue }
            sendPending(client)
            if !client.closed && client.output.eventBytes > limit {
                close(client, "dropped: \(client.output.eventBytes) bytes of events unread (max_event_queue_bytes = \(limit))")
            }
        }
        return true
    }

    /// STATUS= for `systemctl --user status`: on every state change, and once a second while a
    /// session is active (the progress); an idle daemon is not woken for it.
    private func updateStatus(force: Bool) {
        guard notifySocket != nil else { return }
        let now = Platform.monotonicSeconds()
        let active = player.tickInterval != nil
        guard force || (active && now >= (statusDue ?? 0)) else { return }
        statusDue = active ? now + 1 : nil
        let line = player.statusLine
        guard line != lastStatus else { return }
        lastStatus = line
        systemdNotify("STATUS=" + line, socket: notifySocket)
    }

    /// WATCHDOG=1 from the loop itself, so it stops when the loop stops turning. A lost audio
    /// device does not stop it: that is waited out, not a reason for systemd to restart us.
    private func keepWatchdogHappy() {
        guard let interval = watchdogInterval, let due = watchdogDue else { return }
        let now = Platform.monotonicSeconds()
        guard now >= due else { return }
        systemdNotify("WATCHDOG=1", socket: notifySocket)
        watchdogDue = now + interval
    }

    /// A connection must complete a request line every `client_timeout` seconds; a subscriber
    /// instead must read what it is sent (it may wait for events as long as it likes, but one
    /// that stops reading would otherwise hold its slot for ever).
    private func expireIdleClients() {
        let timeout = config.clientTimeout
        let now = Platform.monotonicSeconds()
        for client in clients where !client.closed {
            if client.subscription == nil {
                guard now - client.lastRequest >= timeout else { continue }
                logger.info("client \(client.number): idle for \(formatSeconds(timeout)) (no complete request line); closing it")
            } else {
                guard let since = client.unreadSince, now - since >= timeout else { continue }
                // It may have read since the last send without waking us: look once more.
                noteReading(client)
                guard let still = client.unreadSince, now - still >= timeout else { continue }
                logger.info("client \(client.number): subscribed but has read nothing for \(formatSeconds(timeout)); closing it")
            }
            close(client, nil)
        }
    }

    private func closeListener() {
        guard let listener else { return }
        Glibc.close(listener.fd)
        // systemd's socket unit owns an inherited socket file (RemoveOnStop=).
        if !listener.inheritedFromSystemd { UnixSocket.removeIfOwn(socketPath, listener) }
        self.listener = nil
    }
}

private func formatSeconds(_ s: Double) -> String { formatNumber(s) + " s" }

/// One connection's state. A class so that the loop can update it in place through `clients`.
private final class Client {
    let fd: Int32
    let number: Int
    let pid: pid_t
    var framer: LineFramer
    var output = OutputQueue()
    /// Events this connection receives; nil when it has not subscribed.
    var subscription: Set<EventName>?
    /// When the connection was accepted or last completed a request line (monotonic seconds).
    var lastRequest: Double
    /// A subscriber: since when bytes sent to it have waited unread without it reading any;
    /// nil while it keeps up.
    var unreadSince: Double?
    /// What the kernel held unread for it at the last look (`UnixSocket.unreadByPeer`).
    var unreadBytes = 0
    /// EOF was read: answer what is buffered, send it, then close.
    var readClosed = false
    /// The framer's unterminated last line was handled after EOF.
    var inputDone = false
    /// After line_too_long: send what is queued, then close; read nothing more.
    var closeAfterFlush = false
    /// The peer closed both directions: replies are discarded.
    var peerGone = false
    var closed = false

    init(fd: Int32, number: Int, pid: pid_t, maxLineBytes: Int, now: Double) {
        self.fd = fd
        self.number = number
        self.pid = pid
        framer = LineFramer(maxLineBytes: maxLineBytes)
        lastRequest = now
    }
}
