import Foundation
import Glibc
import Synchronization
import Testing
import SomacueCore
import SomacueProtocol
@testable import SomacueDaemon

@Suite("Limits: clients, queues, timeouts, idling")
struct LimitTests {
    @Test func clientBeyondMaxClientsGetsTooManyClients() throws {
        let h = Harness(config: config { $0.maxClients = 3 })
        try h.start()
        defer { h.cleanup() }
        var first: TestClient? = try h.connectGreeted()
        let others = [try h.connectGreeted(), try h.connectGreeted()]
        let fourth = try h.connect()
        let reply = json(fourth.readLine())
        #expect(errorCode(reply) == "too_many_clients")
        #expect(replyID(reply) == .null)
        #expect(fourth.waitForEOF())
        #expect(waitUntil { h.log.contains("max_clients = 3") })
        // The others are unaffected, and a freed slot is usable again.
        #expect(isOK(others[0].request(#"{"id":1,"cmd":"ping"}"#)))
        _ = first
        first = nil
        #expect(waitUntil { h.player.clientCount == 2 })
        let fifth = try h.connect()
        #expect(fifth.readLine()?.hasPrefix(#"{"somacue":1"#) == true)
    }

    /// A subscriber that never reads is dropped once its unread events pass the limit; a
    /// subscriber that reads receives every event.
    @Test func slowSubscriberIsDroppedOthersKeepReceiving() throws {
        let perToggle = 200
        let toggles = 60  // ~60 bytes per event: about 700 KB in all, far beyond socket buffers
        let h = Harness(config: config { $0.maxEventQueueBytes = 16_384 }, player: FakePlayer(eventsPerToggle: perToggle))
        try h.start()
        defer { h.cleanup() }
        let stuck = try h.connectGreeted()
        let reader = try h.connectGreeted()
        let driver = try h.connectGreeted()
        #expect(isOK(stuck.request(#"{"id":1,"cmd":"subscribe"}"#)))
        #expect(isOK(reader.request(#"{"id":1,"cmd":"subscribe"}"#)))

        var received = 0
        var inOrder = true
        for t in 0..<toggles {
            #expect(isOK(driver.request(#"{"id":\#(t),"cmd":"toggle"}"#)))
            // Keep up with each burst so that only the stuck subscriber falls behind.
            for line in reader.readLines(perToggle) {
                if json(line)?["n"] != .int(Int64(received)) { inOrder = false }
                received += 1
            }
        }
        #expect(received == perToggle * toggles)
        #expect(inOrder)
        #expect(h.log.contains("max_event_queue_bytes = 16384"))
        // The stuck one gets what the kernel held, then EOF; far fewer events than were sent.
        #expect(stuck.waitForEOF(timeout: 10))
        #expect(stuck.remainingLines().count < perToggle * toggles)
        #expect(isOK(reader.request(#"{"id":99,"cmd":"ping"}"#)))
    }

    /// Replies that pile up pause reading that client, without dropping it; once it reads,
    /// every reply arrives in order.
    @Test func replyBackPressurePausesReadingNeverDrops() throws {
        let h = Harness(config: config { $0.maxReplyQueueBytes = 1024 })
        try h.start()
        defer { h.cleanup() }
        let c = try h.connectGreeted()
        // About 1.1 MB of requests: more than the kernel buffers in both directions can hold.
        let total = 40_000
        var requests: [UInt8] = []
        for i in 1...total { requests += Array(#"{"id":\#(i),"cmd":"status"}"#.utf8) + [0x0A] }

        // Write without reading until the server stops taking requests.
        var offset = 0
        var stalled = 0
        while offset < requests.count && stalled < 40 {
            let n = c.sendWithoutReading(requests[offset...])
            if n > 0 { offset += n; stalled = 0 } else { stalled += 1; usleep(5_000) }
        }
        #expect(offset < requests.count, "the server never pushed back")
        // A slow server (a loaded machine, a sanitizer build) may still be working through
        // requests it read before it paused: wait until the count settles, then check it stays.
        var handledWhilePaused = h.player.handledCount
        for _ in 0..<100 {
            usleep(300_000)
            let now = h.player.handledCount
            if now == handledWhilePaused { break }
            handledWhilePaused = now
        }
        usleep(300_000)
        #expect(h.player.handledCount == handledWhilePaused, "requests were read while replies waited")
        #expect(handledWhilePaused < total)
        #expect(h.player.clientCount == 1, "the client was dropped")

        // Now read: everything is answered, in order.
        c.send(Array(requests[offset...]))
        let lines = c.readLines(total, timeout: 60)
        #expect(lines.count == total)
        var bad = 0
        for (i, line) in lines.enumerated() where json(line)?["id"] != .int(Int64(i + 1)) || !isOK(json(line)) { bad += 1 }
        #expect(bad == 0)
        #expect(h.player.handledCount == total)
    }

    @Test func idleUnsubscribedClientIsClosed() throws {
        let h = Harness(config: config { $0.clientTimeout = 0.3 })
        try h.start()
        defer { h.cleanup() }
        let idle = try h.connectGreeted()
        let subscriber = try h.connectGreeted()
        #expect(isOK(subscriber.request(#"{"id":1,"cmd":"subscribe"}"#)))
        let started = Date()
        #expect(idle.waitForEOF(timeout: 5))
        let waited = Date().timeIntervalSince(started)
        #expect(waited > 0.2 && waited < 2.5, "closed after \(waited) s")
        #expect(h.log.contains("idle for"))
        // Subscribers wait for events as long as they like.
        usleep(500_000)
        #expect(isOK(subscriber.request(#"{"id":2,"cmd":"ping"}"#)))
    }

    @Test func activityResetsTheIdleTimer() throws {
        let h = Harness(config: config { $0.clientTimeout = 1 })
        try h.start()
        defer { h.cleanup() }
        let c = try h.connectGreeted()
        for i in 0..<6 {  // 1.5 s in all, more than the timeout
            usleep(250_000)
            #expect(isOK(c.request(#"{"id":\#(i),"cmd":"ping"}"#)), "closed although active")
        }
    }

    /// Sends `chunks` one every 100 ms (for at most 8 s) to a server with a 0.5 s idle timeout;
    /// returns after how many seconds the server closed the connection, nil if it never did.
    func closedWhileSending(_ chunks: [[UInt8]]) throws -> (after: Double?, log: LogCapture, handled: Int) {
        let h = Harness(config: config { $0.clientTimeout = 0.5 })
        try h.start()
        defer { h.cleanup() }
        let c = try h.connectGreeted()
        let started = Date()
        for chunk in chunks where Date().timeIntervalSince(started) < 8 {
            c.send(chunk)
            if !c.fill(timeout: 0.1) && c.sawEOF { return (Date().timeIntervalSince(started), h.log, h.player.handledCount) }
        }
        return (nil, h.log, h.player.handledCount)
    }

    /// Blank lines are skipped by the framer and are no request: they must not keep a
    /// connection's slot.
    @Test func blankLinesDoNotResetTheIdleTimer() throws {
        let r = try closedWhileSending(Array(repeating: Array("\r\n\n".utf8), count: 100))
        let after = try #require(r.after, "a client sending only blank lines kept its slot for 8 s")
        #expect(after < 6, "closed only after \(after) s")
        #expect(r.log.contains("idle for"))
        #expect(r.handled == 0)
    }

    /// The bytes of a line that never ends are no request either.
    @Test func aPartialLineDoesNotResetTheIdleTimer() throws {
        // One byte of `{"id":1,"cmd":"ping"` and then spaces, never a newline.
        let dribble = Array(#"{"id":1,"cmd":"ping""#.utf8) + [UInt8](repeating: 0x20, count: 200)
        let r = try closedWhileSending(dribble.map { [$0] })
        let after = try #require(r.after, "a client dribbling a partial line kept its slot for 8 s")
        #expect(after < 6, "closed only after \(after) s")
        #expect(r.handled == 0)
    }

    /// A subscriber that stops reading its events loses the exemption once what it was sent
    /// has waited unread for the timeout, even when its events fit in the kernel's buffer.
    @Test func aSubscriberThatStopsReadingIsClosed() throws {
        let h = Harness(config: config { $0.clientTimeout = 0.5 }, player: FakePlayer(eventsPerToggle: 4))
        try h.start()
        defer { h.cleanup() }
        let stuck = try h.connectGreeted()
        let reader = try h.connectGreeted()
        #expect(isOK(stuck.request(#"{"id":1,"cmd":"subscribe"}"#)))
        #expect(isOK(reader.request(#"{"id":1,"cmd":"subscribe"}"#)))
        let started = Date()
        var closedAfter: Double?
        var received = 0
        // A few hundred bytes of events every 200 ms (far below max_event_queue_bytes); the
        // reader reads them all, the stuck one none. The driver completes a request each time.
        for t in 0..<40 where closedAfter == nil {
            let driver = try h.connectGreeted()
            #expect(isOK(driver.request(#"{"id":\#(t),"cmd":"toggle"}"#)))
            received += reader.readLines(4).count
            usleep(200_000)
            if h.log.contains("has read nothing") { closedAfter = Date().timeIntervalSince(started) }
        }
        let after = try #require(closedAfter, "a subscriber that reads nothing kept its slot for 8 s")
        #expect(after < 6, "closed only after \(after) s")
        #expect(stuck.waitForEOF(timeout: 5))
        // The reader kept up all along and is still served.
        #expect(received >= 8)
        #expect(isOK(reader.request(#"{"id":2,"cmd":"ping"}"#)))
        #expect(h.log.all.filter { $0.contains("has read nothing") }.count == 1)
    }

    /// A connection storm over max_clients gives at most about one log line a second, and the
    /// lines count every refusal.
    @Test func refusalsAreLoggedAtMostOnceASecondWithACount() throws {
        let h = Harness(config: config { $0.maxClients = 1 })
        try h.start()
        defer { h.cleanup() }
        let holder = try h.connectGreeted()
        let started = Date()
        let storm = 300
        for _ in 0..<storm {
            let c = try h.connect()
            #expect(errorCode(json(c.readLine())) == "too_many_clients")
        }
        let elapsed = Date().timeIntervalSince(started)
        func refusalLines() -> [String] { h.log.all.filter { $0.contains("refused") } }
        func counted() -> Int {
            refusalLines().reduce(0) { total, line in
                if line.contains("refused a connection") { return total + 1 }
                let words = line.split(separator: " ")
                guard let i = words.firstIndex(of: "refused"), i + 1 < words.count, let n = Int(words[i + 1]) else { return total }
                return total + n
            }
        }
        // The count of the last second's refusals follows within about a second.
        #expect(waitUntil(timeout: 5) { counted() == storm }, "\(counted()) of \(storm) refusals told: \(refusalLines())")
        let lines = refusalLines()
        // One line at once, then at most one a second (generous: the storm took \(elapsed) s).
        #expect(lines.count <= Int(elapsed.rounded(.up)) + 3, "\(lines.count) lines for \(storm) refusals in \(elapsed) s")
        #expect(lines.allSatisfy { $0.contains("max_clients = 1") })
        #expect(lines.contains { $0.contains("since the last such line") })
        #expect(isOK(holder.request(#"{"id":1,"cmd":"ping"}"#)))
    }

    /// With no clients and an idle player, poll sleeps without a timeout: no wake-ups at all.
    @Test func idleDaemonDoesNotWakeUp() throws {
        let h = Harness()
        try h.start()
        defer { h.cleanup() }
        usleep(100_000)
        let before = h.server.iterations.load(ordering: .relaxed)
        usleep(700_000)
        #expect(h.server.iterations.load(ordering: .relaxed) == before)
        // A connected, subscribed client does not cause wake-ups either.
        let c = try h.connectGreeted()
        #expect(isOK(c.request(#"{"id":1,"cmd":"subscribe"}"#)))
        usleep(100_000)
        let connected = h.server.iterations.load(ordering: .relaxed)
        usleep(500_000)
        #expect(h.server.iterations.load(ordering: .relaxed) == connected)
    }

    @Test func tickRunsAtThePlayersInterval() throws {
        let player = FakePlayer(tickInterval: 20)
        let h = Harness(player: player)
        try h.start()
        defer { h.cleanup() }
        usleep(500_000)
        let ticks = player.ticks
        // 25 expected; the bounds leave room for a loaded machine.
        #expect(ticks >= 5 && ticks <= 30, "\(ticks) ticks in 0.5 s at 20 ms")
        // Busy sockets do not postpone ticks.
        let c = try h.connectGreeted()
        let before = player.ticks
        let end = Date().addingTimeInterval(0.3)
        while Date() < end { _ = c.request(#"{"id":1,"cmd":"ping"}"#) }
        #expect(player.ticks - before >= 5)
        player.state.withLock { $0.tickInterval = nil }
        _ = c.request(#"{"id":2,"cmd":"ping"}"#)
        usleep(100_000)
        let stopped = player.ticks
        usleep(300_000)
        #expect(player.ticks == stopped, "ticked while the player was idle")
    }

    @Test func updateLimitsAppliesToNewClients() throws {
        let h = Harness(config: config { $0.maxClients = 1 })
        try h.start()
        defer { h.cleanup() }
        let first = try h.connectGreeted()
        #expect(errorCode(json(try h.connect().readLine())) == "too_many_clients")
        // As in the daemon, the new limits arrive on the server's thread, during a reload.
        h.player.onReload = { [h] in h.server.updateLimits(config { $0.maxClients = 2 }) }
        defer { h.player.onReload = nil }  // the closure holds the harness that holds the player
        h.server.requestReload()
        #expect(waitUntil { h.player.reloads == 1 })
        let second = try h.connect()
        #expect(second.readLine()?.hasPrefix(#"{"somacue""#) == true)
        _ = first
    }
}

@Suite("OutputQueue")
struct OutputQueueTests {
    @Test func countsEventBytesAcrossPartialSends() {
        var q = OutputQueue()
        q.append(line: Array("abc".utf8), isEvent: false)      // 4 bytes
        q.append(line: Array("eventline".utf8), isEvent: true)  // 10 bytes
        q.append(line: Array("r".utf8), isEvent: false)        // 2 bytes
        q.append(line: Array("e2".utf8), isEvent: true)        // 3 bytes
        #expect(q.count == 19 && q.eventBytes == 13 && q.replyBytes == 6)
        var sent: [UInt8] = []
        for chunk in [3, 5, 7, 100] {
            _ = q.send { raw in
                let n = min(chunk, raw.count)
                sent += raw.prefix(n)
                return n
            }
            #expect(q.eventBytes + q.replyBytes == q.count)
        }
        #expect(String(decoding: sent, as: UTF8.self) == "abc\neventline\nr\ne2\n")
        #expect(q.isEmpty && q.eventBytes == 0)
    }

    @Test func eventBytesAfterEachStep() {
        var q = OutputQueue()
        q.append(line: Array("rr".utf8), isEvent: false)  // 3
        q.append(line: Array("eeee".utf8), isEvent: true)  // 5
        _ = q.send { _ in 2 }
        #expect(q.eventBytes == 5 && q.replyBytes == 1)
        _ = q.send { _ in 3 }
        #expect(q.eventBytes == 3 && q.replyBytes == 0)
    }
}
