import SomacueCore
import SomacueProtocol
import Testing

@Suite("Encoders")
struct EncodingTests {
    @Test("greeting")
    func greetingLine() throws {
        let line = greeting(appVersion: "0.3.0")
        #expect(line == #"{"somacue":1,"version":"0.3.0"}"#)
        #expect(protocolVersion == 1)
        let json = reparse(line)
        #expect(json?["somacue"] == .int(1))
        #expect(json?["version"] == .string("0.3.0"))
    }

    @Test("success replies")
    func replies() {
        #expect(encodeReply(id: 7, data: .null) == #"{"id":7,"ok":true,"data":{}}"#)
        #expect(encodeReply(id: 7, data: .object([])) == #"{"id":7,"ok":true,"data":{}}"#)
        #expect(encodeReply(id: nil, data: .object([("pong", .bool(true))])) == #"{"id":null,"ok":true,"data":{"pong":true}}"#)
        var status = JSONObject()
        status.set("state", "playing")
        status.set("tempo", 0.9)
        status.set("rep", 3)
        status.set("side", nil as String?)
        let line = encodeReply(id: -3, data: status.json)
        #expect(line == #"{"id":-3,"ok":true,"data":{"state":"playing","tempo":0.9,"rep":3}}"#)
        #expect(reparse(line)?["data"] == status.json)
    }

    @Test("error replies, every code")
    func errors() {
        for code in ErrorCode.allCases {
            let line = encodeError(id: 12, ProtocolError(code: code, message: "problem \"x\"\n"))
            #expect(line == #"{"id":12,"ok":false,"error":{"code":"\#(code.rawValue)","message":"problem \"x\"\n"}}"#)
            let json = reparse(line)
            #expect(json?["error"]?["code"] == .string(code.rawValue))
            #expect(json?["error"]?["message"] == .string("problem \"x\"\n"))
        }
        #expect(encodeError(id: nil, .lineTooLong()).hasPrefix(#"{"id":null,"ok":false,"error":{"code":"line_too_long","#))
    }

    @Test("error extras: diagnostics kept, clashing keys dropped")
    func errorExtras() {
        let diagnostics: JSON = .array([.object([("file", .string("s.toml")), ("line", .int(3)), ("message", .string("bad"))])])
        let error = ProtocolError(.reloadFailed, "2 errors", extra: [("diagnostics", diagnostics), ("code", .string("x")),
                                                                      ("message", .null), ("diagnostics", .null)])
        let line = encodeError(id: 1, error)
        #expect(line == #"{"id":1,"ok":false,"error":{"code":"reload_failed","message":"2 errors","diagnostics":[{"file":"s.toml","line":3,"message":"bad"}]}}"#)
        #expect(reparse(line)?["error"]?["diagnostics"] == diagnostics)
    }

    @Test("events")
    func events() {
        #expect(encodeEvent(.state, [("state", .string("paused"))]) == #"{"event":"state","state":"paused"}"#)
        #expect(encodeEvent(.finished, []) == #"{"event":"finished"}"#)
        let line = encodeEvent(.cue, [("event", .string("clash")), ("cue", .string("hold-5")), ("at", .double(12.25)), ("cue", .null)])
        #expect(line == #"{"event":"cue","cue":"hold-5","at":12.25}"#)
        for name in EventName.allCases {
            #expect(reparse(encodeEvent(name, [("n", .int(1))]))?["event"] == .string(name.rawValue))
        }
    }

    @Test("the error codes are the contract's, plus invalid_session and internal_error")
    func codes() {
        #expect(ErrorCode.allCases.map(\.rawValue) == [
            "invalid_json", "invalid_utf8", "not_an_object", "missing_field", "bad_type", "unknown_command",
            "missing_argument", "out_of_range", "wrong_state", "no_such_session", "no_such_voice", "invalid_session",
            "line_too_long", "too_many_clients", "device_error", "reload_failed", "internal_error",
        ])
        #expect(EventName.allCases.map(\.rawValue) == ["state", "exercise", "phase", "cue", "finished", "error", "tempo", "volume"])
    }

    @Test("every encoder writes one compact line that parseJSON reads back")
    func compactLines() {
        let awkward = "tab\t nl\n cr\r quote\" bs\\ nul\u{0} é 😀 \u{2028}"
        let all = [
            greeting(appVersion: awkward),
            encodeReply(id: .max, data: .object([("s", .string(awkward)), ("d", .double(-1.5e-7)), ("big", .double(1e300)),
                                                 ("a", .array([.null, .bool(false), .int(.min)]))])),
            encodeError(id: .min, ProtocolError(.internalError, awkward)),
            encodeEvent(.error, [("message", .string(awkward))]),
        ] + everyCommand.map { encodeRequest(id: 1, command: $0) }
        for line in all {
            #expect(!line.contains("\n") && !line.contains("\r"), "\(line)")
            #expect(!line.contains("\": ") && !line.contains(", \""), "compact: \(line)")
            #expect(reparse(line) != nil)
        }
        #expect(reparse(greeting(appVersion: awkward))?["version"] == .string(awkward))
    }
}
