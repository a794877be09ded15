import SomacueCore
import SomacueProtocol
import Testing

// Every bad-input class, with the exact error code and the id the reply must carry.

let invalidJSONLines: [BadLine] = [
    BadLine("empty line", "", .invalidJSON),
    BadLine("whitespace only", "  \t ", .invalidJSON),
    BadLine("unterminated object", #"{"id":1,"cmd":"ping""#, .invalidJSON),
    BadLine("unterminated string", #"{"id":1,"cmd":"ping}"#, .invalidJSON),
    BadLine("lone brace", "{", .invalidJSON),
    BadLine("trailing comma in object", #"{"id":1,"cmd":"ping",}"#, .invalidJSON, mentions: "trailing comma"),
    BadLine("trailing comma in array", #"{"id":1,"cmd":"subscribe","args":{"events":["state",]}}"#, .invalidJSON, mentions: "trailing comma"),
    BadLine("block comment", #"{"id":1 /* c */,"cmd":"ping"}"#, .invalidJSON, mentions: "comments"),
    BadLine("line comment", #"// {"id":1,"cmd":"ping"}"#, .invalidJSON),
    BadLine("hash comment", "# ping", .invalidJSON),
    BadLine("NaN", #"{"id":1,"cmd":"tempo","args":{"value":NaN}}"#, .invalidJSON, mentions: "NaN"),
    BadLine("Infinity", #"{"id":1,"cmd":"tempo","args":{"value":Infinity}}"#, .invalidJSON),
    BadLine("-Infinity", #"{"id":1,"cmd":"tempo","args":{"value":-Infinity}}"#, .invalidJSON),
    BadLine("leading zero", #"{"id":01,"cmd":"ping"}"#, .invalidJSON, mentions: "leading zeros"),
    BadLine("leading zero negative", #"{"id":-01,"cmd":"ping"}"#, .invalidJSON),
    BadLine("leading plus", #"{"id":+1,"cmd":"ping"}"#, .invalidJSON),
    BadLine("bare fraction", #"{"id":.5,"cmd":"ping"}"#, .invalidJSON),
    BadLine("trailing dot", #"{"id":1.,"cmd":"ping"}"#, .invalidJSON),
    BadLine("empty exponent", #"{"id":1e,"cmd":"ping"}"#, .invalidJSON),
    BadLine("lone minus", #"{"id":-,"cmd":"ping"}"#, .invalidJSON),
    BadLine("hex number", #"{"id":0x10,"cmd":"ping"}"#, .invalidJSON),
    BadLine("single quotes", #"{'id':1,'cmd':'ping'}"#, .invalidJSON, mentions: "double quotes"),
    BadLine("unquoted key", #"{id:1,cmd:"ping"}"#, .invalidJSON),
    BadLine("misspelt literal", #"{"id":1,"cmd":"start","args":{"session":"a","replace":tru}}"#, .invalidJSON),
    BadLine("capitalised literal", #"{"id":1,"cmd":"start","args":{"session":"a","replace":True}}"#, .invalidJSON),
    BadLine("raw tab in string", "{\"id\":1,\"cmd\":\"pi\tng\"}", .invalidJSON, mentions: "control character"),
    BadLine("raw control char in string", "{\"id\":1,\"cmd\":\"pi\u{01}ng\"}", .invalidJSON, mentions: "U+0001"),
    BadLine("raw DEL is allowed, unknown command", "{\"id\":1,\"cmd\":\"pi\u{7F}ng\"}", .unknownCommand, id: 1),
    BadLine("invalid escape", #"{"id":1,"cmd":"\x41"}"#, .invalidJSON, mentions: "escape"),
    BadLine("short unicode escape", #"{"id":1,"cmd":"\u12"}"#, .invalidJSON),
    BadLine("non-hex unicode escape", #"{"id":1,"cmd":"\u12G4"}"#, .invalidJSON),
    BadLine("lone high surrogate", #"{"id":1,"cmd":"\ud800"}"#, .invalidJSON, mentions: "surrogate"),
    BadLine("high surrogate then letter", #"{"id":1,"cmd":"\ud800\u0041"}"#, .invalidJSON, mentions: "surrogate"),
    BadLine("lone low surrogate", #"{"id":1,"cmd":"\udc00"}"#, .invalidJSON, mentions: "surrogate"),
    BadLine("two high surrogates", #"{"id":1,"cmd":"\ud800\ud800"}"#, .invalidJSON),
    BadLine("duplicate key", #"{"id":1,"id":2,"cmd":"ping"}"#, .invalidJSON, mentions: "duplicate"),
    BadLine("duplicate key in args", #"{"id":1,"cmd":"volume","args":{"value":1,"value":0}}"#, .invalidJSON, mentions: "duplicate"),
    BadLine("nesting 65 deep", #"{"id":9,"cmd":"ping","args":{"a":"# + nested(63) + "}}", .invalidJSON, mentions: "deeper than 64"),
    BadLine("trailing data", #"{"id":1,"cmd":"ping"} x"#, .invalidJSON),
    BadLine("two objects on a line", #"{"id":1,"cmd":"ping"}{"id":2,"cmd":"ping"}"#, .invalidJSON),
    BadLine("missing colon", #"{"id" 1,"cmd":"ping"}"#, .invalidJSON),
    BadLine("missing comma", #"{"id":1 "cmd":"ping"}"#, .invalidJSON),
    BadLine("form feed is not whitespace", "\u{0C}{\"id\":1,\"cmd\":\"ping\"}", .invalidJSON),
    BadLine("non-breaking space is not whitespace", "\u{A0}{\"id\":1,\"cmd\":\"ping\"}", .invalidJSON),
    BadLine("BOM", "\u{FEFF}{\"id\":1,\"cmd\":\"ping\"}", .invalidJSON),
]

let nulLines: [BadLine] = [
    BadLine("NUL inside a string", bytes(#"{"id":1,"cmd":"pi"#) + [0] + bytes(#"ng"}"#), .invalidJSON, mentions: "NUL"),
    BadLine("NUL between tokens", bytes(#"{"id":1,"#) + [0] + bytes(#""cmd":"ping"}"#), .invalidJSON, mentions: "NUL"),
    BadLine("NUL after the object", bytes(#"{"id":1,"cmd":"ping"}"#) + [0], .invalidJSON, mentions: "NUL"),
    BadLine("NUL alone", [0], .invalidJSON, mentions: "NUL"),
]

let invalidUTF8Lines: [BadLine] = [
    BadLine("0xFF byte", bytes(#"{"id":1,"cmd":""#) + [0xFF] + bytes(#""}"#), .invalidUTF8),
    BadLine("0xFE byte", [0xFE], .invalidUTF8),
    BadLine("lone continuation byte", bytes(#"{"id":1,"cmd":""#) + [0x80] + bytes(#""}"#), .invalidUTF8),
    BadLine("overlong slash C0 AF", bytes(#"{"id":1,"cmd":""#) + [0xC0, 0xAF] + bytes(#""}"#), .invalidUTF8),
    BadLine("overlong E0 80 AF", bytes(#"{"id":1,"cmd":""#) + [0xE0, 0x80, 0xAF] + bytes(#""}"#), .invalidUTF8),
    BadLine("encoded surrogate ED A0 80", bytes(#"{"id":1,"cmd":""#) + [0xED, 0xA0, 0x80] + bytes(#""}"#), .invalidUTF8),
    BadLine("beyond U+10FFFF F4 90 80 80", bytes(#"{"id":1,"cmd":""#) + [0xF4, 0x90, 0x80, 0x80] + bytes(#""}"#), .invalidUTF8),
    BadLine("truncated sequence", bytes(#"{"id":1,"cmd":""#) + [0xE2, 0x82] + bytes(#""}"#), .invalidUTF8),
    BadLine("truncated at end of line", bytes(#"{"id":1,"cmd":"ping"}"#) + [0xF0, 0x9F, 0x98], .invalidUTF8),
    BadLine("invalid UTF-8 outside strings", bytes(#"{"id":1,"cmd":"ping","#) + [0xFF] + bytes("}"), .invalidUTF8),
    BadLine("invalid UTF-8 beats a syntax error", bytes("{,") + [0xFF], .invalidUTF8),
    BadLine("invalid UTF-8 beats NUL", [0, 0xFF], .invalidUTF8),
]

let notAnObjectLines: [BadLine] = [
    BadLine("array", #"[{"id":1,"cmd":"ping"}]"#, .notAnObject, mentions: "array"),
    BadLine("empty array", "[]", .notAnObject),
    BadLine("string", #""ping""#, .notAnObject, mentions: "string"),
    BadLine("integer", "42", .notAnObject),
    BadLine("number", "-1.5e3", .notAnObject),
    BadLine("true", "true", .notAnObject),
    BadLine("null", "null", .notAnObject),
]

let idLines: [BadLine] = [
    BadLine("id missing", #"{"cmd":"ping"}"#, .missingField, mentions: "\"id\""),
    BadLine("id string", #"{"id":"1","cmd":"ping"}"#, .badType, mentions: "string"),
    BadLine("id float", #"{"id":1.5,"cmd":"ping"}"#, .badType),
    BadLine("id 1.0", #"{"id":1.0,"cmd":"ping"}"#, .badType),
    BadLine("id 1e2", #"{"id":1e2,"cmd":"ping"}"#, .badType),
    BadLine("id -0.0", #"{"id":-0.0,"cmd":"ping"}"#, .badType),
    BadLine("id true", #"{"id":true,"cmd":"ping"}"#, .badType),
    BadLine("id null", #"{"id":null,"cmd":"ping"}"#, .badType),
    BadLine("id array", #"{"id":[1],"cmd":"ping"}"#, .badType),
    BadLine("id object", #"{"id":{},"cmd":"ping"}"#, .badType),
    BadLine("id beyond Int64", #"{"id":9223372036854775808,"cmd":"ping"}"#, .outOfRange, mentions: "64-bit"),
    BadLine("id below Int64", #"{"id":-9223372036854775809,"cmd":"ping"}"#, .outOfRange),
    BadLine("id huge", #"{"id":123456789012345678901234567890,"cmd":"ping"}"#, .outOfRange),
    BadLine("bad id beats missing cmd", #"{"id":"x"}"#, .badType),
    BadLine("missing id, unknown command", #"{"cmd":"dance"}"#, .missingField),
]

let envelopeLines: [BadLine] = [
    BadLine("cmd missing", #"{"id":3}"#, .missingField, id: 3, mentions: "\"cmd\""),
    BadLine("cmd missing with args", #"{"id":3,"args":{}}"#, .missingField, id: 3),
    BadLine("cmd integer", #"{"id":4,"cmd":5}"#, .badType, id: 4),
    BadLine("cmd null", #"{"id":4,"cmd":null}"#, .badType, id: 4),
    BadLine("cmd array", #"{"id":4,"cmd":["ping"]}"#, .badType, id: 4),
    BadLine("cmd object", #"{"id":4,"cmd":{"name":"ping"}}"#, .badType, id: 4),
    BadLine("args array", #"{"id":5,"cmd":"ping","args":[]}"#, .badType, id: 5, mentions: "\"args\""),
    BadLine("args null", #"{"id":5,"cmd":"ping","args":null}"#, .badType, id: 5),
    BadLine("args string", #"{"id":5,"cmd":"start","args":"morning"}"#, .badType, id: 5),
    BadLine("args number", #"{"id":5,"cmd":"volume","args":1}"#, .badType, id: 5),
    BadLine("args wrong type beats unknown command", #"{"id":5,"cmd":"dance","args":1}"#, .badType, id: 5),
    BadLine("unknown top-level field", #"{"id":6,"cmd":"ping","extra":1}"#, .badType, id: 6, mentions: "\"extra\""),
    BadLine("mpv-style request", #"{"id":6,"command":["ping"]}"#, .missingField, id: 6),
    BadLine("negative id is kept", #"{"id":-7,"cmd":"dance"}"#, .unknownCommand, id: -7),
    BadLine("Int64.min id is kept", #"{"id":-9223372036854775808,"cmd":"dance"}"#, .unknownCommand, id: .min),
    BadLine("Int64.max id is kept", #"{"id":9223372036854775807,"cmd":5}"#, .badType, id: .max),
    BadLine("nesting 64 deep is valid JSON", #"{"id":9,"cmd":"ping","args":{"a":"# + nested(62) + "}}", .badType, id: 9),
]

let unknownCommandLines: [BadLine] = [
    BadLine("unknown command", #"{"id":8,"cmd":"dance"}"#, .unknownCommand, id: 8, mentions: "commands: start, pause"),
    BadLine("typo suggests nearest", #"{"id":8,"cmd":"stat"}"#, .unknownCommand, id: 8, mentions: "did you mean \"start\""),
    BadLine("typo suggests status", #"{"id":8,"cmd":"statsu"}"#, .unknownCommand, id: 8, mentions: "did you mean \"status\""),
    BadLine("prefix suggests", #"{"id":8,"cmd":"subscr"}"#, .unknownCommand, id: 8, mentions: "did you mean \"subscribe\""),
    BadLine("commands are case-sensitive", #"{"id":8,"cmd":"PING"}"#, .unknownCommand, id: 8, mentions: "did you mean \"ping\""),
    BadLine("empty command", #"{"id":8,"cmd":""}"#, .unknownCommand, id: 8),
    BadLine("padded command", #"{"id":8,"cmd":" ping"}"#, .unknownCommand, id: 8),
    BadLine("long command is cut in the message", #"{"id":8,"cmd":""# + String(repeating: "x", count: 1000) + #""}"#,
            .unknownCommand, id: 8, mentions: String(repeating: "x", count: 32) + "…\""),
    BadLine("mpd verb", #"{"id":8,"cmd":"play"}"#, .unknownCommand, id: 8),
]

let missingArgumentLines: [BadLine] = [
    BadLine("start without args", #"{"id":10,"cmd":"start"}"#, .missingArgument, id: 10, mentions: "\"session\""),
    BadLine("start with empty args", #"{"id":10,"cmd":"start","args":{}}"#, .missingArgument, id: 10),
    BadLine("start with only tempo", #"{"id":10,"cmd":"start","args":{"tempo":1}}"#, .missingArgument, id: 10),
    BadLine("start missing session beats bad tempo", #"{"id":10,"cmd":"start","args":{"tempo":"x"}}"#, .missingArgument, id: 10),
    BadLine("tempo without args", #"{"id":11,"cmd":"tempo"}"#, .missingArgument, id: 11, mentions: "\"value\""),
    BadLine("tempo with empty args", #"{"id":11,"cmd":"tempo","args":{}}"#, .missingArgument, id: 11),
    BadLine("volume without args", #"{"id":12,"cmd":"volume"}"#, .missingArgument, id: 12, mentions: "\"value\""),
    BadLine("seek without position", #"{"id":12,"cmd":"seek"}"#, .missingArgument, id: 12, mentions: "\"position\""),
    BadLine("seek before the start", #"{"id":12,"cmd":"seek","args":{"position":-1}}"#, .outOfRange, id: 12),
    BadLine("goto zero", #"{"id":12,"cmd":"goto","args":{"exercise":0}}"#, .outOfRange, id: 12),
    BadLine("goto a path", #"{"id":12,"cmd":"goto","args":{"exercise":"../x"}}"#, .outOfRange, id: 12),
    BadLine("goto without exercise", #"{"id":12,"cmd":"goto"}"#, .missingArgument, id: 12),
    BadLine("start at a boolean", #"{"id":12,"cmd":"start","args":{"session":"s","at":true}}"#, .badType, id: 12),
    BadLine("seek as text", #"{"id":12,"cmd":"seek","args":{"position":"10"}}"#, .badType, id: 12),
    BadLine("volume with only class", #"{"id":12,"cmd":"volume","args":{"class":"voice"}}"#, .missingArgument, id: 12),
]

let outOfRangeLines: [BadLine] = [
    BadLine("tempo value too low", #"{"id":13,"cmd":"tempo","args":{"value":0.24}}"#, .outOfRange, id: 13, mentions: "between 0.25 and 2"),
    BadLine("tempo value zero", #"{"id":13,"cmd":"tempo","args":{"value":0}}"#, .outOfRange, id: 13),
    BadLine("tempo value negative", #"{"id":13,"cmd":"tempo","args":{"value":-1}}"#, .outOfRange, id: 13),
    BadLine("tempo value too high", #"{"id":13,"cmd":"tempo","args":{"value":2.0001}}"#, .outOfRange, id: 13),
    BadLine("tempo value integer too high", #"{"id":13,"cmd":"tempo","args":{"value":3}}"#, .outOfRange, id: 13, mentions: "got 3"),
    BadLine("tempo value beyond Double", #"{"id":13,"cmd":"tempo","args":{"value":1e400}}"#, .outOfRange, id: 13),
    BadLine("tempo value huge integer", #"{"id":13,"cmd":"tempo","args":{"value":99999999999999999999}}"#, .outOfRange, id: 13),
    BadLine("tempo step too big", #"{"id":13,"cmd":"tempo","args":{"step":1.76}}"#, .outOfRange, id: 13),
    BadLine("tempo step too negative", #"{"id":13,"cmd":"tempo","args":{"step":-2}}"#, .outOfRange, id: 13),
    BadLine("start tempo too low", #"{"id":14,"cmd":"start","args":{"session":"morning","tempo":0.2}}"#, .outOfRange, id: 14, mentions: "\"tempo\""),
    BadLine("start tempo too high", #"{"id":14,"cmd":"start","args":{"session":"morning","tempo":2.5}}"#, .outOfRange, id: 14),
    BadLine("lead_in negative", #"{"id":14,"cmd":"start","args":{"session":"morning","lead_in":-1}}"#, .outOfRange, id: 14, mentions: "\"lead_in\""),
    BadLine("lead_in too long", #"{"id":14,"cmd":"start","args":{"session":"morning","lead_in":600.5}}"#, .outOfRange, id: 14),
    BadLine("lead_in integer too long", #"{"id":14,"cmd":"start","args":{"session":"morning","lead_in":601}}"#, .outOfRange, id: 14),
    BadLine("session empty", #"{"id":14,"cmd":"start","args":{"session":""}}"#, .outOfRange, id: 14),
    BadLine("session path", #"{"id":14,"cmd":"start","args":{"session":"../../etc/passwd"}}"#, .outOfRange, id: 14, mentions: "session id"),
    BadLine("session file name", #"{"id":14,"cmd":"start","args":{"session":"morning.toml"}}"#, .outOfRange, id: 14),
    BadLine("session with NUL escape", #"{"id":14,"cmd":"start","args":{"session":"a\u0000b"}}"#, .outOfRange, id: 14),
    BadLine("voice path", #"{"id":14,"cmd":"start","args":{"session":"morning","voice":"../x"}}"#, .outOfRange, id: 14, mentions: "\"voice\""),
    BadLine("voice dot-dot", #"{"id":14,"cmd":"start","args":{"session":"morning","voice":".."}}"#, .outOfRange, id: 14),
    BadLine("voice empty", #"{"id":14,"cmd":"start","args":{"session":"morning","voice":""}}"#, .outOfRange, id: 14),
    BadLine("fit zero", #"{"id":14,"cmd":"start","args":{"session":"morning","fit":0}}"#, .outOfRange, id: 14, mentions: "\"fit\""),
    BadLine("fit longer than a day", #"{"id":14,"cmd":"start","args":{"session":"morning","fit":"25h"}}"#, .outOfRange, id: 14,
            mentions: "1 to 86400 seconds"),
    BadLine("volume too loud", #"{"id":15,"cmd":"volume","args":{"value":1.51}}"#, .outOfRange, id: 15, mentions: "between 0 and 1.5"),
    BadLine("volume integer too loud", #"{"id":15,"cmd":"volume","args":{"value":2}}"#, .outOfRange, id: 15),
    BadLine("volume negative", #"{"id":15,"cmd":"volume","args":{"class":"tone","value":-0.1}}"#, .outOfRange, id: 15),
    BadLine("volume unknown class", #"{"id":15,"cmd":"volume","args":{"class":"music","value":1}}"#, .outOfRange, id: 15, mentions: "master, voice, tone"),
    BadLine("volume class wrong case", #"{"id":15,"cmd":"volume","args":{"class":"Voice","value":1}}"#, .outOfRange, id: 15),
    BadLine("subscribe unknown event", #"{"id":16,"cmd":"subscribe","args":{"events":["state","phases"]}}"#, .outOfRange, id: 16,
            mentions: "unknown event \"phases\" in events[1]; did you mean \"phase\"?"),
    BadLine("subscribe empty event name", #"{"id":16,"cmd":"subscribe","args":{"events":[""]}}"#, .outOfRange, id: 16),
]

let badTypeLines: [BadLine] = [
    BadLine("start session integer", #"{"id":17,"cmd":"start","args":{"session":1}}"#, .badType, id: 17, mentions: "\"session\""),
    BadLine("start fit with tempo", #"{"id":17,"cmd":"start","args":{"session":"a","fit":600,"tempo":1}}"#, .badType, id: 17,
            mentions: "either \"tempo\" or \"fit\", not both"),
    BadLine("start fit not a length", #"{"id":17,"cmd":"start","args":{"session":"a","fit":"soon"}}"#, .badType, id: 17,
            mentions: "such as \"10m\" or \"1h5m\""),
    BadLine("start fit boolean", #"{"id":17,"cmd":"start","args":{"session":"a","fit":true}}"#, .badType, id: 17),
    BadLine("start session null", #"{"id":17,"cmd":"start","args":{"session":null}}"#, .badType, id: 17),
    BadLine("start session array", #"{"id":17,"cmd":"start","args":{"session":["a"]}}"#, .badType, id: 17),
    BadLine("start tempo string", #"{"id":17,"cmd":"start","args":{"session":"a","tempo":"1"}}"#, .badType, id: 17, mentions: "\"tempo\" of start must be a number"),
    BadLine("start tempo null", #"{"id":17,"cmd":"start","args":{"session":"a","tempo":null}}"#, .badType, id: 17),
    BadLine("start voice integer", #"{"id":17,"cmd":"start","args":{"session":"a","voice":3}}"#, .badType, id: 17),
    BadLine("start lead_in bool", #"{"id":17,"cmd":"start","args":{"session":"a","lead_in":true}}"#, .badType, id: 17),
    BadLine("start lead_in string", #"{"id":17,"cmd":"start","args":{"session":"a","lead_in":"5s"}}"#, .badType, id: 17),
    BadLine("start replace string", #"{"id":17,"cmd":"start","args":{"session":"a","replace":"yes"}}"#, .badType, id: 17),
    BadLine("start replace integer", #"{"id":17,"cmd":"start","args":{"session":"a","replace":1}}"#, .badType, id: 17),
    BadLine("tempo value string", #"{"id":18,"cmd":"tempo","args":{"value":"fast"}}"#, .badType, id: 18),
    BadLine("tempo value bool", #"{"id":18,"cmd":"tempo","args":{"value":false}}"#, .badType, id: 18),
    BadLine("tempo step array", #"{"id":18,"cmd":"tempo","args":{"step":[0.1]}}"#, .badType, id: 18),
    BadLine("tempo value and step", #"{"id":18,"cmd":"tempo","args":{"value":1,"step":0.1}}"#, .badType, id: 18, mentions: "not both"),
    BadLine("volume value string", #"{"id":19,"cmd":"volume","args":{"value":"1"}}"#, .badType, id: 19),
    BadLine("volume class integer", #"{"id":19,"cmd":"volume","args":{"class":1,"value":1}}"#, .badType, id: 19),
    BadLine("subscribe events string", #"{"id":20,"cmd":"subscribe","args":{"events":"state"}}"#, .badType, id: 20),
    BadLine("subscribe events object", #"{"id":20,"cmd":"subscribe","args":{"events":{}}}"#, .badType, id: 20),
    BadLine("subscribe events null", #"{"id":20,"cmd":"subscribe","args":{"events":null}}"#, .badType, id: 20),
    BadLine("subscribe event integer", #"{"id":20,"cmd":"subscribe","args":{"events":["state",1]}}"#, .badType, id: 20, mentions: "events[1]"),
]

let unknownArgumentLines: [BadLine] = [
    BadLine("start unknown key", #"{"id":21,"cmd":"start","args":{"session":"a","speed":1}}"#, .badType, id: 21,
            mentions: "unknown argument \"speed\" for start; start accepts: session, tempo, voice, lead_in, replace"),
    BadLine("start camelCase key", #"{"id":21,"cmd":"start","args":{"session":"a","leadIn":1}}"#, .badType, id: 21, mentions: "\"leadIn\""),
    BadLine("unknown key beats missing session", #"{"id":21,"cmd":"start","args":{"name":"a"}}"#, .badType, id: 21),
    BadLine("tempo unknown key", #"{"id":21,"cmd":"tempo","args":{"val":1}}"#, .badType, id: 21, mentions: "tempo accepts: value, step"),
    BadLine("volume unknown key", #"{"id":21,"cmd":"volume","args":{"level":1}}"#, .badType, id: 21, mentions: "volume accepts: class, value"),
    BadLine("subscribe unknown key", #"{"id":21,"cmd":"subscribe","args":{"event":["state"]}}"#, .badType, id: 21, mentions: "subscribe accepts: events"),
    BadLine("stop unknown key", #"{"id":21,"cmd":"stop","args":{"now":true}}"#, .badType, id: 21, mentions: "stop accepts: after_exercise"),
    BadLine("stop after_exercise as text", #"{"id":21,"cmd":"stop","args":{"after_exercise":"yes"}}"#, .badType, id: 21),
] + ["pause", "resume", "toggle", "next", "prev", "status", "sessions", "voices", "ping", "reload"].map { name in
    BadLine("\(name) with an argument", #"{"id":22,"cmd":"\#(name)","args":{"now":true}}"#, .badType, id: 22,
            mentions: "unknown argument \"now\" for \(name); \(name) takes no arguments")
}

@Suite("parseRequest: bad input")
struct BadRequestTests {
    static func check(_ c: BadLine) {
        switch parseRequest(c.bytes) {
        case .success(let request):
            Issue.record("accepted as \(request)")
        case .failure(let failure):
            #expect(failure.error.code == c.code, "\(failure.error.message)")
            #expect(failure.id == c.id)
            if let fragment = c.mentions {
                #expect(failure.error.message.contains(fragment), "message: \(failure.error.message)")
            }
            // The reply line is valid JSON with the same id and code.
            if let reply = reparse(failure.reply) {
                #expect(reply["id"] == (c.id.map(JSON.int) ?? .null))
                #expect(reply["ok"] == .bool(false))
                #expect(reply["error"]?["code"] == .string(c.code.rawValue))
                #expect(reply["error"]?["message"] == .string(failure.error.message))
            }
        }
    }

    @Test("invalid JSON", arguments: invalidJSONLines) func invalidJSON(_ c: BadLine) { Self.check(c) }
    @Test("NUL bytes", arguments: nulLines) func nul(_ c: BadLine) { Self.check(c) }
    @Test("invalid UTF-8", arguments: invalidUTF8Lines) func invalidUTF8(_ c: BadLine) { Self.check(c) }
    @Test("not an object", arguments: notAnObjectLines) func notAnObject(_ c: BadLine) { Self.check(c) }
    @Test("bad or missing id", arguments: idLines) func id(_ c: BadLine) { Self.check(c) }
    @Test("envelope: cmd and args", arguments: envelopeLines) func envelope(_ c: BadLine) { Self.check(c) }
    @Test("unknown command", arguments: unknownCommandLines) func unknownCommand(_ c: BadLine) { Self.check(c) }
    @Test("missing argument", arguments: missingArgumentLines) func missingArgument(_ c: BadLine) { Self.check(c) }
    @Test("out of range", arguments: outOfRangeLines) func outOfRange(_ c: BadLine) { Self.check(c) }
    @Test("bad argument type", arguments: badTypeLines) func badType(_ c: BadLine) { Self.check(c) }
    @Test("unknown argument key", arguments: unknownArgumentLines) func unknownArgument(_ c: BadLine) { Self.check(c) }
}

let goodLines: [GoodLine] = [
    GoodLine("ping", #"{"id":1,"cmd":"ping"}"#, 1, .ping),
    GoodLine("ping with empty args", #"{"id":1,"cmd":"ping","args":{}}"#, 1, .ping),
    GoodLine("keys in any order", #"{"cmd":"ping","args":{},"id":2}"#, 2, .ping),
    GoodLine("whitespace around tokens", " \t{ \"id\" : 3 , \"cmd\" : \"pause\" } \t", 3, .pause),
    GoodLine("trailing CR", "{\"id\":3,\"cmd\":\"pause\"}\r", 3, .pause),
    GoodLine("id zero", #"{"id":0,"cmd":"resume"}"#, 0, .resume),
    GoodLine("negative id", #"{"id":-5,"cmd":"toggle"}"#, -5, .toggle),
    GoodLine("Int64.max id", #"{"id":9223372036854775807,"cmd":"stop"}"#, .max, .stop),
    GoodLine("Int64.min id", #"{"id":-9223372036854775808,"cmd":"next"}"#, .min, .next),
    GoodLine("prev", #"{"id":4,"cmd":"prev"}"#, 4, .prev),
    GoodLine("status", #"{"id":4,"cmd":"status"}"#, 4, .status),
    GoodLine("sessions", #"{"id":4,"cmd":"sessions"}"#, 4, .sessions),
    GoodLine("voices", #"{"id":4,"cmd":"voices"}"#, 4, .voices),
    GoodLine("reload", #"{"id":4,"cmd":"reload"}"#, 4, .reload),
    GoodLine("start minimal", #"{"id":5,"cmd":"start","args":{"session":"morning-core"}}"#, 5, .start(StartArgs(session: "morning-core"))),
    GoodLine("start full", #"{"id":5,"cmd":"start","args":{"session":"a1","tempo":0.8,"voice":"Amy_UK","lead_in":10,"replace":true}}"#, 5,
             .start(StartArgs(session: "a1", tempo: 0.8, voice: "Amy_UK", leadIn: 10, replace: true))),
    GoodLine("start bounds", #"{"id":5,"cmd":"start","args":{"session":"a","tempo":2,"lead_in":600,"replace":false}}"#, 5,
             .start(StartArgs(session: "a", tempo: 2, leadIn: 600, replace: false))),
    GoodLine("start lower bounds", #"{"id":5,"cmd":"start","args":{"session":"a","tempo":0.25,"lead_in":0}}"#, 5,
             .start(StartArgs(session: "a", tempo: 0.25, leadIn: 0))),
    GoodLine("start fit in seconds", #"{"id":5,"cmd":"start","args":{"session":"a","fit":600}}"#, 5,
             .start(StartArgs(session: "a", fit: 600))),
    GoodLine("start fit in minutes", #"{"id":5,"cmd":"start","args":{"session":"a","fit":"10m"}}"#, 5,
             .start(StartArgs(session: "a", fit: 600))),
    GoodLine("start fit in hours and minutes", #"{"id":5,"cmd":"start","args":{"session":"a","fit":"1h5m"}}"#, 5,
             .start(StartArgs(session: "a", fit: 3900))),
    GoodLine("start fit as a string of seconds", #"{"id":5,"cmd":"start","args":{"session":"a","fit":"600"}}"#, 5,
             .start(StartArgs(session: "a", fit: 600))),
    GoodLine("start unicode voice", #"{"id":5,"cmd":"start","args":{"session":"a","voice":"J\u00fcrgen"}}"#, 5,
             .start(StartArgs(session: "a", voice: "Jürgen"))),
    GoodLine("tempo value", #"{"id":6,"cmd":"tempo","args":{"value":1.25}}"#, 6, .tempo(.set(1.25))),
    GoodLine("tempo value integer", #"{"id":6,"cmd":"tempo","args":{"value":1}}"#, 6, .tempo(.set(1))),
    GoodLine("tempo value exponent", #"{"id":6,"cmd":"tempo","args":{"value":5e-1}}"#, 6, .tempo(.set(0.5))),
    GoodLine("tempo value min", #"{"id":6,"cmd":"tempo","args":{"value":0.25}}"#, 6, .tempo(.set(0.25))),
    GoodLine("tempo value max", #"{"id":6,"cmd":"tempo","args":{"value":2.0}}"#, 6, .tempo(.set(2))),
    GoodLine("tempo step negative", #"{"id":6,"cmd":"tempo","args":{"step":-0.05}}"#, 6, .tempo(.step(-0.05))),
    GoodLine("tempo step max", #"{"id":6,"cmd":"tempo","args":{"step":1.75}}"#, 6, .tempo(.step(1.75))),
    GoodLine("tempo step min", #"{"id":6,"cmd":"tempo","args":{"step":-1.75}}"#, 6, .tempo(.step(-1.75))),
    GoodLine("tempo step zero", #"{"id":6,"cmd":"tempo","args":{"step":0}}"#, 6, .tempo(.step(0))),
    GoodLine("volume default class", #"{"id":7,"cmd":"volume","args":{"value":0.5}}"#, 7, .volume(.master, 0.5)),
    GoodLine("volume voice", #"{"id":7,"cmd":"volume","args":{"class":"voice","value":1.5}}"#, 7, .volume(.voice, 1.5)),
    GoodLine("volume tone zero", #"{"id":7,"cmd":"volume","args":{"value":0,"class":"tone"}}"#, 7, .volume(.tone, 0)),
    GoodLine("volume master integer", #"{"id":7,"cmd":"volume","args":{"class":"master","value":1}}"#, 7, .volume(.master, 1)),
    GoodLine("subscribe all", #"{"id":8,"cmd":"subscribe"}"#, 8, .subscribe(nil)),
    GoodLine("subscribe empty args", #"{"id":8,"cmd":"subscribe","args":{}}"#, 8, .subscribe(nil)),
    GoodLine("subscribe none", #"{"id":8,"cmd":"subscribe","args":{"events":[]}}"#, 8, .subscribe([])),
    GoodLine("subscribe some", #"{"id":8,"cmd":"subscribe","args":{"events":["cue","state"]}}"#, 8, .subscribe([.cue, .state])),
    GoodLine("subscribe duplicates collapse", #"{"id":8,"cmd":"subscribe","args":{"events":["cue","cue","state"]}}"#, 8, .subscribe([.cue, .state])),
    GoodLine("subscribe every name", #"{"id":8,"cmd":"subscribe","args":{"events":["state","exercise","phase","cue","finished","error","tempo","volume"]}}"#,
             8, .subscribe(EventName.allCases)),
    GoodLine("seek", #"{"id":9,"cmd":"seek","args":{"position":30}}"#, 9, .seek(30)),
    GoodLine("goto by number", #"{"id":9,"cmd":"goto","args":{"exercise":2}}"#, 9, .goto(.index(2))),
    GoodLine("goto by id", #"{"id":9,"cmd":"goto","args":{"exercise":"back-lift"}}"#, 9, .goto(.id("back-lift"))),
    GoodLine("stop after the exercise", #"{"id":9,"cmd":"stop","args":{"after_exercise":true}}"#, 9, .stopAfterExercise),
    GoodLine("stop, not after the exercise", #"{"id":9,"cmd":"stop","args":{"after_exercise":false}}"#, 9, .stop),
    GoodLine("escaped command name", #"{"id":9,"cmd":"p\u0069ng"}"#, 9, .ping),
]

/// One of every command (and argument shape), for round trips.
let everyCommand: [Command] = [
    .start(StartArgs(session: "morning")),
    .start(StartArgs(session: "evening-2", tempo: 0.85, voice: "default", leadIn: 12.5, replace: true)),
    .start(StartArgs(session: "s", tempo: 2, voice: "Ünïcødé \"quoted\"", leadIn: 0, replace: false)),
    .pause, .resume, .toggle, .stop, .next, .prev,
    .tempo(.set(0.25)), .tempo(.set(1.1)), .tempo(.set(2)),
    .tempo(.step(-0.1)), .tempo(.step(1.75)), .tempo(.step(0)),
    .volume(.master, 0), .volume(.voice, 0.3333333333333333), .volume(.tone, 1.5),
    .seek(0), .seek(12.25),
    .stopAfterExercise, .goto(.index(1)), .goto(.index(10_000)), .goto(.id("back-lift")), .whereAmI,
    .start(StartArgs(session: "s", at: .index(3))), .start(StartArgs(session: "s", at: .id("arch-and-flatten"))),
    .status, .sessions, .voices,
    .subscribe(nil), .subscribe([]), .subscribe([.finished, .error]), .subscribe(EventName.allCases),
    .ping, .reload,
]

@Suite("parseRequest: good input")
struct GoodRequestTests {
    @Test("parses", arguments: goodLines)
    func parses(_ g: GoodLine) throws {
        let request = try parseRequest(bytes(g.text)).get()
        #expect(request == g.request)
    }

    @Test("encodeRequest -> parseRequest round trip", arguments: everyCommand)
    func roundTrip(_ command: Command) throws {
        for id: Int64 in [0, 1, -1, 42, .max, .min] {
            let line = encodeRequest(id: id, command: command)
            #expect(!line.contains("\n"))
            let parsed = try parseRequest(Array(line.utf8)).get()
            #expect(parsed == Request(id: id, command: command), "\(line)")
        }
    }

    @Test("every command name is covered by the round trip")
    func coverage() {
        #expect(Set(everyCommand.map(\.name)) == Set(Command.names))
        #expect(Command.names.count == 18)
    }

    @Test("encodeRequest writes compact lines, args only when present")
    func encodedForm() {
        #expect(encodeRequest(id: 1, command: .ping) == #"{"id":1,"cmd":"ping"}"#)
        #expect(encodeRequest(id: 2, command: .volume(.voice, 0.5)) == #"{"id":2,"cmd":"volume","args":{"class":"voice","value":0.5}}"#)
        #expect(encodeRequest(id: 3, command: .tempo(.step(-0.05))) == #"{"id":3,"cmd":"tempo","args":{"step":-0.05}}"#)
        #expect(encodeRequest(id: 4, command: .start(StartArgs(session: "a", leadIn: 5))) == #"{"id":4,"cmd":"start","args":{"session":"a","lead_in":5}}"#)
        #expect(encodeRequest(id: 5, command: .subscribe([.cue])) == #"{"id":5,"cmd":"subscribe","args":{"events":["cue"]}}"#)
        #expect(encodeRequest(id: 6, command: .subscribe(nil)) == #"{"id":6,"cmd":"subscribe"}"#)
    }

    @Test("session ids follow SomacueCore's isValidID")
    func sessionIDs() {
        let samples = ["a", "morning", "morning-core", "a1-b2-c3", "0", "9-9", "", "-", "-a", "a-", "a--b", "A", "Morning",
                       "a_b", "a b", "a.b", "a/b", "..", "é", "ａ", "a\u{0}", String(repeating: "x", count: 3000)]
        for session in samples {
            let line = encodeRequest(id: 1, command: .start(StartArgs(session: session)))
            switch parseRequest(Array(line.utf8)) {
            case .success: #expect(isValidID(session), "accepted \(quotedForTest(session))")
            case .failure(let f):
                #expect(!isValidID(session), "rejected \(quotedForTest(session)): \(f.error)")
                #expect(f.error.code == .outOfRange)
            }
        }
    }

    @Test("parseRequest accepts any byte collection")
    func collections() throws {
        let text = #"xx{"id":1,"cmd":"ping"}xx"#
        let slice = Array(text.utf8).dropFirst(2).dropLast(2)
        #expect(try parseRequest(slice).get() == Request(id: 1, command: .ping))
        #expect(try parseRequest(#"{"id":1,"cmd":"ping"}"#.utf8).get() == Request(id: 1, command: .ping))
    }
}
