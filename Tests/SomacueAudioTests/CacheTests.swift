import Foundation
import SomacueAudio
import SomacueCore
import SomacueEngine
import SomacueLibrary
import SomacuePlatform
import Testing

/// Sets a file's modification time (seconds and nanoseconds), like `touch -d`.
private func setModified(_ path: String, seconds: Int, nanoseconds: Int = 0) {
    var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
    #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
}

@Suite struct CueHeaderCacheTests {
    @Test func persistsHeadersAndTrustsThemWhileSizeAndTimeMatch() throws {
        let dir = try FixtureDir("headers")
        let cue = try dir.soxTone("a.wav", rate: 44_100, channels: 1, seconds: 0.5)
        setModified(cue, seconds: 1_700_000_000, nanoseconds: 123)
        let store = dir.file("cache/cue-headers")

        let first = CueHeaderCache(file: store, reader: CueHeaderCache.libsndfile)
        let read = try first.header(path: cue)
        let info = try CueLoader.header(path: cue)
        #expect(read == info)
        #expect(try first.length(path: cue, rate: .standard) == SampleRate.standard.convertedLength(sourceFrames: 22_050, sourceRate: SampleRate(44_100)))
        first.save()
        let text = try String(contentsOfFile: store, encoding: .utf8)
        #expect(text.hasPrefix("somacue-cue-headers 1\n"))
        #expect(text.contains("\t\(cue)\n"))

        // Same size and time, other content: a fresh cache (as in the next process) answers from
        // the file without opening the audio, so it still reports the old header.
        let before = try #require(Platform.stamp(cue)).size
        try dir.soxTone("a.wav", rate: 22_050, channels: 1, seconds: 1.0)
        #expect(try #require(Platform.stamp(cue)).size == before)
        setModified(cue, seconds: 1_700_000_000, nanoseconds: 123)
        let second = CueHeaderCache(file: store, reader: CueHeaderCache.libsndfile)
        #expect(try second.header(path: cue) == read)

        // A new modification time: read again.
        setModified(cue, seconds: 1_700_000_001)
        let third = CueHeaderCache(file: store, reader: CueHeaderCache.libsndfile)
        let fresh = try third.header(path: cue)
        #expect(fresh.sampleRate == SampleRate(22_050))
        #expect(fresh.frames == 22_050)
    }

    @Test func ignoresADamagedCacheFile() throws {
        let dir = try FixtureDir("headers-damaged")
        let cue = try dir.soxTone("b.wav", rate: 48_000, channels: 2, seconds: 0.25)
        let stamp = try #require(Platform.stamp(cue))
        let store = dir.file("cue-headers")
        // Lies the cache must not believe: absurd lengths, bad rates, a relative path, junk.
        let lines = [
            "somacue-cue-headers 1",
            "\(stamp.size)\t\(stamp.modified)\t999999999999\t48000\t2\t65538\t\(cue)",
            "\(stamp.size)\t\(stamp.modified)\t100\t1\t2\t65538\t\(cue)",
            "\(stamp.size)\t\(stamp.modified)\t100\t48000\t7\t65538\t\(cue)",
            "\(stamp.size)\t\(stamp.modified)\t100\t48000\t2\t65538\trelative.wav",
            "garbage",
            "\u{0}\t\t\t",
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: store, atomically: true, encoding: .utf8)
        let cache = CueHeaderCache(file: store, reader: CueHeaderCache.libsndfile)
        #expect(try cache.header(path: cue).frames == 12_000)

        // Not our magic line: the whole file is ignored.
        try "somacue-cue-headers 0\n\(stamp.size)\t\(stamp.modified)\t5\t48000\t2\t65538\t\(cue)\n".write(toFile: store, atomically: true, encoding: .utf8)
        #expect(try CueHeaderCache(file: store, reader: CueHeaderCache.libsndfile).header(path: cue).frames == 12_000)
    }

    @Test func errorsAreNotCached() throws {
        let dir = try FixtureDir("headers-errors")
        let bad = try dir.write("bad.wav", bytes: Array("not audio at all".utf8))
        let cache = CueHeaderCache(file: dir.file("cue-headers"), reader: CueHeaderCache.libsndfile)
        #expect(throws: CueHeaderError.self) { try cache.header(path: bad) }
        cache.save()
        #expect(!FileManager.default.fileExists(atPath: dir.file("cue-headers")))
        #expect(throws: CueHeaderError.self) { try cache.header(path: dir.file("missing.wav")) }
    }
}

/// The light CLI's cache: no reader, so anything it does not know as it is now is a miss.
@Suite struct CueHeaderCacheWithoutReaderTests {
    @Test func answersOnlyWhatIsCachedAndCurrent() throws {
        let dir = try FixtureDir("headers-lookup")
        let cue = try dir.soxTone("a.wav", rate: 44_100, channels: 1, seconds: 0.5)
        let other = try dir.soxTone("b.wav", rate: 48_000, channels: 1, seconds: 0.25)
        setModified(cue, seconds: 1_700_000_000)
        let store = dir.file("cue-headers")
        let engine = CueHeaderCache(file: store, reader: CueHeaderCache.libsndfile)
        let known = try engine.header(path: cue)
        engine.save()

        let light = CueHeaderCache(file: store, reader: nil)
        #expect(try light.header(path: cue) == known)
        #expect(!light.missed)
        // Never read: a miss, never a guess.
        #expect(throws: CueHeaderError.self) { try light.header(path: other) }
        #expect(light.missed)

        // Cached, but the file changed since (a new modification time): a miss too.
        setModified(cue, seconds: 1_700_000_001)
        let again = CueHeaderCache(file: store, reader: nil)
        #expect(throws: CueHeaderError.self) { try again.header(path: cue) }
        #expect(again.missed)
        // A missing file is a miss, not an error of its own.
        let gone = CueHeaderCache(file: store, reader: nil)
        #expect(throws: CueHeaderError.self) { try gone.header(path: dir.file("missing.wav")) }
        #expect(gone.missed)
        // A cache without a reader never writes its file.
        let before = try String(contentsOfFile: store, encoding: .utf8)
        gone.save()
        #expect(try String(contentsOfFile: store, encoding: .utf8) == before)
        #expect(before.contains("\t\(cue)\n"))
    }
}

@Suite struct DecodedCueCacheTests {
    /// A library with one session whose cues are real files, for LoadedSession.
    func plannedSession(_ dir: FixtureDir) throws -> (Library, Config, Paths, Session) {
        let paths = Paths(dataDir: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                            .deletingLastPathComponent().path, userDir: dir.file("user"))
        let library = Library.load(paths: paths)
        let session = try #require(library.sessions["gluteal-release"])
        return (library, Config(), paths, session)
    }

    func samples(_ loaded: LoadedSession) -> [CueID: [Int16]] {
        var out: [CueID: [Int16]] = [:]
        for (id, slot) in loaded.slots {
            out[id] = Array(UnsafeBufferPointer(start: slot.samples, count: Int(slot.frames) * slot.channels))
        }
        return out
    }

    @Test func aWarmCacheGivesTheSameSamplesAndADamagedEntryIsRebuilt() throws {
        let dir = try FixtureDir("decoded")
        let (library, config, paths, session) = try plannedSession(dir)
        let p = try plan(session: session, library: library, config: config, options: SessionOptions(), paths: paths)
        let cache = DecodedCueCache(directory: dir.file("decoded"))

        let cold = try LoadedSession(plan: p, quality: .medium, cache: nil)
        try cold.waitUntilDecoded()
        #expect(cold.cuesFromCache == 0)
        let reference = samples(cold)

        let first = try LoadedSession(plan: p, quality: .medium, cache: cache)
        try first.waitUntilDecoded()
        #expect(first.cuesFromCache == 0)
        #expect(samples(first) == reference)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.file("decoded")).filter { $0.hasSuffix(".pcm") }
        #expect(files.count == p.catalog.count)

        let warm = try LoadedSession(plan: p, quality: .medium, cache: cache)
        try warm.waitUntilDecoded()
        #expect(warm.cuesFromCache == p.catalog.count)
        #expect(samples(warm) == reference)

        // Damage entries: flip a sample byte in one, cut another short, garble a header.
        let names = files.sorted()
        let a = dir.file("decoded/" + names[0]), b = dir.file("decoded/" + names[1]), c = dir.file("decoded/" + names[2])
        var bytes = try Data(contentsOf: URL(fileURLWithPath: a))
        bytes[DecodedCueCache.headerBytes + 10] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: a))
        let cut = try Data(contentsOf: URL(fileURLWithPath: b))
        try cut.prefix(cut.count - 2).write(to: URL(fileURLWithPath: b))
        var garbled = try Data(contentsOf: URL(fileURLWithPath: c))
        garbled[40] ^= 0xFF
        try garbled.write(to: URL(fileURLWithPath: c))

        let repaired = try LoadedSession(plan: p, quality: .medium, cache: cache)
        try repaired.waitUntilDecoded()
        #expect(repaired.cuesFromCache == p.catalog.count - 3)
        #expect(samples(repaired) == reference, "a damaged entry must never be played")
        let again = try LoadedSession(plan: p, quality: .medium, cache: cache)
        try again.waitUntilDecoded()
        #expect(again.cuesFromCache == p.catalog.count, "damaged entries are rebuilt")

        // Another resampler quality is another key: nothing from the cache.
        let other = try LoadedSession(plan: p, quality: .fastest, cache: cache)
        try other.waitUntilDecoded()
        #expect(other.cuesFromCache == 0)
    }

    /// Cues without a stored loudness are measured by the decoders: the gain of each is the one
    /// of its decoded samples, and a table made before a cue was measured never lets the kernel
    /// reach it (its gain there is a placeholder).
    @Test func cuesWithoutStoredLoudnessAreMeasuredByTheDecoders() throws {
        let dir = try FixtureDir("measured")
        let (library, config, paths, session) = try plannedSession(dir)
        var p = try plan(session: session, library: library, config: config, options: SessionOptions(), paths: paths)
        let stored = try LoadedSession(plan: p, quality: .medium, cache: nil)
        try stored.waitUntilDecoded()
        #expect(stored.measuredCues.isEmpty, "the shipped manifest stores every cue's loudness")
        for id in p.catalog.keys { p.catalog[id]!.lufs = nil }
        let loaded = try LoadedSession(plan: p, quality: .medium, voiceLUFS: config.voiceLUFS, toneLUFS: config.toneLUFS, cache: nil)
        #expect(loaded.measuredCues == Set(p.catalog.keys))
        let first = try #require(p.timeline.events.first)
        // No gain is in this table: the kernel may not reach the first cue.
        #expect(loaded.frontier(for: p.timeline, gainsIn: []) <= first.frame.value)
        try loaded.waitUntilDecoded()
        #expect(loaded.frontier(for: p.timeline, gainsIn: []) == first.frame.value)
        #expect(loaded.frontier(for: p.timeline) == Int64.max)
        let (events, included) = loaded.kernelTable(for: p.timeline)
        #expect(included == loaded.measuredCues)
        #expect(loaded.frontier(for: p.timeline, gainsIn: included) == Int64.max)
        var differs = 0
        for (id, info) in p.catalog {
            let slot = try #require(loaded.slots[id])
            let lufs = try? Loudness.measure(samples: slot.samples, frames: Int(slot.frames), channels: slot.channels, rate: p.timeline.sampleRate)
            let want = Float(Loudness.gain(lufs: lufs, target: info.kind == .voice ? config.voiceLUFS : config.toneLUFS))
            #expect(loaded.loudnessGain(id) == want, "\(id)")
            if want != 1 { differs += 1 }
        }
        #expect(differs > 0, "the measured gains are not all unity")
        // Each event carries its cue's measured gain (times the manifest's gain).
        for (e, k) in zip(p.timeline.events, events) {
            #expect(k.gain == Float(e.gain) * loaded.loudnessGain(e.cue)!)
        }
    }

    @Test func sessionLimits() throws {
        let dir = try FixtureDir("limits")
        let (library, config, paths, session) = try plannedSession(dir)
        var long = session
        long.steps = Array(repeating: session.steps[0], count: SessionLimits.maximumSteps + 1)
        #expect(throws: EngineError.self) { try plan(session: long, library: library, config: config, options: SessionOptions(), paths: paths) }
        do {
            _ = try plan(session: long, library: library, config: config, options: SessionOptions(), paths: paths)
        } catch {
            #expect(error.message.contains("1001 steps") && error.message.contains("1000"), "\(error.message)")
        }
        // 400 steps at tempo 0.25 is far beyond 12 hours.
        long.steps = Array(repeating: session.steps[0], count: 400)
        do {
            _ = try plan(session: long, library: library, config: config, options: SessionOptions(tempo: 0.25), paths: paths)
            Issue.record("a session over 12 hours was planned")
        } catch {
            #expect(error.message.contains("12 hours") && error.status == 64, "\(error.message)")
        }
    }
}
