// Fuzz target: the schema readers for sessions, exercises, voice manifests and the config
// (SomacueCore), as `somacue validate` and the daemon's reload run them.
//
// Every reader runs on every parsed input (a session file reaches the exercise reader too, and
// must only produce diagnostics). Invariants checked: every diagnostic has a position inside
// the file and a message, prints as `file:line:col: severity: message`, and whatever a reader
// accepts lies within the documented ranges.
import SomacueCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSchema(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let lines = lineCount(bytes)
    guard let root = try? parseTOML(utf8: bytes) else { return 0 }
    _ = detectKind(root)

    var r = SchemaReader(file: "fuzz.toml")
    if let s = readSession(root, reader: &r, expectedID: "fuzz") {
        for step in s.steps {
            if let reps = step.reps { require((1...20).contains(reps), "step reps \(reps) accepted") }
            for x in [step.contract, step.release, step.rest].compactMap({ $0 }) {
                require(x >= 0.1 && x <= 600, "step phase of \(x) s accepted")
            }
            if let h = step.hold { require(h >= 0 && h <= 600, "step hold of \(h) s accepted") }
        }
    }
    check(r, lines: lines)

    r = SchemaReader(file: "fuzz.toml")
    if let e = readExercise(root, reader: &r, expectedID: "fuzz") {
        if let reps = e.reps { require((1...20).contains(reps), "exercise reps \(reps) accepted") }
        for p in [e.contract, e.release] + [e.hold, e.rest].compactMap({ $0 }) {
            if let x = p.seconds { require(x >= 0.1 && x <= 600, "exercise phase of \(x) s accepted") }
        }
    }
    check(r, lines: lines)

    r = SchemaReader(file: "fuzz.toml")
    let manifest = readManifest(root, reader: &r)
    for cue in manifest.cues {
        require(cue.gain >= 0 && cue.gain <= 1.5, "cue gain \(cue.gain) accepted")
    }
    check(r, lines: lines)

    r = SchemaReader(file: "fuzz.toml")
    let c = readConfig(root, reader: &r)
    require(SampleRate.supported.contains(c.sampleRate.hz), "sample rate \(c.sampleRate.hz) accepted")
    require(Tempo.range.contains(c.tempo.value), "tempo \(c.tempo.value) accepted")
    for v in [c.masterVolume, c.voiceVolume, c.toneVolume] {
        require(Config.volumeRange.contains(v), "volume \(v) accepted")
    }
    require(Config.leadInRange.contains(c.leadIn), "lead-in \(c.leadIn) accepted")
    require(GuideSettings.volumeRange.contains(c.guide.volume) && GuideSettings.volumeRange.contains(c.guide.padVolume),
            "guide volume \(c.guide.volume), \(c.guide.padVolume) accepted")
    require(GuideSettings.pitchRange.contains(c.guide.lowHz) && GuideSettings.pitchRange.contains(c.guide.highHz),
            "guide pitch \(c.guide.lowHz)..\(c.guide.highHz) accepted")
    require(c.maxLineBytes > 0 && c.maxClients > 0 && c.clientTimeout > 0, "a daemon limit of zero accepted")
    check(r, lines: lines)
    return 0
}

private func check(_ r: SchemaReader, lines: Int) {
    for d in r.diagnostics {
        require(!d.message.isEmpty, "empty diagnostic")
        if let p = d.position {
            require(p.line >= 1 && p.line <= lines && p.column >= 1, "diagnostic at \(p) outside a \(lines)-line file: \(d.message)")
        }
        let text = d.description
        require(text.hasPrefix("fuzz.toml"), "diagnostic without its file: \(text)")
        require(text.contains(": \(d.severity.rawValue): "), "diagnostic without its severity: \(text)")
    }
    _ = r.diagnostics.sortedByPosition()
}
