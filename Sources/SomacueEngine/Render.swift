import SomacueAudio
import SomacueCore
import SomacueLibrary
import SomacuePlatform
#if canImport(Glibc)
import Glibc
#endif

/// Renders a loaded session to a file with the same kernel the device uses, so a 16-bit
/// render holds exactly the samples `play` sends to the device. The file is replaced only once
/// the render is complete (`RenderTarget`): after any failure the old file is unchanged.
public func renderToFile(_ loaded: LoadedSession, config: Config, path: String, float: Bool,
                         progress: Bool) throws(EngineError) {
    // /dev/null, a FIFO or a device has no extension to go by: WAV.
    guard let format = OutputFileFormat(path: path, float: float)
            ?? (RenderTarget.isInPlace(path) && !Platform.basename(path).contains(".") ? (float ? .wavFloat : .wav16) : nil) else {
        throw EngineError("somacue: cannot tell the format of \(path); use .wav, .flac, .ogg or .opus", status: ExitStatus.usage)
    }
    let target = try RenderTarget.prepare(path)
    do throws(EngineError) {
        try render(loaded, config: config, to: target, format: format, progress: progress)
        try target.commit()
    } catch {
        target.discard()
        throw error
    }
}

/// Writes the whole render to `target.writePath`; errors name the file the user asked for.
func render(_ loaded: LoadedSession, config: Config, to target: RenderTarget, format: OutputFileFormat,
            progress: Bool) throws(EngineError) {
    let path = target.requested
    let rate = loaded.plan.timeline.sampleRate
    let writer: AudioFileWriter
    do { writer = try AudioFileWriter(path: target.writePath, format: format, sampleRate: rate, channels: 2) } catch {
        throw EngineError("somacue: cannot write \(path): \(error.reason)\(target.failureNote)", status: ExitStatus.cannotCreate)
    }
    let mixer = loaded.makeMixer(config: config)
    defer { MixerState.deallocate(mixer) }
    // 64 Ki frames (256 KB of 16-bit stereo) per write: few system calls, and still small
    // enough to stay in the cache between the kernel and the writer.
    let block = 1 << 16
    let ints = UnsafeMutablePointer<Int16>.allocate(capacity: block * 2)
    // Float samples only for a float file; the 16-bit ones are the kernel's own output.
    let floats: UnsafeMutablePointer<Float>? = format == .wavFloat ? .allocate(capacity: block * 2) : nil
    defer { ints.deallocate(); floats?.deallocate() }
    let total = loaded.plan.timeline.frames.value
    // A second core renders blocks (RenderWorker); this thread writes them all in order and
    // renders whenever the next one is not ready.
    let worker = RenderWorker.start(loaded: loaded, config: config, block: block, total: total, float: floats != nil)
    defer { worker?.finish() }
    var done: Int64 = 0
    var b = 0
    var lastShown = -1
    let bar = progress ? ProgressBar(label: Platform.basename(path)) : nil
    while done < total {
        let n = Int(min(Int64(block), total - done))
        var blockInts = ints, blockFloats = floats
        if let worker {
            (blockInts, blockFloats) = worker.take(block: b, own: mixer)
        } else {
            mixerRender(mixer, frames: n, into: ints, floatOut: floats)
        }
        do {
            if let blockFloats {
                try writer.write(UnsafeBufferPointer(start: blockFloats, count: n * 2))
            } else {
                try writer.write(UnsafeBufferPointer(start: blockInts, count: n * 2))
            }
        } catch {
            try? writer.close()
            throw EngineError("somacue: cannot write \(path) (after \(formatClock(rate.seconds(FrameCount(done)))) of "
                              + "\(formatClock(rate.seconds(FrameCount(total))))): \(error.reason)\(target.failureNote)",
                              status: ExitStatus.cannotCreate)
        }
        worker?.release(block: b)
        done += Int64(n)
        b += 1
        let percent = Int(done * 100 / total)
        if percent != lastShown { bar?.show(fraction: Double(done) / Double(total)); lastShown = percent }
    }
    do { try writer.close() } catch {
        throw EngineError("somacue: cannot finish \(path): \(error.reason)\(target.failureNote)", status: ExitStatus.cannotCreate)
    }
    bar?.finish()
}

/// A one-line progress bar on stderr (only used when stderr is a terminal).
struct ProgressBar {
    var label: String
    func show(fraction: Double) {
        let width = 30
        let filled = min(width, max(0, Int(saturating: fraction * Double(width), rounding: .down)))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let text = "\r\(label) [\(bar)] \(Int(saturating: fraction * 100, rounding: .down))%"
        text.withCString { p in _ = write(2, p, strlen(p)) }
    }
    func finish() { "\n".withCString { p in _ = write(2, p, 1) } }
}
