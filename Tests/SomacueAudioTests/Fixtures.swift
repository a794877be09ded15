import Foundation
import SomacueAudio
import SomacueCore
import Testing

/// A private temporary directory, removed when the value is released. It also holds the
/// HOME, TMPDIR and XDG_RUNTIME_DIR given to fixture generators (espeak-ng touches PulseAudio
/// client state under HOME and TMPDIR even with `-w`).
final class FixtureDir: @unchecked Sendable {
    let path: String

    init(_ label: String = "fixture") throws {
        var template = Array("/tmp/somacue-audio-\(label).XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw FixtureError("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
        for sub in ["home", "tmp", "xdg"] {
            try FileManager.default.createDirectory(atPath: "\(path)/.env/\(sub)", withIntermediateDirectories: true)
        }
        chmod("\(path)/.env/xdg", 0o700)
    }

    deinit {
        // Undo any chmod 000 a test left behind, then delete everything.
        if let items = FileManager.default.enumerator(atPath: path) {
            for case let item as String in items { chmod("\(path)/\(item)", 0o700) }
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Environment for spawned generators: temp HOME, TMPDIR, XDG_RUNTIME_DIR; nothing inherited
    /// but PATH and a C locale.
    var toolEnvironment: [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": "\(path)/.env/home",
            "TMPDIR": "\(path)/.env/tmp",
            "XDG_RUNTIME_DIR": "\(path)/.env/xdg",
            "LC_ALL": "C",
        ]
    }

    /// Runs `sox -D ARGS` (no dither: byte-identical output with true digital silence).
    func sox(_ args: [String]) throws {
        let r = try runProcess(Fixtures.which("sox"), ["-D"] + args, environment: toolEnvironment)
        guard r.status == 0 else { throw FixtureError("sox \(args.joined(separator: " ")) failed: \(r.stderr)") }
    }

    /// A sine tone made by sox: `seconds` long at `rate`, `channels`, volume 0.5.
    /// `options` select the encoding, e.g. ["-b", "24"] or ["-e", "floating-point", "-b", "32"].
    @discardableResult
    func soxTone(_ name: String, rate: Int, channels: Int, seconds: Double = 0.25, frequency: Double = 440,
                 options: [String] = ["-b", "16"]) throws -> String {
        let out = file(name)
        try sox(["-n", "-r", "\(rate)", "-c", "\(channels)"] + options
                + [out, "synth", "\(seconds)", "sine", "\(frequency)", "vol", "0.5"])
        return out
    }

    /// Writes raw bytes.
    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let out = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: out))
        return out
    }

    /// Copies the first `count` bytes of `source` to `name`.
    @discardableResult
    func truncatedCopy(of source: String, to name: String, bytes count: Int) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: source))
        precondition(count < data.count, "truncation would not cut anything")
        return try write(name, bytes: Array(data.prefix(count)))
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program to completion, capturing stdout and stderr (read concurrently, so a chatty
/// child never blocks on a full pipe).
/// With `timeout`, a child still running after that many seconds is sent SIGTERM (by its pid).
func runProcess(_ executable: String, _ args: [String], environment: [String: String],
                timeout: TimeInterval? = nil) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    p.environment = environment
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let watchdog = DispatchWorkItem { [p] in if p.isRunning { p.terminate() } }
    if let timeout { DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog) }
    defer { watchdog.cancel() }
    let errBox = DataBox()
    let reader = Thread { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); errBox.done.signal() }
    reader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    errBox.done.wait()
    p.waitUntilExit()
    return ProcessResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errBox.data, as: UTF8.self))
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
    let done = DispatchSemaphore(value: 0)
}

enum Fixtures {
    /// Absolute path of a program on PATH, or the bare name (Process then fails clearly).
    static func which(_ name: String) -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/usr/bin/\(name)"
    }

    static func hasTool(_ name: String) -> Bool { FileManager.default.isExecutableFile(atPath: which(name)) }

    /// The repository's unclocked capture device, `scripts/alsa/capture-raw.conf`, if present.
    static var captureRawConf: String? {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/alsa/capture-raw.conf").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// A deterministic Int16 test pattern covering the extremes, zero and a ramp.
    static func int16Pattern(frames: Int, channels: Int) -> [Int16] {
        var out: [Int16] = []
        out.reserveCapacity(frames * channels)
        var x: UInt32 = 12_345
        for i in 0..<(frames * channels) {
            switch i {
            case 0: out.append(Int16.max)
            case 1: out.append(Int16.min)
            case 2: out.append(0)
            case 3: out.append(-1)
            case 4: out.append(1)
            default:
                x = x &* 1_103_515_245 &+ 12_345
                out.append(Int16(truncatingIfNeeded: x >> 8))
            }
        }
        return out
    }

    /// Writes interleaved Int16 samples with AudioFileWriter.
    @discardableResult
    static func writeInt16(_ path: String, _ samples: [Int16], format: OutputFileFormat = .wav16,
                           rate: Int, channels: Int) throws -> String {
        let w = try AudioFileWriter(path: path, format: format, sampleRate: SampleRate(rate), channels: channels)
        try samples.withUnsafeBufferPointer { try w.write($0) }
        try w.close()
        return path
    }

    /// Writes interleaved Float samples with AudioFileWriter.
    @discardableResult
    static func writeFloat(_ path: String, _ samples: [Float], format: OutputFileFormat,
                           rate: Int, channels: Int) throws -> String {
        let w = try AudioFileWriter(path: path, format: format, sampleRate: SampleRate(rate), channels: channels)
        try samples.withUnsafeBufferPointer { try w.write($0) }
        try w.close()
        return path
    }

    /// A sine, interleaved with the same signal on every channel.
    static func sine(frequency: Double, rate: Int, frames: Int, channels: Int, amplitude: Float = 0.5) -> [Float] {
        var out = [Float](repeating: 0, count: frames * channels)
        for i in 0..<frames {
            let v = amplitude * Float(sin(2 * Double.pi * frequency * Double(i) / Double(rate)))
            for c in 0..<channels { out[i * channels + c] = v }
        }
        return out
    }

    /// Frequency by counting rising zero crossings (ignoring `skip` frames at each end).
    static func estimateFrequency(_ mono: [Float], rate: Int, skip: Int = 0) -> Double {
        let s = Array(mono[skip..<(mono.count - skip)])
        var firstCross = -1.0
        var lastCross = -1.0
        var crossings = 0
        for i in 1..<s.count where s[i - 1] < 0 && s[i] >= 0 {
            // Linear interpolation of the crossing point.
            let t = Double(i - 1) + Double(-s[i - 1]) / Double(s[i] - s[i - 1])
            if firstCross < 0 { firstCross = t } else { crossings += 1 }
            lastCross = t
        }
        guard crossings > 0 else { return 0 }
        return Double(crossings) * Double(rate) / (lastCross - firstCross)
    }

    static func rms(_ s: ArraySlice<Float>) -> Double {
        guard !s.isEmpty else { return 0 }
        return (s.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(s.count)).squareRoot()
    }

    /// Channel `c` of interleaved samples.
    static func channel(_ samples: [Float], _ c: Int, of channels: Int) -> [Float] {
        stride(from: c, to: samples.count, by: channels).map { samples[$0] }
    }
}

extension LoadedCue {
    var array: [Float] { Array(samples) }
}
