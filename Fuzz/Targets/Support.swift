// Shared by every fuzz target (compiled into each one by Fuzz/build.sh).
//
// A fuzz target is a function libFuzzer calls with one input; anything that traps (an overflow,
// a failed precondition, an out-of-range conversion) or that ASan reports is a finding. The
// targets also check cheap invariants of the results with `require`, which traps on failure so
// that libFuzzer saves the input.

/// Stops the run with a message when an invariant does not hold.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("invariant failed: \(message())", file: file, line: line) }
}

/// FNV-1a over the input: a deterministic source of choices (tempo, cue lengths, split points)
/// that libFuzzer can steer by changing bytes.
func fnv1a<S: Sequence<UInt8>>(_ bytes: S, seed: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
    var h = seed
    for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}

/// Splits `bytes` at every line that is exactly `separator` (the line itself is dropped).
func splitDocuments(_ bytes: UnsafeBufferPointer<UInt8>, separator: String) -> [ArraySlice<UInt8>] {
    let sep = Array(separator.utf8)
    let all = Array(bytes)
    var out: [ArraySlice<UInt8>] = []
    var docStart = 0
    var lineStart = 0
    var i = 0
    while i <= all.count {
        if i == all.count || all[i] == 0x0A {
            if all[lineStart..<i].elementsEqual(sep) {
                out.append(all[docStart..<lineStart])
                docStart = min(i + 1, all.count)
            }
            lineStart = i + 1
        }
        i += 1
    }
    out.append(all[docStart..<all.count])
    return out
}

/// The number of lines of a text (a last line without a newline counts).
func lineCount(_ bytes: some Collection<UInt8>) -> Int {
    bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
}
