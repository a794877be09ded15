import ArgumentParser
import Glibc
import SomacueCore
import SomacuePlatform
import SomacueProtocol

// The values a shell completes that only somacued knows: session ids, voice names, exercise ids
// and output devices. The light CLI links no library code, so it asks somacued: the running
// daemon over its socket when one answers (what it would play), else the engine executable
// (`somacued sessions --json`, ...). The shells call these through `somacue ---completion`;
// they must be quick and quiet, so every failure is an empty list, never a message.

enum Completions {
    /// How long a completion waits for the daemon: a shell must never hang on a Tab.
    static let timeout = 2.0

    /// The value of `--NAME VALUE` or `--NAME=VALUE` on the command line being completed.
    static func option(_ name: String, in words: [String]) -> String? {
        for (i, w) in words.enumerated() {
            if w == name, i + 1 < words.count { return words[i + 1] }
            if w.hasPrefix(name + "=") { return String(w.dropFirst(name.count + 1)) }
        }
        return nil
    }

    /// `data[key]` of the daemon's reply to `command`, or nil when no daemon of this user answers.
    static func askDaemon(_ command: Command, _ key: String, words: [String]) -> JSON? {
        guard case .success(let path) = Platform.controlSocketPath(explicit: option("--socket", in: words)),
              case .success(var client) = ControlClient.connect(path, timeout: timeout) else { return nil }
        defer { client.close() }
        return (try? client.request(command))?.json[path: "data", key]
    }

    /// The parsed stdout of `somacued ARGS` (with the command line's `--config`), or nil.
    static func askEngine(_ args: [String], words: [String]) -> JSON? {
        guard let engine = Platform.findExecutable("somacued", besides: Platform.executablePath()) else { return nil }
        var argv = [engine] + args
        if let config = option("--config", in: words) { argv += ["--config", config] }
        guard let (status, out) = try? Subprocess.output(argv), status == 0 else { return nil }
        return try? parseJSON(out)
    }

    /// The members `key` of the objects (or the strings) in a JSON array.
    static func strings(_ list: JSON?, _ key: String) -> [String] {
        guard case .array(let items)? = list else { return [] }
        return items.compactMap { $0.asString ?? $0[key]?.asString }
    }

    static func matching(_ values: [String], _ prefix: String) -> [String] {
        var seen = Set<String>()
        return values.filter { $0.hasPrefix(prefix) && seen.insert($0).inserted }
    }

    @Sendable static func sessions(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        let ids = askDaemon(.sessions, "sessions", words: words).map { strings($0, "id") }
            ?? strings(askEngine(["sessions", "--json"], words: words), "id")
        return matching(ids, prefix)
    }

    @Sendable static func voices(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        let names = askDaemon(.voices, "voices", words: words).map { strings($0, "id") }
            ?? strings(askEngine(["voices", "--json"], words: words), "id")
        return matching(names, prefix)
    }

    /// Exercise ids (the protocol has no request for them: the engine lists them).
    @Sendable static func exercises(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        matching(strings(askEngine(["exercises", "--json"], words: words), "id"), prefix)
    }

    @Sendable static func devices(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        matching(["default"] + strings(askEngine(["devices", "--json"], words: words), "name"), prefix)
    }
}

extension CompletionKind {
    static var sessionID: CompletionKind { .custom(Completions.sessions) }
    static var voiceName: CompletionKind { .custom(Completions.voices) }
    static var exerciseID: CompletionKind { .custom(Completions.exercises) }
    static var deviceName: CompletionKind { .custom(Completions.devices) }
}
