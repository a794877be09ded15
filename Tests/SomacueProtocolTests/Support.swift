import Glibc
import SomacueCore
import SomacueProtocol
import Testing

/// Time limits are multiplied by this. `scripts/sanitize.sh` sets `SOMACUE_SANITIZER` (ASan and
/// TSan slow code down 2x to 15x); the limits stay, only looser. Correctness checks never change.
let timingSlack: Int = getenv("SOMACUE_SANITIZER") == nil ? 1 : 25

/// One line of input with its expected outcome.
struct BadLine: Sendable, CustomTestStringConvertible {
    let label: String
    let bytes: [UInt8]
    let code: ErrorCode
    let id: Int64?
    /// A fragment the error message must contain.
    let mentions: String?

    init(_ label: String, _ text: String, _ code: ErrorCode, id: Int64? = nil, mentions: String? = nil) {
        self.init(label, Array(text.utf8), code, id: id, mentions: mentions)
    }

    init(_ label: String, _ bytes: [UInt8], _ code: ErrorCode, id: Int64? = nil, mentions: String? = nil) {
        self.label = label
        self.bytes = bytes
        self.code = code
        self.id = id
        self.mentions = mentions
    }

    var testDescription: String { label }
}

struct GoodLine: Sendable, CustomTestStringConvertible {
    let label: String
    let text: String
    let request: Request

    init(_ label: String, _ text: String, _ id: Int64, _ command: Command) {
        self.label = label
        self.text = text
        self.request = Request(id: id, command: command)
    }

    var testDescription: String { label }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Parses a line the encoders wrote, failing the test when it is not valid JSON.
func reparse(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSON? {
    do {
        return try parseJSON(Array(line.utf8))
    } catch {
        Issue.record("not valid JSON (\(error)): \(line)", sourceLocation: sourceLocation)
        return nil
    }
}

/// `{"a":` nested `depth` levels deep (objects when `objects`, else arrays) around `1`.
func nested(_ depth: Int, objects: Bool = false) -> String {
    objects
        ? String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
        : String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
}

func quotedForTest(_ s: String) -> String { JSON.string(s.count > 40 ? String(s.prefix(40)) + "…" : s).compact }
