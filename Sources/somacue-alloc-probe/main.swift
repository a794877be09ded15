// Counts heap allocations made by the audio callback. Run with the interposer preloaded:
//   LD_PRELOAD=.build/debug/libMallocInterposerSwift.so .build/debug/somacue-alloc-probe
// Prints "control=N kernel=M" and exits 0 only if the positive control saw allocations and
// 10,000 callbacks made none. A process of its own: the interposer counts process-wide.
import CPortAudio
import MallocInterposerSwift
import SomacueAudio
import SomacueCore
import Glibc

let callbacks = 10_000
let frames = 256
let cueFrames = 3_000

// A busy timeline: overlapping voices and tones, mono and stereo, starts inside blocks.
let mono = UnsafeMutablePointer<Int16>.allocate(capacity: cueFrames)
let stereo = UnsafeMutablePointer<Int16>.allocate(capacity: cueFrames * 2)
for i in 0..<cueFrames { mono[i] = Int16(i % 100) * 160 }
for i in 0..<(cueFrames * 2) { stereo[i] = Int16(i % 77) * 100 }
var events: [KernelEvent] = []
var start: Int64 = 13
while start < Int64(callbacks * frames) {
    events.append(KernelEvent(start: start, frames: Int64(cueFrames), samples: UnsafePointer(mono), channels: 1, gain: 0.9, isVoice: true))
    events.append(KernelEvent(start: start + 500, frames: Int64(cueFrames), samples: UnsafePointer(stereo), channels: 2, gain: 0.7, isVoice: false))
    start += 2_417
}
let total = Int64(callbacks * frames) - 50_000
// The pacing guide over the whole timeline: gliding up, down and steady, with gaps.
var guide: [GuideSegment] = []
var g: Int64 = 7
var k: UInt64 = 0
while g < total {
    let step: Int64 = k % 3 == 0 ? 1 << 28 : (k % 3 == 1 ? -(1 << 28) : 0)
    guide.append(GuideSegment(start: g, frames: 9_001, phase: k &* 0x9E37_79B9_7F4A_7C15, increment: 1 << 57,
                              step: UInt64(bitPattern: step), gain0: 0, gain1: 0.05))
    g += 9_001 + (k % 4 == 0 ? 1_000 : 0)
    k += 1
}
let state = MixerState.allocate(events: events, totalFrames: total, master: 1, voice: 1, tone: 0.6, guide: guide)
let output = UnsafeMutablePointer<Int16>.allocate(capacity: frames * 2)

MallocInterposerSwift.initialize()

// Positive control: the counter must see an allocation made while hooked.
MallocInterposerSwift.reset()
MallocInterposerSwift.hook()
let control = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
MallocInterposerSwift.unhook()
control.deallocate()
let controlCount = MallocInterposerSwift.getStatistics().mallocCount

// Warm up once (lazy runtime metadata), then measure 10,000 callbacks, the last ones past the
// end of the timeline and through a stop fade.
_ = mixerStreamCallback(nil, UnsafeMutableRawPointer(output), UInt(frames), nil, 0, UnsafeMutableRawPointer(state))
MallocInterposerSwift.reset()
MallocInterposerSwift.hook()
// Transport commands go through the SPSC ring during the measured run too.
let blip = OverlayCue(samples: UnsafePointer(mono), frames: 2_000, channels: 1, gain: 0.5, isVoice: false, delay: 64)
for i in 0..<callbacks {
    switch i {
    case 2_000: _ = state.pointee.send(.pause(token: 1))
    case 2_010: _ = state.pointee.send(.overlay(blip))
    case 2_100: _ = state.pointee.send(.resume(token: 2, from: 400_000, delay: 3_000))
    case 3_000: _ = state.pointee.send(.volume(master: 0.8, voice: 0.9, tone: 0.5))
    case 4_000: _ = state.pointee.send(.seek(token: 3, to: 1_000_000))
    default: break
    }
    while state.pointee.nextNote() != nil {}
    if i == callbacks - 100 { state.pointee.stopRequested.store(true, ordering: .releasing) }
    _ = mixerStreamCallback(nil, UnsafeMutableRawPointer(output), UInt(frames), nil, 0, UnsafeMutableRawPointer(state))
}
MallocInterposerSwift.unhook()
let stats = MallocInterposerSwift.getStatistics()
print("control=\(controlCount) kernel=\(stats.mallocCount) frees=\(stats.freeCount) callbacks=\(callbacks) position=\(state.pointee.position.load(ordering: .relaxed))")
MixerState.deallocate(state)
if controlCount < 1 { print("FAIL: the positive control counted no allocation; is the interposer preloaded?") ; exit(2) }
if stats.mallocCount != 0 || stats.freeCount != 0 { print("FAIL: the audio callback allocated"); exit(1) }
