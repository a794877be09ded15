import SomacueCore
import SomacueProtocol
import Testing

/// Feeds `input` in chunks of `chunk` bytes (all at once when nil), draining after each feed.
func frame(_ input: [UInt8], chunk: Int? = nil, max: Int = 4096) -> [LineFramerOutput] {
    var framer = LineFramer(maxLineBytes: max)
    var out: [LineFramerOutput] = []
    var offset = 0
    repeat {
        let end = chunk.map { Swift.min(offset + $0, input.count) } ?? input.count
        framer.feed(input[offset..<end])
        offset = end
        while let item = framer.nextLine() { out.append(item) }
    } while offset < input.count
    return out
}

func lines(_ strings: String...) -> [LineFramerOutput] { strings.map { .line(Array($0.utf8)) } }

struct FramerCase: Sendable, CustomTestStringConvertible {
    let label: String
    let input: [UInt8]
    let max: Int
    let expected: [LineFramerOutput]
    var testDescription: String { label }

    init(_ label: String, _ input: String, max: Int = 4096, _ expected: [LineFramerOutput]) {
        self.label = label
        self.input = Array(input.utf8)
        self.max = max
        self.expected = expected
    }
}

let framerCases: [FramerCase] = [
    FramerCase("LF", "a\nb\n", lines("a", "b")),
    FramerCase("CRLF", "a\r\nb\r\n", lines("a", "b")),
    FramerCase("mixed endings", "a\r\nb\nc\r\n", lines("a", "b", "c")),
    FramerCase("only one CR is stripped", "a\r\r\n", lines("a\r")),
    FramerCase("CR inside a line is kept", "a\rb\n", lines("a\rb")),
    FramerCase("empty lines are skipped", "\n\n\r\na\n\r\n\nb\n\n", lines("a", "b")),
    FramerCase("only empty lines", "\n\r\n\n", []),
    FramerCase("a whitespace line is a line", "  \n", lines("  ")),
    FramerCase("unterminated tail waits", "a\nb", lines("a")),
    FramerCase("exactly the limit", "12345678\n", max: 8, lines("12345678")),
    FramerCase("exactly the limit with CRLF", "12345678\r\n", max: 8, lines("12345678")),
    FramerCase("one over the limit", "123456789\n", max: 8, [.tooLong]),
    FramerCase("one over the limit with CRLF", "123456789\r\n", max: 8, [.tooLong]),
    FramerCase("over the limit without a newline yet", "123456789", max: 8, [.tooLong]),
    FramerCase("limit plus a pending CR waits", "12345678\r", max: 8, []),
    FramerCase("lines before a long one come first", "ok\n123456789\nnever\n", max: 8, lines("ok") + [.tooLong]),
    FramerCase("tooLong is reported once, nothing after", "123456789\nok\nok\n", max: 8, [.tooLong]),
]

@Suite("LineFramer")
struct LineFramerTests {
    @Test("framing", arguments: framerCases)
    func framing(_ c: FramerCase) {
        #expect(frame(c.input, max: c.max) == c.expected, "all at once")
        #expect(frame(c.input, chunk: 1, max: c.max) == c.expected, "byte by byte")
        #expect(frame(c.input, chunk: 3, max: c.max) == c.expected, "3 bytes at a time")
    }

    @Test("a stream split at every possible point gives the same lines")
    func splits() {
        let stream = Array("{\"id\":1,\"cmd\":\"ping\"}\r\n\n{\"id\":2,\"cmd\":\"status\"}\n\r\n{\"id\":3,\"cmd\":\"stop\"}\n".utf8)
        let whole = frame(stream)
        #expect(whole.count == 3)
        for cut in 0...stream.count {
            var framer = LineFramer()
            var out: [LineFramerOutput] = []
            framer.feed(stream[..<cut])
            while let l = framer.nextLine() { out.append(l) }
            framer.feed(stream[cut...])
            while let l = framer.nextLine() { out.append(l) }
            #expect(out == whole, "cut at \(cut)")
        }
        for chunk in [1, 2, 5, 7, 13, 64] {
            #expect(frame(stream, chunk: chunk) == whole, "chunks of \(chunk)")
        }
    }

    @Test("the default limit is 4096 bytes, without the newline")
    func defaultLimit() {
        let ok = [UInt8](repeating: 0x61, count: 4096)
        #expect(frame(ok + [0x0A]) == [.line(ok)])
        #expect(frame(ok + [0x0D, 0x0A]) == [.line(ok)])
        #expect(frame(ok + [0x61, 0x0A]) == [.tooLong])
        #expect(frame(ok + [0x61, 0x0A], chunk: 1) == [.tooLong])
    }

    @Test("an endless line is cut off before the newline arrives, and later input is ignored")
    func endless() {
        var framer = LineFramer(maxLineBytes: 100)
        for _ in 0..<10 { framer.feed([UInt8](repeating: 0x7B, count: 50)) }
        #expect(framer.nextLine() == .tooLong)
        #expect(framer.hasFailed)
        #expect(framer.nextLine() == nil)
        framer.feed(Array("{\"id\":1,\"cmd\":\"ping\"}\n".utf8))
        #expect(framer.nextLine() == nil)
        #expect(framer.bufferedByteCount == 0)
    }

    @Test("finish hands out the unterminated last line")
    func finish() {
        var framer = LineFramer(maxLineBytes: 8)
        framer.feed(Array("a\nbc\r".utf8))
        #expect(framer.nextLine() == .line([0x61]))
        #expect(framer.nextLine() == nil)
        #expect(framer.finish() == .line([0x62, 0x63]))
        #expect(framer.finish() == nil)
        framer.feed(Array("123456789".utf8))
        #expect(framer.finish() == .tooLong)
    }

    @Test("consumed input is released: the buffer holds only the unread tail")
    func compaction() {
        var framer = LineFramer()
        let line = Array("{\"id\":1,\"cmd\":\"ping\"}\n".utf8)
        for _ in 0..<5000 {
            framer.feed(line + line.prefix(5))
            while framer.nextLine() != nil {}
            framer.feed(line.dropFirst(5))
            while framer.nextLine() != nil {}
            #expect(framer.bufferedByteCount == 0)
        }
    }

    @Test("10,000 pipelined requests in one feed frame and parse in linear time")
    func pipelined() throws {
        let count = 10_000
        var stream: [UInt8] = []
        for i in 0..<count {
            let command: Command = i % 3 == 0 ? .status : i % 3 == 1 ? .volume(.voice, 0.5) : .start(StartArgs(session: "morning", tempo: 0.9))
            stream += Array(encodeRequest(id: Int64(i), command: command).utf8)
            stream += i % 2 == 0 ? [0x0A] : [0x0D, 0x0A]
        }
        let clock = ContinuousClock()
        var framer = LineFramer()
        var ids: [Int64] = []
        ids.reserveCapacity(count)
        let elapsed = clock.measure {
            framer.feed(stream)
            while case .line(let l)? = framer.nextLine() {
                if case .success(let r) = parseRequest(l) { ids.append(r.id) }
            }
        }
        #expect(ids == (0..<Int64(count)).map { $0 })
        #expect(framer.bufferedByteCount == 0)
        // Debug builds are slow; a quadratic framer would take minutes here, not seconds.
        #expect(elapsed < .seconds(5) * timingSlack, "took \(elapsed)")
        print("framed and parsed \(count) pipelined requests (\(stream.count) bytes) in \(elapsed)")
    }

    @Test("10,000 requests fed byte by byte stay linear")
    func byteByByte() {
        let line = Array((encodeRequest(id: 7, command: .ping) + "\n").utf8)
        var framer = LineFramer()
        var n = 0
        let elapsed = ContinuousClock().measure {
            for _ in 0..<10_000 {
                for byte in line {
                    framer.feed(CollectionOfOne(byte))
                    while framer.nextLine() != nil { n += 1 }
                }
            }
        }
        #expect(n == 10_000)
        #expect(elapsed < .seconds(10) * timingSlack, "took \(elapsed)")
    }
}
