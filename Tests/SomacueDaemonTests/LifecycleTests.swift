import Foundation
import Glibc
import Testing
import SomacueCore
import SomacuePlatform
import SomacueProtocol
@testable import SomacueDaemon

/// A datagram socket standing in for systemd's notify socket.
final class NotifyListener {
    let fd: Int32
    let name: String

    /// `name` is a path, or "@…" for the abstract namespace.
    init(name: String) throws {
        self.name = name
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let abstract = name.hasPrefix("@")
        let bytes = Array((abstract ? String(name.dropFirst()) : name).utf8)
        let rc = UnixSocket.withAddress(bytes, abstract: abstract) { bind(fd, $0, $1) } ?? -1
        guard rc == 0 else { throw HarnessError("bind notify socket: \(errno)") }
    }

    deinit { close(fd) }

    func receive(timeout: Double = 5) -> String? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let end = Date().addingTimeInterval(timeout)
        while end.timeIntervalSinceNow > 0 {
            let r = poll(&p, 1, Int32(end.timeIntervalSinceNow * 1000) + 1)
            if r < 0 && errno == EINTR { continue }
            guard r > 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 { return String(decoding: buffer[0..<n], as: UTF8.self) }
        }
        return nil
    }
}

@Suite("Shutdown, reload, signals, systemd, logging")
struct LifecycleTests {
    @Test func requestStopShutsDownCleanly() throws {
        let h = Harness()
        try h.start()
        defer { removeTree(h.directory) }
        let c = try h.connectGreeted()
        #expect(waitUntil { h.player.clientCount == 1 })
        h.server.requestStop()
        let result = h.waitForExit()
        #expect(result != nil, "run() did not return")
        if case .failure(let e)? = result { Issue.record("run() threw \(e)") }
        #expect(h.player.shutdowns == 1)
        #expect(h.player.clientCount == 0)
        #expect(!Platform.exists(h.path), "socket file left behind")
        #expect(c.waitForEOF())
        #expect(h.log.contains("shutting down"))
    }

    @Test func reloadLogsSuccess() throws {
        let h = Harness()
        try h.start()
        defer { h.cleanup() }
        h.server.requestReload()
        #expect(waitUntil { h.player.reloads == 1 })
        #expect(waitUntil { h.log.contains("reload done") })
    }

    @Test func failedReloadLogsDiagnosticsAsErrors() throws {
        let player = FakePlayer()
        player.state.withLock {
            $0.reloadResult = .failure(ProtocolError(.reloadFailed, "2 problems; nothing was changed",
                                                     extra: [("diagnostics", .array([.string("config.toml:3: unknown key \"x\""), .string("sessions/a.toml:1: bad")]))]))
        }
        let h = Harness(player: player)
        try h.start()
        defer { h.cleanup() }
        h.server.requestReload()
        #expect(waitUntil { h.log.contains("sessions/a.toml:1: bad") })
        let entry = h.log.all.first { $0.contains("reload failed") } ?? ""
        #expect(entry.contains("2 problems; nothing was changed"))
        #expect(entry.contains("somacued:   config.toml:3: unknown key \"x\"\n"))
    }

    /// Real signals to this test process. Safe because the handlers are installed before the
    /// greeting is sent (the greeting is our proof), and only this test installs them.
    @Test func sighupReloadsAndSigtermStops() throws {
        let h = Harness(handleSignals: true)
        try h.start()
        defer { removeTree(h.directory) }
        let c = try h.connectGreeted()

        // A second server in the same process cannot take the handlers over.
        let rival = Harness(handleSignals: true)
        try rival.start()
        if case .failure(let e)? = rival.waitForExit() {
            #expect(e.description.contains("already handles signals"))
        } else {
            Issue.record("a second signal-handling server started")
        }
        #expect(!Platform.exists(rival.path))
        removeTree(rival.directory)

        kill(getpid(), SIGHUP)
        #expect(waitUntil { h.player.reloads == 1 })
        #expect(isOK(c.request(#"{"id":1,"cmd":"ping"}"#)), "SIGHUP disturbed a client")

        kill(getpid(), SIGTERM)
        let result = h.waitForExit()
        #expect(result != nil, "run() did not return after SIGTERM")
        if case .failure(let e)? = result { Issue.record("run() threw \(e)") }
        #expect(h.player.shutdowns == 1)
        #expect(!Platform.exists(h.path))
        #expect(h.log.contains("SIGTERM received"))
        #expect(c.waitForEOF())
    }

    @Test func notifySendsReadyReloadingAndStopping() throws {
        let h = Harness()
        let listener = try NotifyListener(name: h.directory + "/notify")
        h.server.notifySocket = listener.name
        try h.start()
        defer { removeTree(h.directory) }
        // STATUS= comes from the player (the fake one has no session to name).
        #expect(listener.receive() == "READY=1\nSTATUS=Running")
        h.server.requestReload()
        let reloading = listener.receive() ?? ""
        #expect(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        #expect(listener.receive() == "READY=1")
        h.stop()
        #expect(listener.receive() == "STOPPING=1\nSTATUS=Stopping")
    }

    @Test func watchdogPingsComeFromTheLoopAtTheInterval() throws {
        let h = Harness()
        let listener = try NotifyListener(name: h.directory + "/notify")
        h.server.notifySocket = listener.name
        h.server.watchdogInterval = 0.2
        try h.start()
        defer { removeTree(h.directory) }
        #expect(listener.receive() == "READY=1\nSTATUS=Running")
        // An idle loop still wakes for them, and never sooner than the interval.
        var times: [Double] = []
        for _ in 0..<4 {
            #expect(listener.receive() == "WATCHDOG=1")
            times.append(Platform.monotonicSeconds())
        }
        for (a, b) in zip(times, times.dropFirst()) { #expect(b - a > 0.15, "\(b - a) s apart") }
        h.stop()
    }

    @Test func notifyToPathAndAbstractSockets() throws {
        let directory = makeTempDirectory()
        defer { removeTree(directory) }
        let path = try NotifyListener(name: directory + "/n")
        #expect(systemdNotify("READY=1", socket: path.name))
        #expect(path.receive() == "READY=1")
        let abstract = try NotifyListener(name: "@somacue-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        #expect(systemdNotify("STOPPING=1", socket: abstract.name))
        #expect(abstract.receive() == "STOPPING=1")
        #expect(!systemdNotify("READY=1", socket: nil))
        #expect(!systemdNotify("READY=1", socket: ""))
        #expect(!systemdNotify("READY=1", socket: "relative/path"))
        #expect(!systemdNotify("READY=1", socket: directory + "/nobody-listens"))
    }

    @Test func journaldPrefixes() {
        let logger = DaemonLogger(journal: true, sink: { _ in })
        #expect(logger.format(.error, "boom") == "<3>boom\n")
        #expect(logger.format(.warning, "hmm") == "<4>hmm\n")
        #expect(logger.format(.notice, "note") == "<5>note\n")
        #expect(logger.format(.info, "fyi") == "<6>fyi\n")
        #expect(logger.format(.debug, "x") == "<7>x\n")
        // Every line keeps the priority.
        #expect(logger.format(.error, "reload failed\n  a.toml:1") == "<3>reload failed\n<3>  a.toml:1\n")
        let plain = DaemonLogger(journal: false, sink: { _ in })
        #expect(plain.format(.warning, "two\nlines") == "somacued: two\nsomacued: lines\n")
    }

    @Test func journalDetectionComparesStderr() {
        var st = stat()
        #expect(fstat(2, &st) == 0)
        #expect(DaemonLogger.stderrIsJournal("\(st.st_dev):\(st.st_ino)"))
        #expect(!DaemonLogger.stderrIsJournal("\(st.st_dev):\(st.st_ino &+ 1)"))
        #expect(!DaemonLogger.stderrIsJournal("garbage"))
        #expect(!DaemonLogger.stderrIsJournal(nil))
    }

    @Test func levelsFilter() {
        let capture = LogCapture()
        let logger = DaemonLogger(journal: true, sink: { capture.append($0) })
        logger.debug("hidden")
        logger.info("shown")
        logger.minimumLevel = .warning
        logger.notice("hidden too")
        logger.error("bad")
        #expect(capture.all == ["<6>shown\n", "<3>bad\n"])
        #expect(DaemonLogger.Level(name: "WARN") == .warning)
        #expect(DaemonLogger.Level(name: "loud") == nil)
    }
}
