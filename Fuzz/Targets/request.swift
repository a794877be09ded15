// Fuzz target: the control protocol's request path (SomacueProtocol), as the daemon runs it on
// bytes from a client: the line framer, then `parseRequest` on each line.
//
// Invariants checked:
// - framing does not depend on how the bytes are split into reads;
// - a request that parses, encoded again by the client's encoder, parses to the same request;
// - a refusal is one line of valid JSON carrying the request's id (when one was read) and an
//   error code from the documented list.
import SomacueCore
import SomacueProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let h = fnv1a(bytes)
    // A small limit now and then, so that the line_too_long path is reached.
    let limit = h % 4 == 0 ? 64 : 4096

    var whole = LineFramer(maxLineBytes: limit)
    whole.feed(bytes)
    var wholeLines = drain(&whole)
    if let last = whole.finish() { wholeLines.append(last) }

    // The same bytes in reads of 1 to 64 bytes, chosen by the input.
    var split = LineFramer(maxLineBytes: limit)
    var splitLines: [LineFramerOutput] = []
    var offset = 0
    var k: UInt64 = h
    while offset < size {
        k = k &* 6364136223846793005 &+ 1442695040888963407
        let n = min(size - offset, Int((k >> 33) % 64) + 1)
        split.feed(UnsafeBufferPointer(rebasing: bytes[offset..<(offset + n)]))
        splitLines += drain(&split)
        offset += n
    }
    if let last = split.finish() { splitLines.append(last) }
    require(wholeLines == splitLines, "framing depends on read sizes: \(wholeLines.count) vs \(splitLines.count) outputs")

    for output in wholeLines {
        guard case .line(let line) = output else { continue }
        require(line.count <= limit && !line.isEmpty, "framer handed out a line of \(line.count) bytes (limit \(limit))")
        switch parseRequest(line) {
        case .success(let request):
            let encoded = encodeRequest(id: request.id, command: request.command)
            require(!encoded.contains("\n"), "encoded request spans lines")
            switch parseRequest(Array(encoded.utf8)) {
            case .success(let again): require(again == request, "re-encoded request differs: \(encoded)")
            case .failure(let f): require(false, "re-encoded request refused (\(f)): \(encoded)")
            }
        case .failure(let failure):
            let reply = failure.reply
            require(!reply.contains("\n"), "refusal spans lines")
            guard let json = try? parseJSON(Array(reply.utf8)) else {
                require(false, "refusal is not JSON: \(reply)")
                return 0
            }
            let id: JSON = failure.id.map { .int($0) } ?? .null
            require(json["id"] == id, "refusal carries the wrong id: \(reply)")
            require(json["ok"] == .bool(false), "refusal without ok=false: \(reply)")
            guard case .string(let code)? = json["error"]?["code"] else {
                require(false, "refusal without an error code: \(reply)")
                return 0
            }
            require(ErrorCode(rawValue: code) != nil, "unknown error code \(code)")
        }
    }
    return 0
}

private func drain(_ framer: inout LineFramer) -> [LineFramerOutput] {
    var out: [LineFramerOutput] = []
    while let next = framer.nextLine() { out.append(next) }
    return out
}
