#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CPortAudio
import SomacuePlatform
import SomacueCore
import Synchronization

// MARK: - Errors

/// A failure reported by PortAudio: `code` is the `PaError`, `message` its text
/// (`Pa_GetErrorText`), and for `paUnanticipatedHostError` the host API's own error
/// (`Pa_GetLastHostErrorInfo`), e.g. ALSA's.
public struct PortAudioError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int32
    public var message: String
    /// The host API's error text when PortAudio passed one on, else nil.
    public var hostErrorText: String?
    public var hostErrorCode: Int?
    /// The PortAudio function that failed, e.g. `Pa_OpenStream`.
    public var function: String
    /// The device involved, if any.
    public var device: String?

    public init(code: Int32, message: String, hostErrorText: String? = nil, hostErrorCode: Int? = nil,
                function: String, device: String? = nil) {
        self.code = code
        self.message = message
        self.hostErrorText = hostErrorText
        self.hostErrorCode = hostErrorCode
        self.function = function
        self.device = device
    }

    /// Reads the texts for `code` (and the host error, if any) from PortAudio.
    /// The corresponding C functions are `Pa_GetErrorText` and `Pa_GetLastHostErrorInfo`.
    init(code: Int32, function: String, device: String?) {
        var hostText: String?
        var hostCode: Int?
        if code == paUnanticipatedHostError.rawValue, let info = Pa_GetLastHostErrorInfo() {
            hostCode = info.pointee.errorCode
            if let t = info.pointee.errorText {
                let s = String(cString: t)
                if !s.isEmpty { hostText = s }
            }
        }
        let text = Pa_GetErrorText(code).map { String(cString: $0) } ?? "PortAudio error"
        self.init(code: code, message: text, hostErrorText: hostText, hostErrorCode: hostCode,
                  function: function, device: device)
    }

    /// `Device unavailable (-9985)`, with the host's error appended when there is one.
    public var reason: String {
        var s = "\(message) (\(code))"
        if let hostErrorText {
            s += ": " + hostErrorText
            if let hostErrorCode { s += " (host error \(hostErrorCode))" }
        }
        return s
    }

    public var description: String {
        let place = device.map { " for audio device \"\($0)\"" } ?? ""
        let advice = function == "Pa_Initialize"
            ? "Check the ALSA configuration (ALSA_CONFIG_PATH, ~/.asoundrc)."
            : "Check that the device is connected and not held exclusively by another program."
        return "PortAudio \(function) failed\(place): \(reason). \(advice)"
    }
}

/// An output device PortAudio lists (`Pa_GetDeviceInfo`), as of the last `Pa_Initialize`.
public struct OutputDeviceInfo: Sendable, Equatable {
    public var name: String
    /// PortAudio device index: valid only until `PortAudio.terminate()`; reopen by name.
    public var index: Int
    /// True for the default output device of the default host API.
    public var isDefault: Bool
    /// `maxOutputChannels`.
    public var channels: Int
    /// `defaultSampleRate`.
    public var sampleRate: Double

    public init(name: String, index: Int, isDefault: Bool, channels: Int, sampleRate: Double) {
        self.name = name
        self.index = index
        self.isDefault = isDefault
        self.channels = channels
        self.sampleRate = sampleRate
    }
}

/// The output device could not be found or used. `description` is one line: the request,
/// PortAudio's reason, the output devices PortAudio sees, and what to do.
public struct OutputDeviceError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No device has this name or contains it.
        case notFound
        /// Several devices contain the requested text.
        case ambiguous(matches: [String])
        /// "default" was asked for and PortAudio has no default output device.
        case noDefault
        /// `Pa_OpenStream` failed.
        case openFailed
        /// `Pa_StartStream` failed.
        case startFailed
    }

    public var kind: Kind
    /// The device name as requested ("default" for the default device).
    public var requested: String
    /// The output devices PortAudio saw when the error happened.
    public var devices: [OutputDeviceInfo]
    /// PortAudio's error, for open and start failures (and `paDeviceUnavailable` for `.noDefault`).
    public var portAudioError: PortAudioError?

    public init(kind: Kind, requested: String, devices: [OutputDeviceInfo], portAudioError: PortAudioError? = nil) {
        self.kind = kind
        self.requested = requested
        self.devices = devices
        self.portAudioError = portAudioError
    }

    /// The reason alone, e.g. `Device unavailable (-9985)`.
    public var reason: String {
        switch kind {
        case .notFound:
            return "no output device has this name or contains it"
        case .ambiguous(let matches):
            return "the name matches \(matches.count) output devices (" + matches.map { "\"\($0)\"" }.joined(separator: ", ") + ")"
        case .noDefault:
            return portAudioError?.reason ?? "Device unavailable (\(paDeviceUnavailable.rawValue))"
        case .openFailed, .startFailed:
            return portAudioError?.reason ?? "PortAudio error"
        }
    }

    /// `"default" (default), "somacue_null"`, or `none`.
    public var deviceList: String {
        if devices.isEmpty { return "none" }
        return devices.map { "\"\($0.name)\"" + ($0.isDefault ? " (default)" : "") }.joined(separator: ", ")
    }

    public var description: String {
        let verb = kind == .startFailed ? "start" : "open"
        let advice: String
        switch kind {
        case .ambiguous: advice = "Use --device with the full name"
        default: advice = "Use --device NAME"
        }
        return "somacue: cannot \(verb) audio device \"\(requested)\": \(reason); output devices seen: \(deviceList). "
            + "\(advice), or render to a file with `somacue render SESSION -o out.wav`."
    }
}

// MARK: - Library

/// PortAudio's global state as somacue uses it. Every PortAudio call made through this module
/// runs under this lock: PortAudio is not thread-safe, and `Pa_Terminate` frees every stream
/// and device record. Any thread; calls block (Pa_Initialize ~5-175 ms, Pa_StopStream up to the
/// output latency).
struct PortAudioLibrary {
    /// Balanced `initialize()` calls still outstanding.
    var count = 0
    /// Bumped by every real `Pa_Terminate`; streams opened in an older generation are gone.
    var generation = 0
}

let portAudioLock = Mutex(PortAudioLibrary())

/// The stream callback as a C function pointer. A top-level `func` with this signature converts
/// implicitly (the imported `PaStreamCallback` is a Swift closure type and cannot be passed on).
public typealias PortAudioCallback = @convention(c) (
    UnsafeRawPointer?, UnsafeMutableRawPointer?, UInt, UnsafePointer<PaStreamCallbackTimeInfo>?,
    PaStreamCallbackFlags, UnsafeMutableRawPointer?
) -> Int32

/// Called on PortAudio's thread when a stream becomes inactive (after stop, abort, a non-zero
/// callback result, or a lost device). It may only set an atomic flag: it must not call into
/// this module (that would deadlock on the library lock).
public typealias PortAudioFinishedCallback = @convention(c) (UnsafeMutableRawPointer?) -> Void

/// PortAudio set-up and device lookup. Blocking: run on the caller's own thread.
public enum PortAudio {
    /// Initialises PortAudio with fd 2 pointed at /dev/null for the duration (this suppresses
    /// the ALSA/JACK probe noise). Reference-counted: each successful call must be paired with
    /// `terminate()`. The device list is frozen at the first call; to see new devices,
    /// terminate every user and initialise again. `ALSA_CONFIG_PATH` must be set before the
    /// first call. The corresponding C function is `Pa_Initialize`.
    public static func initialize() throws(PortAudioError) {
        try portAudioLock.withLock { (lib) throws(PortAudioError) in
            if lib.count == 0 {
                let code = withStderrSilenced { Pa_Initialize() }
                if code != paNoError.rawValue {
                    throw PortAudioError(code: code, function: "Pa_Initialize", device: nil)
                }
            }
            lib.count += 1
        }
    }

    /// Balances one `initialize()`. The last one closes every stream still open (their
    /// `PortAudioOutputStream` objects become inert) and frees PortAudio.
    /// The corresponding C function is `Pa_Terminate`.
    public static func terminate() {
        portAudioLock.withLock { lib in
            precondition(lib.count > 0, "PortAudio.terminate() without a matching initialize()")
            lib.count -= 1
            if lib.count == 0 {
                _ = Pa_Terminate()
                lib.generation += 1
            }
        }
    }

    /// True between `initialize()` and the matching last `terminate()`.
    public static var isInitialized: Bool { portAudioLock.withLock { $0.count > 0 } }

    /// PortAudio's version text, e.g. "PortAudio V19.6.0-devel, revision 396fe4b6699a".
    /// The corresponding C function is `Pa_GetVersionText`.
    public static var versionText: String { String(cString: Pa_GetVersionText()) }

    /// The devices that can play (`maxOutputChannels > 0`), in PortAudio's order.
    /// The corresponding C functions are `Pa_GetDeviceCount` and `Pa_GetDeviceInfo`.
    public static func outputDevices() -> [OutputDeviceInfo] {
        portAudioLock.withLock { lib in
            precondition(lib.count > 0, "PortAudio.outputDevices() before PortAudio.initialize()")
            return listOutputDevices()
        }
    }

    /// Call with the lock held and PortAudio initialised.
    static func listOutputDevices() -> [OutputDeviceInfo] {
        let count = Pa_GetDeviceCount()
        guard count > 0 else { return [] }
        let defaultIndex = Pa_GetDefaultOutputDevice()
        var devices: [OutputDeviceInfo] = []
        for i in 0..<count {
            guard let info = Pa_GetDeviceInfo(i), info.pointee.maxOutputChannels > 0 else { continue }
            let name = info.pointee.name.map { String(cString: $0) } ?? "device \(i)"
            devices.append(OutputDeviceInfo(name: name, index: Int(i), isDefault: i == defaultIndex,
                                            channels: Int(info.pointee.maxOutputChannels),
                                            sampleRate: info.pointee.defaultSampleRate))
        }
        return devices
    }

    /// Finds an output device by name. `nil`, "" or "default" select the default output device;
    /// any other name is matched exactly, then case-insensitively, then as a case-insensitive
    /// substring that must match exactly one device. The error lists the devices seen.
    public static func resolveOutputDevice(_ name: String?) throws(OutputDeviceError) -> OutputDeviceInfo {
        try resolve(name, in: outputDevices())
    }

    /// The matching rules of `resolveOutputDevice`, on a given device list.
    public static func resolve(_ name: String?, in devices: [OutputDeviceInfo]) throws(OutputDeviceError) -> OutputDeviceInfo {
        let wanted = name ?? ""
        if wanted.isEmpty || wanted == "default" {
            if let d = devices.first(where: { $0.isDefault }) { return d }
            if let d = devices.first(where: { $0.name == "default" }) { return d }
            let pa = PortAudioError(code: paDeviceUnavailable.rawValue, message: "Device unavailable",
                                    function: "Pa_GetDefaultOutputDevice", device: "default")
            throw OutputDeviceError(kind: .noDefault, requested: "default", devices: devices, portAudioError: pa)
        }
        if let d = devices.first(where: { $0.name == wanted }) { return d }
        let lower = wanted.lowercased()
        let sameIgnoringCase = devices.filter { $0.name.lowercased() == lower }
        if sameIgnoringCase.count == 1 { return sameIgnoringCase[0] }
        let matches = sameIgnoringCase.isEmpty ? devices.filter { $0.name.lowercased().contains(lower) } : sameIgnoringCase
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty { throw OutputDeviceError(kind: .notFound, requested: wanted, devices: devices) }
        throw OutputDeviceError(kind: .ambiguous(matches: matches.map(\.name)), requested: wanted, devices: devices)
    }
}

// MARK: - Stream

/// A paInt16, interleaved output stream driven by a C callback (the render kernel). The
/// callback runs on PortAudio's thread; `userData` is owned by the caller and must stay valid
/// until `close()` returns (or until the last `PortAudio.terminate()`).
///
/// Thread safety: any thread may call any method; calls are serialised on the PortAudio lock
/// and block (`stop()` waits for queued buffers to play). After the last
/// `PortAudio.terminate()` the stream is gone: `start()` then traps like a start after
/// `close()`, and every other method is a no-op.
public final class PortAudioOutputStream: @unchecked Sendable {
    public let device: OutputDeviceInfo
    public let sampleRate: SampleRate
    public let channels: Int
    public let framesPerBuffer: Int
    /// Guarded by `portAudioLock`; nil once closed.
    private var stream: UnsafeMutableRawPointer?
    /// The library generation the stream was opened in.
    private let generation: Int

    /// Opens (but does not start) an output stream on `device`, re-found by name if PortAudio
    /// was re-initialised since the device was listed. `framesPerBuffer` 0 lets PortAudio
    /// choose; `suggestedLatency` nil uses the device's default low output latency. The stream
    /// is opened with `paClipOff | paDitherOff`. The corresponding C function is `Pa_OpenStream`.
    public init(device: OutputDeviceInfo, sampleRate: SampleRate, channels: Int, framesPerBuffer: Int,
                suggestedLatency: Double?, callback: PortAudioCallback,
                userData: UnsafeMutableRawPointer?) throws(OutputDeviceError) {
        precondition(channels > 0, "channels must be positive")
        precondition(framesPerBuffer >= 0, "framesPerBuffer must not be negative")
        self.sampleRate = sampleRate
        self.channels = channels
        self.framesPerBuffer = framesPerBuffer
        let opened: Result<(StreamHandle, Int, OutputDeviceInfo), OutputDeviceError> = portAudioLock.withLock { lib in
            precondition(lib.count > 0, "PortAudioOutputStream opened before PortAudio.initialize()")
            let devices = PortAudio.listOutputDevices()
            // Indexes change when PortAudio is re-initialised: trust the name.
            let current: OutputDeviceInfo
            if let same = devices.first(where: { $0.index == device.index && $0.name == device.name }) {
                current = same
            } else if let byName = devices.first(where: { $0.name == device.name }) {
                current = byName
            } else {
                return .failure(OutputDeviceError(kind: .notFound, requested: device.name, devices: devices))
            }
            guard let info = Pa_GetDeviceInfo(Int32(current.index)) else {
                return .failure(OutputDeviceError(kind: .notFound, requested: device.name, devices: devices))
            }
            var params = PaStreamParameters()
            params.device = Int32(current.index)
            params.channelCount = Int32(channels)
            params.sampleFormat = PaSampleFormat(paInt16)
            params.suggestedLatency = suggestedLatency ?? info.pointee.defaultLowOutputLatency
            params.hostApiSpecificStreamInfo = nil
            var s: UnsafeMutableRawPointer?
            let code = Pa_OpenStream(&s, nil, &params, Double(sampleRate.hz), UInt(framesPerBuffer),
                                     PaStreamFlags(paClipOff | paDitherOff), callback, userData)
            guard code == paNoError.rawValue, let s else {
                let pa = PortAudioError(code: code, function: "Pa_OpenStream", device: current.name)
                return .failure(OutputDeviceError(kind: .openFailed, requested: device.name, devices: devices, portAudioError: pa))
            }
            // ALSA streams only (the call takes any stream as ALSA's): the callback thread is
            // created under SCHED_FIFO where the process may, as it is under the normal
            // scheduler otherwise (RealtimeThreads explains why).
            if let api = Pa_GetHostApiInfo(info.pointee.hostApi), api.pointee.type == paALSA {
                PaAlsa_EnableRealtimeScheduling(s, 1)
            }
            return .success((StreamHandle(raw: s), lib.generation, current))
        }
        let (s, gen, current) = try opened.get()
        stream = s.raw
        generation = gen
        self.device = current
    }

    deinit {
        close()
    }

    /// Runs `body` with the live stream under the library lock; nil when closed or when
    /// PortAudio was terminated since the stream was opened.
    private func withStream<T>(_ body: (UnsafeMutableRawPointer) -> T) -> T? {
        portAudioLock.withLock { lib in
            guard let s = stream else { return nil }
            guard lib.count > 0, lib.generation == generation else {
                stream = nil  // freed by Pa_Terminate
                return nil
            }
            return body(s)
        }
    }

    /// How many of the process's threads run at real-time priority once the stream started:
    /// PortAudio's callback thread and the ALSA pulse plugin's thread where the process may use
    /// real-time scheduling, else 0 (see `RealtimeThreads`).
    public private(set) var realtimeThreads = 0

    /// Starts the callback, and puts the ALSA pulse plugin's thread (`threaded-ml`, started
    /// when the stream was opened) under real-time scheduling where the process may, as
    /// PortAudio does for its callback thread. The corresponding C function is `Pa_StartStream`.
    public func start() throws(OutputDeviceError) {
        let code = withStream { Pa_StartStream($0) }
        guard let code else { preconditionFailure("PortAudioOutputStream.start() after close() or PortAudio.terminate()") }
        if code == paNoError.rawValue || code == paStreamIsNotStopped.rawValue {
            _ = RealtimeThreads.raise(named: "threaded-ml")
            realtimeThreads = RealtimeThreads.threads().filter(\.realtime).count
            return
        }
        trapOnProgrammerError(code, "Pa_StartStream")
        let pa = PortAudioError(code: code, function: "Pa_StartStream", device: device.name)
        let devices = portAudioLock.withLock { lib in lib.count > 0 ? PortAudio.listOutputDevices() : [] }
        throw OutputDeviceError(kind: .startFailed, requested: device.name, devices: devices, portAudioError: pa)
    }

    /// Stops the callback after the queued buffers have played out (blocks that long).
    /// Errors are ignored: the stream is stopped either way. The corresponding C function is
    /// `Pa_StopStream`.
    public func stop() {
        if let code = withStream({ Pa_StopStream($0) }) { trapOnProgrammerError(code, "Pa_StopStream") }
    }

    /// Stops the callback at once, dropping queued buffers. The corresponding C function is
    /// `Pa_AbortStream`.
    public func abort() {
        if let code = withStream({ Pa_AbortStream($0) }) { trapOnProgrammerError(code, "Pa_AbortStream") }
    }

    /// Closes the stream (aborting it if active); later calls do nothing. After it returns the
    /// callback will not run again and `userData` may be freed. The corresponding C function is
    /// `Pa_CloseStream`.
    public func close() {
        portAudioLock.withLock { lib in
            guard let s = stream else { return }
            stream = nil
            guard lib.count > 0, lib.generation == generation else { return }
            let code = Pa_CloseStream(s)
            trapOnProgrammerError(code, "Pa_CloseStream")
        }
    }

    /// Registers a callback run when the stream becomes inactive (e.g. the device went away).
    /// Only while the stream is stopped. The corresponding C function is
    /// `Pa_SetStreamFinishedCallback`.
    public func setFinishedCallback(_ callback: PortAudioFinishedCallback?) {
        if let code = withStream({ Pa_SetStreamFinishedCallback($0, callback) }) {
            trapOnProgrammerError(code, "Pa_SetStreamFinishedCallback")
            precondition(code == paNoError.rawValue, "setFinishedCallback() on a running stream")
        }
    }

    /// True while the callback is being called (false after stop, abort, close, a non-zero
    /// callback result or device loss). The corresponding C function is `Pa_IsStreamActive`.
    public var isActive: Bool { withStream { Pa_IsStreamActive($0) == 1 } ?? false }

    /// The output latency PortAudio reports for the open stream, in seconds (0 when closed).
    /// The corresponding C function is `Pa_GetStreamInfo`.
    public var outputLatency: Double {
        withStream { Pa_GetStreamInfo($0)?.pointee.outputLatency ?? 0 } ?? 0
    }

    /// The fraction of the callback's time budget in use, as PortAudio estimates it.
    /// The corresponding C function is `Pa_GetStreamCpuLoad`.
    public var cpuLoad: Double { withStream { Pa_GetStreamCpuLoad($0) } ?? 0 }
}

/// A `PaStream*` crossing out of the lock's closure; only used under `portAudioLock`.
private struct StreamHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
}

/// `paNotInitialized` and `paBadStreamPtr` mean this module misused PortAudio: trap.
private func trapOnProgrammerError(_ code: Int32, _ function: String) {
    precondition(code != paNotInitialized.rawValue && code != paBadStreamPtr.rawValue,
                 "\(function) failed with \(code): PortAudio misused")
}
