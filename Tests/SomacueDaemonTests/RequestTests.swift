import Foundation
import Glibc
import Testing
import SomacueCore
import SomacueProtocol
@testable import SomacueDaemon

@Suite("Requests and replies over the socket")
struct RequestTests {
    @Test func greetingIsTheFirstLine() throws {
        let h = Harness()
        try h.start()
        defer { h.cleanup() }
        let c = try h.connect()
        #expect(c.readLine() == #"{"somacue":1,"version":"9.9-test"}"#)
    }

    @Test func pingEchoesTheID() throws {
        let h = Harness()
        try h.start()
        defer { h.cleanup() }
        let c = try h.connectGreeted()
        c.send(#"{"id":7,"cmd":"ping"}"# + "\n")
        #expect(c.readLine() == #"{"id":7,"ok":true,"data":{}}"#)
        c.send(#"{"id":-9223372036854775808,"cmd":"ping"}"# + "\r\n")
        #expect(c.readLine() == #"{"id":-9223372036854775808,"ok":true,"data":{}}"#)
        // Player errors carry the request's id too.
        c.send(#"{"id":8,"cmd":"stop"}"# + "\n")
        #expect(c.readLine() == #"{"id":8,"ok":false,"error":{"code":"wrong_state","message":"nothing is playing"}}"#)
    }

    @Test("id is null when it cannot be read", arguments: [
        (#"{"cmd":"ping"}"#, "missing_field"),
        (#"{"id":"1","cmd":"ping"}"#, "bad_type"),
        (#"{"id":1.5,"cmd":"ping"}"#, "bad_type"),
        (#"{"id":1e2,"cmd":"ping"}"#, "bad_type"),
        (#"{"id":99999999999999999999,"cmd":"ping"}"#, "out_of_range"),
    ])
    func idNull(line: String, code: String) throws {
        let h = Harness()
        try h.start()
        defer { h.cleanup() }
        let c = try h.connectGreeted()
        let reply = c.request(line)
        #expect(errorCode(reply) == code)
        #expect(replyID(reply) == .null)
        #expect(reply?["ok"] == .bool(false))
    }

    /// Each bad-input class gets its own code, and the same connection keeps working.
    @Test func badInputClassesKeepTheConnection() throws {
        let h = Harness()
        try h.start()
        defer { h.cleanup() }
        let c = try h.connectGreeted()
        let cases: [(String, [UInt8], String, JSON)] = [
            ("invalid JSON", Array(#"{"id":1,"cmd":"ping""#.utf8), "invalid_json", .null),
            ("trailing comma", Array(#"{"id":1,"cmd":"ping",}"#.utf8), "invalid_json", .null),
            ("invalid UTF-8", [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D], "invalid_utf8", .null),
            ("NUL byte", Array(#"{"id":1,"cmd":"ping"}"#.utf8) + [0], "invalid_json", .null),
            ("NUL inside", Array(#"{"id":1,"cmd":"pi"#.utf8) + [0] + Array(#"ng"}"#.utf8), "invalid_json", .null),
            ("not an object", Array("[1,2]".utf8), "not_an_object", .null),
            ("spaces only", Array("   ".utf8), "invalid_json", .null),
            ("unknown command", Array(#"{"id":3,"cmd":"dance"}"#.utf8), "unknown_command", .int(3)),
            ("missing argument", Array(#"{"id":4,"cmd":"volume"}"#.utf8), "missing_argument", .int(4)),
            ("out of range", Array(#"{"id":5,"cmd":"tempo","args":{"value":9}}"#.utf8), "out_of_range", .int(5)),
            ("wrong type", Array(#"{"id":6,"cmd":"tempo","args":{"value":"fast"}}"#.utf8), "bad_type", .int(6)),
            ("unknown event", Array(#"{"id":7,"cmd":"subscribe","args":{"events":["nope"]}}"#.utf8), "out_of_range", .int(7)),
        ]
        for (index, (label, bytes, code, id)) in cases.enumerated() {
            c.send(bytes + [0x0A])
            let reply = json(c.readLine())
            #expect(errorCode(reply) == code, "\(label)")
            #expect(replyID(reply) == id, "\(label)")
            let ping = c.request(#"{"id":\#(1000 + index),"cmd":"ping"}"#)
            #expect(isOK(ping) && replyID(ping) == .int(Int64(1000 + index)), "connection unusable after \(label)")
        }
    }

    @Test func tenThousandPipelinedPingsInOneWrite() throws {
        let h = Harness()
        try h.start()
        defer { h.cleanup() }
        let c = try h.connectGreeted()
        var batch: [UInt8] = []
        for i in 1...10_000 { batch += Array(#"{"id":\#(i),"cmd":"ping"}"#.utf8) + [0x0A] }
        c.send(batch)
        let lines = c.readLines(10_000, timeout: 30)
        #expect(lines.count == 10_000)
        var inOrder = true
        for (i, line) in lines.enumerated() where line != #"{"id":\#(i + 1),"ok":true,"data":{}}"# {
            inOrder = false
            Issue.record("reply \(i + 1): \(line)")
            break
        }
        #expect(inOrder)
        #expect(isOK(c.request(#"{"id":1,"cmd":"ping"}"#)))
    }

    @Test func overLongLineGetsLineTooLongThenClose() throws {
        let h = Harness(config: config { $0.maxLineBytes = 256 })
        try h.start()
        defer { h.cleanup() }
        let c = try h.connectGreeted()
        // A fine request first: it is answered before the long one.
        c.send(#"{"id":1,"cmd":"ping"}"# + "\n" + String(repeating: "x", count: 5000) + "\n" + #"{"id":2,"cmd":"ping"}"# + "\n")
        #expect(c.readLine() == #"{"id":1,"ok":true,"data":{}}"#)
        let reply = json(c.readLine())
        #expect(errorCode(reply) == "line_too_long")
        #expect(replyID(reply) == .null)
        #expect(c.waitForEOF())
        #expect(c.remainingLines().isEmpty, "nothing after line_too_long")
    }

    @Test func exactlyMaxLineBytesIsAccepted() throws {
        let h = Harness(config: config { $0.maxLineBytes = 256 })
        try h.start()
        defer { h.cleanup() }
        let c = try h.connectGreeted()
        let base = #"{"id":1,"cmd":"ping"}"#
        let line = base + String(repeating: " ", count: 256 - base.utf8.count)
        #expect(isOK(c.request(line)))
    }

    @Test func halfCloseGetsEveryReplyThenEOF() throws {
        let h = Harness()
        try h.start()
        defer { h.cleanup() }
        let c = try h.connectGreeted()
        // The last request has no newline: EOF ends it.
        c.send(#"{"id":1,"cmd":"ping"}"# + "\n" + #"{"id":2,"cmd":"ping"}"# + "\n" + #"{"id":3,"cmd":"ping"}"#)
        c.shutdownWrite()
        #expect(c.readLines(3) == (1...3).map { #"{"id":\#($0),"ok":true,"data":{}}"# })
        #expect(c.waitForEOF())
        #expect(waitUntil { h.player.clientCount == 0 })
    }

    @Test func requestsOfAClientThatLeftStillRun() throws {
        let h = Harness()
        try h.start()
        defer { h.cleanup() }
        do {
            let c = try h.connectGreeted()
            c.send(#"{"id":1,"cmd":"next"}"# + "\n")
        }  // closed without reading the reply
        #expect(waitUntil { h.player.handled.contains(.next) })
        #expect(waitUntil { h.player.clientCount == 0 })
    }

    @Test func subscribeRepliesWithTheEventsAndFilters() throws {
        let h = Harness(player: FakePlayer(eventsPerToggle: 4))
        try h.start()
        defer { h.cleanup() }
        let all = try h.connectGreeted()
        let states = try h.connectGreeted()
        #expect(all.request(#"{"id":1,"cmd":"subscribe"}"#)?["data"]
                == .object([("events", .array(EventName.allCases.map { .string($0.rawValue) }))]))
        #expect(states.request(#"{"id":2,"cmd":"subscribe","args":{"events":["state","state"]}}"#)?["data"]
                == .object([("events", .array([.string("state")]))]))
        #expect(states.request(#"{"id":3,"cmd":"toggle"}"#)?["ok"] == .bool(true))
        let stateEvents = states.readLines(2)
        #expect(stateEvents.count == 2)
        #expect(stateEvents.allSatisfy { $0.hasPrefix(#"{"event":"state","#) })
        let allEvents = all.readLines(4)
        #expect(allEvents.map { json($0)?["event"] } == [.string("state"), .string("phase"), .string("state"), .string("phase")])
        #expect(allEvents.first == #"{"event":"state","n":0,"pad":"\#(String(repeating: "x", count: 40))"}"#)
        // Nothing else arrives (the filtered-out phase events included).
        #expect(states.readLine(timeout: 0.2) == nil)
    }

    @Test func clientCountFollowsConnections() throws {
        let h = Harness()
        try h.start()
        defer { h.cleanup() }
        let a = try h.connectGreeted()
        var b: TestClient? = try h.connectGreeted()
        #expect(waitUntil { h.player.clientCount == 2 })
        #expect(a.request(#"{"id":1,"cmd":"status"}"#)?["data"] == .object([("clients", .int(2))]))
        _ = b
        b = nil
        #expect(waitUntil { h.player.clientCount == 1 })
    }
}
