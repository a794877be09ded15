import Testing
@testable import SomacueAudio

/// The mixer's transport: commands from the control thread through the SPSC ring, applied at
/// the next callback, with fades measured in frames.
@Suite("Mixer transport")
struct TransportTests {
    let buffers = Buffers()

    /// A timeline of one long constant cue, and a helper rendering fixed-size callbacks.
    func session(frames: Int64 = 200_000) -> UnsafeMutablePointer<MixerState> {
        let e = KernelEvent(start: 0, frames: frames, samples: buffers.make([Float](repeating: 0.5, count: Int(frames))),
                            channels: 1, gain: 1, isVoice: true)
        return MixerState.allocate(events: [e], totalFrames: frames, master: 1, voice: 1, tone: 1)
    }

    func callback(_ st: UnsafeMutablePointer<MixerState>, _ n: Int = 256) -> [Int16] {
        var out = [Int16](repeating: 0, count: 2 * n)
        out.withUnsafeMutableBufferPointer { mixerRender(st, frames: n, into: $0.baseAddress!, floatOut: nil) }
        return stride(from: 0, to: out.count, by: 2).map { out[$0] }
    }

    func notes(_ st: UnsafeMutablePointer<MixerState>) -> [MixerNote] {
        var list: [MixerNote] = []
        while let n = st.pointee.nextNote() { list.append(n) }
        return list
    }

    @Test func pauseReachesSilenceWithin960FramesOfTheNextCallback() {
        let st = session()
        defer { MixerState.deallocate(st) }
        _ = callback(st)
        _ = callback(st)
        let sent = st.pointee.send(.pause(token: 7))
        #expect(sent)
        var samples: [Int16] = []
        for _ in 0..<8 { samples += callback(st) }
        let firstZero = samples.firstIndex { $0 == 0 } ?? Int.max
        #expect(firstZero <= 960, "silence only after \(firstZero) frames")
        #expect(samples[firstZero...].allSatisfy { $0 == 0 }, "a paused session stays silent")
        // The fade is monotonic (no click).
        for i in 1..<firstZero { #expect(abs(Int(samples[i])) <= abs(Int(samples[i - 1])) + 1) }
        let ns = notes(st)
        guard case let .pauseStarted(t1, out1, _)? = ns.first, case let .paused(t2, out2, tl)? = ns.dropFirst().first else {
            Issue.record("expected pauseStarted then paused, got \(ns)")
            return
        }
        #expect(t1 == 7 && t2 == 7)
        #expect(out1 == 512)
        #expect(out2 - out1 == MixerTuning.transportFadeFrames)
        #expect(tl == 512 + MixerTuning.transportFadeFrames, "the timeline froze where the fade ended")
        let frozen = st.pointee.position.load(ordering: .relaxed)
        _ = callback(st)
        #expect(st.pointee.position.load(ordering: .relaxed) == frozen)
    }

    @Test func resumeWaitsThenContinuesFromTheGivenFrame() {
        let st = session()
        defer { MixerState.deallocate(st) }
        _ = callback(st)
        _ = st.pointee.send(.pause(token: 1))
        for _ in 0..<4 { _ = callback(st) }
        _ = notes(st)
        let out0 = st.pointee.outputPosition.load(ordering: .relaxed)
        _ = st.pointee.send(.resume(token: 2, from: 100, delay: 1000))
        var samples: [Int16] = []
        for _ in 0..<8 { samples += callback(st) }
        let firstSound = samples.firstIndex { $0 != 0 } ?? -1
        #expect(firstSound == 1000, "resumed after \(firstSound) frames, expected the 1000-frame delay")
        let ns = notes(st)
        guard case let .resumed(t, out, tl)? = ns.first else { Issue.record("no resumed note: \(ns)"); return }
        #expect(t == 2 && tl == 100 && out == out0 + 1000)
        #expect(st.pointee.position.load(ordering: .relaxed) == 100 + Int64(samples.count - 1000))
    }

    /// A stream started held before its first frame plays silence; `begin` starts the timeline
    /// there without a fade, so what follows is the plain mix from frame 0, sample for sample
    /// (`start --replace` swaps this way). After a stop, `begin` starts nothing.
    @Test func beginStartsAHeldTimelineAtItsFrameWithoutAFade() {
        let plain = session()
        let held = session()
        defer { MixerState.deallocate(plain); MixerState.deallocate(held) }
        MixerState.holdBeforeStart(held, at: 0)
        for _ in 0..<3 { #expect(callback(held).allSatisfy { $0 == 0 }, "a held stream is silent") }
        #expect(held.pointee.position.load(ordering: .relaxed) == 0)
        _ = held.pointee.send(.begin)
        var a: [Int16] = [], b: [Int16] = []
        for _ in 0..<4 { a += callback(plain); b += callback(held) }
        #expect(a == b && a.first != 0, "begin must play the timeline from frame 0 unchanged")
        _ = held.pointee.send(.stop(token: 1))
        for _ in 0..<40 { _ = callback(held) }
        _ = held.pointee.send(.begin)
        #expect(callback(held).allSatisfy { $0 == 0 }, "a stopped timeline stays silent")
    }

    @Test func seekFadesJumpsAndFadesIn() {
        let st = session()
        defer { MixerState.deallocate(st) }
        _ = callback(st)
        _ = st.pointee.send(.seek(token: 3, to: 50_000))
        var samples: [Int16] = []
        for _ in 0..<6 { samples += callback(st) }
        let ns = notes(st)
        guard case let .seeked(t, _, tl)? = ns.first else { Issue.record("no seeked note: \(ns)"); return }
        #expect(t == 3 && tl == 50_000)
        #expect(st.pointee.position.load(ordering: .relaxed) == 50_000 + Int64(samples.count) - MixerTuning.transportFadeFrames)
        // Faded out to near zero, then back up to full level.
        let fade = Int(MixerTuning.transportFadeFrames)
        #expect(abs(Int(samples[fade - 1])) < 100)
        #expect(samples.last == samples[samples.count - 2] && samples.last! > 16_000)
    }

    @Test func stopFadesAndFinishes() {
        let st = session()
        defer { MixerState.deallocate(st) }
        _ = callback(st)
        _ = st.pointee.send(.stop(token: 9))
        var frames = 0
        while !st.pointee.finished.load(ordering: .relaxed) && frames < 20_000 { _ = callback(st); frames += 256 }
        #expect(frames >= Int(MixerTuning.stopFadeFrames) && frames < Int(MixerTuning.stopFadeFrames) + 512)
        #expect(callback(st).allSatisfy { $0 == 0 })
        #expect(notes(st).contains { if case .stopped(9, _, _) = $0 { return true }; return false })
    }

    @Test func overlaysPlayOnTheOutputClockEvenWhilePaused() {
        let st = session()
        defer { MixerState.deallocate(st) }
        _ = st.pointee.send(.pause(token: 1))
        for _ in 0..<4 { _ = callback(st) }
        let blip = buffers.make([Float](repeating: 0.25, count: 300))
        _ = st.pointee.send(.overlay(OverlayCue(samples: blip, frames: 300, channels: 1, gain: 1, isVoice: false, delay: 100)))
        let samples = callback(st, 512)
        #expect(samples[99] == 0 && samples[100] != 0 && samples[399] != 0 && samples[400] == 0)
        #expect(samples[250] == 8192, "a tone overlay plays at the tone gain: 0.25 x 1")
        #expect(st.pointee.position.load(ordering: .relaxed) == MixerTuning.transportFadeFrames, "the timeline stays paused")
    }

    @Test func volumeRampsOver20ms() {
        let st = session()
        defer { MixerState.deallocate(st) }
        _ = callback(st, 1024)
        _ = st.pointee.send(.volume(master: 0.5, voice: 1, tone: 1))
        let samples = callback(st, 2048)
        #expect(samples[0] < 16_384 && samples[0] > 16_300)
        #expect(samples[MixerTuning.volumeRampFrames / 2] > 12_000 && samples[MixerTuning.volumeRampFrames / 2] < 12_600)
        #expect(samples[MixerTuning.volumeRampFrames] == 8192)
        #expect(samples.last == 8192)
    }

    @Test func swappingTheEventTableHandsTheOldOneBack() {
        let st = session(frames: 10_000)
        defer { MixerState.deallocate(st) }
        _ = callback(st)
        let quiet = KernelEvent(start: 0, frames: 50_000, samples: buffers.make([Float](repeating: 0.25, count: 50_000)),
                                channels: 1, gain: 1, isVoice: true)
        _ = st.pointee.send(.swap(.make([quiet], totalFrames: 50_000, generation: 1)))
        let samples = callback(st)
        #expect(samples[10] == 8192, "the new table sounds from the next callback")
        #expect(st.pointee.totalFrames.load(ordering: .relaxed) == 50_000)
        let ns = notes(st)
        guard case let .swapped(old)? = ns.first else { Issue.record("no swapped note"); return }
        #expect(old.totalFrames == 10_000)
        old.free()
    }

    @Test func theRingIsBoundedAndOrdered() {
        let ring = MessageRing(capacity: 4)
        defer { ring.release() }
        func push(_ t: Int) -> Bool { ring.push(.command(.pause(token: t))) }
        func pop() -> Int? {
            guard case .command(.pause(let t))? = ring.pop() else { return nil }
            return t
        }
        var pushed = [1, 2, 3, 4].map(push)
        #expect(pushed == [true, true, true, true])
        let full = push(5)
        #expect(!full, "a full ring refuses instead of growing")
        var popped = [pop(), pop()]
        #expect(popped == [1, 2])
        pushed = [5, 6].map(push)
        #expect(pushed == [true, true])
        popped = [pop(), pop(), pop(), pop(), pop()]
        #expect(popped == [3, 4, 5, 6, nil])
    }
}

@Suite("Mixer transport, overlapping commands")
struct OverlappingTransportTests {
    let buffers = Buffers()

    @Test func theNewestSeekWins() {
        let e = KernelEvent(start: 0, frames: 200_000, samples: buffers.make([Float](repeating: 0.5, count: 200_000)),
                            channels: 1, gain: 1, isVoice: true)
        let st = MixerState.allocate(events: [e], totalFrames: 200_000, master: 1, voice: 1, tone: 1)
        defer { MixerState.deallocate(st) }
        var out = [Int16](repeating: 0, count: 2 * 256)
        func callback() { out.withUnsafeMutableBufferPointer { mixerRender(st, frames: 256, into: $0.baseAddress!, floatOut: nil) } }
        callback()
        _ = st.pointee.send(.seek(token: 1, to: 50_000))
        callback()  // the first seek's fade is running
        _ = st.pointee.send(.seek(token: 2, to: 90_000))
        for _ in 0..<4 { callback() }
        let pos = st.pointee.position.load(ordering: .relaxed)
        #expect(pos > 90_000 && pos < 91_000, "position \(pos): the older seek overrode the newer one")
        // A seek while a pause fades: the pause completes, frozen at the seek target.
        _ = st.pointee.send(.pause(token: 3))
        callback()
        _ = st.pointee.send(.seek(token: 4, to: 120_000))
        for _ in 0..<4 { callback() }
        #expect(st.pointee.position.load(ordering: .relaxed) == 120_000)
    }
}
