// Fuzz target: the session compiler (SomacueCore): read a session and its exercises, plan it
// and lay it out in frames with the pacing engine, against a synthetic catalog of cue lengths.
//
// Input: a session file, then exercise files, separated by lines that are exactly `#---`. The
// settings (tempo, sample rate, pre-roll, lead-in, safety note) and every cue's length come
// from a hash of the input, so libFuzzer steers them too.
//
// Invariants checked on the timeline:
// - segments tile it: the first starts at 0, each starts where the previous ends, none is
//   empty, the last ends at `frames`;
// - events are sorted by onset, lie inside the timeline, and each lies in a segment of its
//   own phase;
// - voice cues never overlap;
// - the events use exactly the cues `requiredCues()` lists;
// - resume and skip targets lie inside the timeline; the JSON form is valid JSON.
import SomacueCore
import SomacueProtocol

let separator = "#---"
private let rates = [8_000, 22_050, 44_100, 48_000, 96_000, 192_000]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCompiler(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let docs = splitDocuments(bytes, separator: separator)
    guard let sessionRoot = try? parseTOML(utf8: docs[0]) else { return 0 }
    var r = SchemaReader(file: "session.toml")
    guard let session = readSession(sessionRoot, reader: &r), !r.diagnostics.hasErrors else { return 0 }
    var exercises: [String: Exercise] = [:]
    for (i, doc) in docs.dropFirst().enumerated() {
        guard let root = try? parseTOML(utf8: doc) else { continue }
        var er = SchemaReader(file: "exercise\(i).toml")
        if let e = readExercise(root, reader: &er), !er.diagnostics.hasErrors { exercises[e.id] = e }
    }

    let h = fnv1a(bytes)
    let rate = SampleRate(rates[Int(h % UInt64(rates.count))])
    guard let tempo = Tempo(0.25 + Double((h >> 8) % 1751) / 1000) else {
        require(false, "tempo out of range")
        return 0
    }
    let leadIn = (h >> 20) % 4 == 0 ? Double((h >> 24) % 601) : 0
    let preroll = rate.frames(seconds: Double((h >> 34) % 10_001) / 1000)
    let settings = PacingSettings(sampleRate: rate, tempo: tempo, leadIn: leadIn, preroll: preroll,
                                  safetyNote: (h >> 50) & 1 == 0)
    let engine = PacingEngine(session: session, exercises: exercises, settings: settings)

    let required: [CueRequirement]
    do {
        required = try engine.requiredCues()
    } catch {
        _ = error.description
        return 0
    }
    var catalog: [CueID: CueInfo] = [:]
    for cue in required {
        let k = fnv1a(cue.id.rawValue.utf8, seed: h)
        // Up to 8 s; now and then a cue of no length at all.
        let frames = k % 97 == 0 ? 0 : Int64(k % UInt64(8 * rate.hz)) + 1
        catalog[cue.id] = CueInfo(id: cue.id, kind: cue.kind, frames: FrameCount(frames), source: "/fuzz/\(cue.id).ogg",
                                  gain: Double(k % 16) / 10)
    }
    let timeline: Timeline
    do {
        timeline = try engine.compile(cues: catalog)
    } catch {
        require(false, "compile failed after requiredCues succeeded: \(error)")
        return 0
    }
    check(timeline, required: required)
    var guide = session.guide.applied(to: GuideSettings())
    guide.rests = GuideRests.allCases[Int((h >> 56) % 3)]
    checkGuide(planGuide(timeline, settings: guide), timeline: timeline)
    return 0
}

/// The pacing guide's plan: sorted, inside the timeline, continuous at every join.
private func checkGuide(_ plan: [GuideSegment], timeline t: Timeline) {
    for (a, b) in zip(plan, plan.dropFirst()) {
        require(a.end <= b.start, "guide segments overlap at \(b.start)")
        if a.end == b.start {
            require(a.gain1 == b.gain0, "guide level jumps at \(b.start)")
            let jump = Int64(bitPattern: a.phase(at: a.frames) &- b.phase)
            require(jump.magnitude < 1 << 44, "guide phase jumps at \(b.start) by \(jump)")
        } else {
            require(a.gain1 == 0 && b.gain0 == 0, "a gap in the guide at \(a.end) does not start and end in silence")
        }
    }
    for s in plan {
        require(s.frames > 0 && s.start >= 0 && s.end <= t.frames.value, "guide segment \(s.start)+\(s.frames) outside the timeline")
        require(s.gain0.isFinite && s.gain1.isFinite && s.gain0 >= 0 && s.gain1 >= 0 && s.gain0 <= 1 && s.gain1 <= 1,
                "guide gain \(s.gain0) -> \(s.gain1)")
    }
}

private func check(_ t: Timeline, required: [CueRequirement]) {
    var at = FrameCount.zero
    for s in t.segments {
        require(s.frame == at, "segment at \(s.frame), expected \(at)")
        require(s.frames > .zero, "empty \(s.phase) segment at \(s.frame)")
        at = s.end
    }
    require(at == t.frames, "segments end at \(at), timeline at \(t.frames)")

    var previous = FrameCount.zero
    var voiceEnd = FrameCount.zero
    var used = Set<CueID>()
    for e in t.events {
        require(e.frame >= previous, "event \(e.cue) at \(e.frame) before one at \(previous)")
        previous = e.frame
        require(e.frame >= .zero && e.end <= t.frames, "event \(e.cue) \(e.frame)..<\(e.end) outside 0..<\(t.frames)")
        require(t.segment(at: e.frame)?.phase == e.phase, "event \(e.cue) at \(e.frame) outside a \(e.phase) segment")
        if e.kind == .voice {
            require(e.frame >= voiceEnd, "voice \(e.cue) at \(e.frame) overlaps one ending at \(voiceEnd)")
            voiceEnd = e.end
        }
        used.insert(e.cue)
    }
    require(used == Set(required.map(\.id)), "events use other cues than requiredCues() lists")

    let fade = FrameCount(480)
    for f in [FrameCount.zero, FrameCount(t.frames.value / 3), FrameCount(t.frames.value / 2), t.frames] {
        let resume = t.resumeFrame(pausedAt: f, fade: fade)
        require(resume <= f && resume >= .zero, "resume frame \(resume) for a pause at \(f)")
        for forward in [true, false] {
            if let target = t.skipTarget(from: f, forward: forward, restartWindow: FrameCount(240_000)) {
                require(target >= .zero && target <= t.frames, "skip target \(target) outside 0...\(t.frames)")
            }
        }
    }
    if t.events.count <= 2_000 {
        require((try? parseJSON(Array(t.json.compact.utf8))) != nil, "timeline JSON does not parse")
    }
}
