import CPortAudio
import Foundation
import SomacueAudio
import SomacueCore
import Testing

// PortAudio reads ALSA_CONFIG_PATH once, at the first Pa_Initialize, and the variable is
// process-wide while Swift Testing runs tests in parallel. So every PortAudio scenario runs in
// a child process: the parent test re-runs this test binary with `--filter <scenario>` and
// the scenario's environment (SOMACUE_PA_SCENARIO, ALSA_CONFIG_PATH, SOMACUE_CAPTURE). The
// scenario tests are disabled unless SOMACUE_PA_SCENARIO names them, so a normal run only
// executes the parents.

private let scenarioVariable = "SOMACUE_PA_SCENARIO"
private let resultVariable = "SOMACUE_PA_RESULT"

private func isScenario(_ name: String) -> Bool {
    ProcessInfo.processInfo.environment[scenarioVariable] == name
}

/// Runs scenario `name` in a child test process with the given ALSA config and returns its
/// result lines (written by `ScenarioLog`), failing the test if the child failed or ran nothing.
private func runScenario(_ name: String, alsaConfig: String, dir: FixtureDir,
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> (log: [String], stderr: String) {
    let resultFile = dir.file("\(name).result")
    var env = dir.toolEnvironment
    env[scenarioVariable] = name
    env[resultVariable] = resultFile
    env["ALSA_CONFIG_PATH"] = alsaConfig
    env["SOMACUE_CAPTURE"] = dir.file("\(name).capture.raw")
    let exe = try #require(Bundle.main.executablePath ?? CommandLine.arguments.first)
    let r = try runProcess(exe, ["--testing-library", "swift-testing", "--filter", "PortAudioScenarios/\(name)"],
                           environment: env, timeout: 120)
    #expect(r.status == 0, "scenario \(name) failed (status \(r.status))\nstdout:\n\(r.stdout)\nstderr:\n\(r.stderr)",
            sourceLocation: sourceLocation)
    let log = (try? String(contentsOfFile: resultFile, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    #expect(log.last == "done", "scenario \(name) did not run to the end\nstdout:\n\(r.stdout)\nstderr:\n\(r.stderr)",
            sourceLocation: sourceLocation)
    return (log, r.stderr + r.stdout)
}

/// Lines the child hands back to the parent (the last one is "done").
private final class ScenarioLog {
    private var lines: [String] = []
    func add(_ line: String) { lines.append(line) }
    func finish() throws {
        lines.append("done")
        let path = try #require(ProcessInfo.processInfo.environment[resultVariable])
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// Plays a counter pattern: frame f holds (f % 30000 + 1) on the left and its negation on the
/// right, for `total` frames; then paComplete.
struct CounterTone {
    var frame = 0
    var total: Int
    var callbacks = 0
}

/// A top-level func passed as `PortAudioCallback`, as the engine's render callback is.
func counterToneCallback(_ input: UnsafeRawPointer?, _ output: UnsafeMutableRawPointer?, _ frameCount: UInt,
                         _ timeInfo: UnsafePointer<PaStreamCallbackTimeInfo>?, _ statusFlags: PaStreamCallbackFlags,
                         _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let output, let userData else { return Int32(paAbort.rawValue) }
    let st = userData.assumingMemoryBound(to: CounterTone.self)
    let out = output.assumingMemoryBound(to: Int16.self)
    st.pointee.callbacks += 1
    for i in 0..<Int(frameCount) {
        let f = st.pointee.frame + i
        let v: Int16 = f < st.pointee.total ? Int16(f % 30_000 + 1) : 0
        out[2 * i] = v
        out[2 * i + 1] = -v
    }
    st.pointee.frame += Int(frameCount)
    return st.pointee.frame >= st.pointee.total ? Int32(paComplete.rawValue) : Int32(paContinue.rawValue)
}

@Suite("PortAudio (each scenario in a child process)")
struct PortAudioTests {
    @Test("with capture-raw.conf: default and substring lookup, listing errors, a bit-exact paInt16 stream")
    func portAudio_captureDevice() throws {
        let conf = try #require(Fixtures.captureRawConf, "scripts/alsa/capture-raw.conf is missing from the checkout")
        let dir = try FixtureDir("pa-capture")
        let (log, output) = try runScenario("captureScenario", alsaConfig: conf, dir: dir)
        #expect(log.contains("devices: somacue_null, default*"), "\(log)")
        // Pa_Initialize ran with fd 2 silenced: none of libjack's probe lines got out.
        #expect(!output.contains("jack server"), "\(output)")
        #expect(!output.contains("JackShmReadWritePtr"), "\(output)")
    }

    @Test("with an ALSA config that yields no devices: a clear OutputDeviceError listing none")
    func portAudio_noDevices() throws {
        let dir = try FixtureDir("pa-empty")
        let conf = dir.file("empty-alsa.conf")
        // The one PCM points at a card that does not exist, so PortAudio lists no devices: the
        // state of a machine without a sound card. (A config with no PCM at all is not usable
        // for this: PortAudio 19.6 then aborts the process inside Pa_Initialize, failing
        // `assert(devIdx < numDeviceNames)` in pa_linux_alsa.c BuildDeviceList.)
        try """
            # An ALSA configuration whose only device cannot be opened.
            pcm.!default { type hw card 99 device 0 }

            """.write(toFile: conf, atomically: true, encoding: .utf8)
        let (log, _) = try runScenario("noDevicesScenario", alsaConfig: conf, dir: dir)
        #expect(log.contains(
            "somacue: cannot open audio device \"default\": Device unavailable (-9985); output devices seen: none. "
                + "Use --device NAME, or render to a file with `somacue render SESSION -o out.wav`."), "\(log)")
    }

    // MARK: Name matching without PortAudio

    static let devices = [
        OutputDeviceInfo(name: "somacue_null", index: 0, isDefault: false, channels: 128, sampleRate: 48_000),
        OutputDeviceInfo(name: "default", index: 1, isDefault: true, channels: 128, sampleRate: 48_000),
        OutputDeviceInfo(name: "HDA Intel PCH: ALC892 Analog (hw:0,0)", index: 2, isDefault: false, channels: 2, sampleRate: 44_100),
        OutputDeviceInfo(name: "sysdefault", index: 3, isDefault: false, channels: 128, sampleRate: 48_000),
    ]

    @Test("device names: default, exact, case-insensitive, unique substring")
    func resolve_matchingRules() throws {
        #expect(try PortAudio.resolve(nil, in: Self.devices).index == 1)
        #expect(try PortAudio.resolve("", in: Self.devices).index == 1)
        #expect(try PortAudio.resolve("default", in: Self.devices).index == 1)
        #expect(try PortAudio.resolve("sysdefault", in: Self.devices).index == 3, "exact beats substring")
        #expect(try PortAudio.resolve("SOMACUE_NULL", in: Self.devices).index == 0)
        #expect(try PortAudio.resolve("DEFAULT", in: Self.devices).index == 1, "case-insensitive exact beats substring")
        #expect(try PortAudio.resolve("alc892", in: Self.devices).index == 2)
        #expect(try PortAudio.resolve("null", in: Self.devices).index == 0)
        // With no device flagged default, a device named "default" is used.
        let unflagged = Self.devices.map { d -> OutputDeviceInfo in var d = d; d.isDefault = false; return d }
        #expect(try PortAudio.resolve("default", in: unflagged).index == 1)
    }

    @Test("ambiguous and unknown names list the devices in one line")
    func resolve_errors() {
        let ambiguous = #expect(throws: OutputDeviceError.self) { _ = try PortAudio.resolve("DEF", in: Self.devices) }
        #expect(ambiguous?.kind == .ambiguous(matches: ["default", "sysdefault"]))
        #expect(ambiguous?.description
            == "somacue: cannot open audio device \"DEF\": the name matches 2 output devices (\"default\", "
            + "\"sysdefault\"); output devices seen: \"somacue_null\", \"default\" (default), "
            + "\"HDA Intel PCH: ALC892 Analog (hw:0,0)\", \"sysdefault\". Use --device with the full name, "
            + "or render to a file with `somacue render SESSION -o out.wav`.")

        let unknown = #expect(throws: OutputDeviceError.self) { _ = try PortAudio.resolve("hdmi", in: Self.devices) }
        #expect(unknown?.kind == .notFound)
        #expect(unknown?.description.contains("\n") == false)
        #expect(unknown?.description.hasPrefix("somacue: cannot open audio device \"hdmi\": no output device has this "
            + "name or contains it; output devices seen: \"somacue_null\", \"default\" (default), ") == true)

        let none = #expect(throws: OutputDeviceError.self) { _ = try PortAudio.resolve(nil, in: []) }
        #expect(none?.kind == .noDefault)
        #expect(none?.description == "somacue: cannot open audio device \"default\": Device unavailable (-9985); "
            + "output devices seen: none. Use --device NAME, or render to a file with `somacue render SESSION -o out.wav`.")
    }
}

/// The child-process halves. Disabled unless SOMACUE_PA_SCENARIO names them.
@Suite("PortAudio scenarios (child process only)", .serialized)
struct PortAudioScenarios {
    @Test(.enabled(if: isScenario("captureScenario")))
    func captureScenario() throws {
        let log = ScenarioLog()
        #expect(ProcessInfo.processInfo.environment["ALSA_CONFIG_PATH"]?.hasSuffix("capture-raw.conf") == true)
        try PortAudio.initialize()
        try PortAudio.initialize()  // reference-counted
        #expect(PortAudio.isInitialized)

        let devices = PortAudio.outputDevices()
        log.add("devices: " + devices.map { $0.name + ($0.isDefault ? "*" : "") }.joined(separator: ", "))
        #expect(devices.contains { $0.name == "default" && $0.isDefault })
        #expect(devices.allSatisfy { $0.channels > 0 })

        let byDefault = try PortAudio.resolveOutputDevice(nil)
        #expect(byDefault.name == "default")
        #expect(try PortAudio.resolveOutputDevice("default") == byDefault)
        #expect(try PortAudio.resolveOutputDevice("null").name == "somacue_null")
        #expect(try PortAudio.resolveOutputDevice("SOMACUE_NULL").name == "somacue_null")
        let ambiguous = #expect(throws: OutputDeviceError.self) { _ = try PortAudio.resolveOutputDevice("e") }
        log.add(ambiguous?.description ?? "-")
        #expect(ambiguous?.kind == .ambiguous(matches: ["somacue_null", "default"]))
        #expect(ambiguous?.description.contains("output devices seen: \"somacue_null\", \"default\" (default).") == true)
        let unknown = #expect(throws: OutputDeviceError.self) { _ = try PortAudio.resolveOutputDevice("hdmi") }
        log.add(unknown?.description ?? "-")
        #expect(unknown?.kind == .notFound)
        #expect(unknown?.description.contains("\"hdmi\"") == true)
        #expect(unknown?.description.contains("output devices seen: \"somacue_null\", \"default\" (default).") == true)

        // Parameters the device refuses: PortAudio's reason, the device and the list.
        let refused = #expect(throws: OutputDeviceError.self) {
            _ = try PortAudioOutputStream(device: byDefault, sampleRate: .standard, channels: 4_096, framesPerBuffer: 256,
                                          suggestedLatency: nil, callback: counterToneCallback, userData: nil)
        }
        log.add(refused?.description ?? "-")
        #expect(refused?.kind == .openFailed)
        #expect(refused?.portAudioError?.code == paInvalidChannelCount.rawValue)
        #expect(refused?.description.contains("cannot open audio device \"default\": Invalid number of channels (-9998)") == true)

        // A real stream: 48 kHz, stereo, paInt16, through the capture file, bit-exact.
        let total = 48_000
        let state = UnsafeMutablePointer<CounterTone>.allocate(capacity: 1)
        state.initialize(to: CounterTone(total: total))
        defer { state.deallocate() }
        let stream = try PortAudioOutputStream(device: byDefault, sampleRate: .standard, channels: 2, framesPerBuffer: 256,
                                               suggestedLatency: 0.05, callback: counterToneCallback, userData: state)
        #expect(!stream.isActive)
        #expect(stream.outputLatency > 0)
        log.add("latency: \(stream.outputLatency)")
        try stream.start()
        let deadline = Date().addingTimeInterval(20)
        while stream.isActive && Date() < deadline { usleep(1_000) }
        #expect(!stream.isActive, "the stream finished after paComplete")
        stream.stop()
        stream.close()
        stream.close()  // idempotent
        #expect(state.pointee.callbacks >= total / 256)

        let capturePath = try #require(ProcessInfo.processInfo.environment["SOMACUE_CAPTURE"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: capturePath))
        let captured = bytes.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        let first = try #require(captured.firstIndex { $0 != 0 }, "nothing but silence was captured")
        #expect(first % 2 == 0, "the first sound is on the left channel")
        try #require(captured.count - first >= total * 2, "captured \(captured.count) samples")
        var expected = [Int16](repeating: 0, count: total * 2)
        for f in 0..<total {
            expected[2 * f] = Int16(f % 30_000 + 1)
            expected[2 * f + 1] = -Int16(f % 30_000 + 1)
        }
        #expect(Array(captured[first..<(first + total * 2)]) == expected)
        log.add("captured: \(captured.count / 2) frames, payload at \(first / 2)")

        // A stream still open at the last terminate is freed by PortAudio; its object goes inert.
        let orphan = try PortAudioOutputStream(device: byDefault, sampleRate: .standard, channels: 2, framesPerBuffer: 0,
                                               suggestedLatency: nil, callback: counterToneCallback, userData: nil)
        PortAudio.terminate()
        #expect(PortAudio.isInitialized, "one initialize() is still outstanding")
        PortAudio.terminate()
        #expect(!PortAudio.isInitialized)
        #expect(!orphan.isActive)
        orphan.close()

        // A device listed before a re-initialisation is found again by name.
        try PortAudio.initialize()
        var stale = byDefault
        stale.index = 99
        let reopened = try PortAudioOutputStream(device: stale, sampleRate: .standard, channels: 2, framesPerBuffer: 256,
                                                 suggestedLatency: nil, callback: counterToneCallback, userData: nil)
        #expect(reopened.device.name == "default")
        #expect(reopened.device.index == byDefault.index)
        reopened.close()
        PortAudio.terminate()
        try log.finish()
    }

    @Test(.enabled(if: isScenario("noDevicesScenario")))
    func noDevicesScenario() throws {
        let log = ScenarioLog()
        try PortAudio.initialize()
        defer { PortAudio.terminate() }
        #expect(PortAudio.outputDevices().isEmpty)
        let noDefault = #expect(throws: OutputDeviceError.self) { _ = try PortAudio.resolveOutputDevice("default") }
        log.add(noDefault?.description ?? "-")
        #expect(noDefault?.kind == .noDefault)
        #expect(noDefault?.devices.isEmpty == true)
        #expect(noDefault?.portAudioError?.code == paDeviceUnavailable.rawValue)
        let openError = #expect(throws: OutputDeviceError.self) {
            _ = try PortAudioOutputStream(
                device: OutputDeviceInfo(name: "default", index: 0, isDefault: true, channels: 2, sampleRate: 48_000),
                sampleRate: .standard, channels: 2, framesPerBuffer: 256, suggestedLatency: nil,
                callback: counterToneCallback, userData: nil)
        }
        log.add(openError?.description ?? "-")
        #expect(openError?.kind == .notFound)
        #expect(openError?.description.contains("output devices seen: none") == true)
        try log.finish()
    }
}
