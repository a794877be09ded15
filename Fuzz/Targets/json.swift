// Fuzz target: the strict JSON parser (SomacueProtocol) and the JSON writer (SomacueCore).
//
// Invariants checked: an error's offset lies within the input; a parsed value written back
// (compact and pretty) parses again to the same value, up to what the writer documents
// (non-finite numbers become null, integral doubles below 1e15 are written as integers).
import SomacueCore
import SomacueProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let value: JSON
    do {
        value = try parseJSON(bytes)
    } catch {
        require(error.offset >= 0 && error.offset <= size, "error offset \(error.offset) outside \(size) bytes")
        require(!error.reason.isEmpty, "empty error reason")
        return 0
    }
    let expected = afterWriting(value)
    for form in [value.compact, value.pretty] {
        do {
            let again = try parseJSON(Array(form.utf8))
            require(again == expected, "written form parses to another value: \(form)")
        } catch {
            require(false, "written form does not parse (\(error)): \(form)")
        }
    }
    return 0
}

/// What `JSON`'s writer turns a value into, as read back.
func afterWriting(_ v: JSON) -> JSON {
    switch v {
    case .double(let d):
        if !d.isFinite { return .null }
        if d == d.rounded(), abs(d) < 1e15, let i = Int64(exactly: d.rounded()) { return .int(i) }
        return v
    case .array(let items): return .array(items.map(afterWriting))
    case .object(let members): return .object(members.map { ($0.0, afterWriting($0.1)) })
    default: return v
    }
}
