import SomacueAudio
import SomacueCore
import SomacueLibrary
import SomacuePlatform
#if canImport(Glibc)
import Glibc
#endif

/// `plan` (SomacueLibrary) with the engine's cue files: headers from `CueHeaderCache.shared`
/// (libsndfile reads those it does not know) and, with `synthesize`, the `[tts]` command for a
/// cue no pack has; with `synthesize: false` only cues it already spoke are used.
public func plan(session: Session, library: Library, config: Config, options: SessionOptions,
                 paths: Paths, extraCues: [CueRequirement] = [], whereCues: Bool = false,
                 synthesize: Bool = true) throws(EngineError) -> PlannedSession {
    try plan(session: session, library: library, config: config, options: options, paths: paths,
             cueFiles: CueFiles(headers: .shared, speaker: synthesize ? .command : nil),
             extraCues: extraCues, whereCues: whereCues)
}

/// `listedDuration` (SomacueLibrary) with the engine's header cache.
public func listedDuration(of session: Session, library: Library, config: Config, paths: Paths,
                           tempo: Tempo? = nil) -> Double? {
    listedDuration(of: session, library: library, config: config, paths: paths, headers: .shared, tempo: tempo)
}

/// A planned session and its cues in memory for the mixer. Creating one reserves the cue memory
/// (`CueArena`), builds the kernel's event table pointing into it and starts decoding on every
/// core; it returns at once. `waitUntilDecoded` blocks until every cue is in place (render and
/// foreground play); the daemon instead lets the kernel wait at the first cue not yet ready
/// (`frontier`). Keeps the cue memory alive for as long as the kernel may read it.
///
/// Each cue plays at the gain that brings it to the loudness target of its kind
/// (`volume.voice_lufs` or `volume.tone_lufs`): from the manifest's `lufs`, or, for a cue without
/// one, measured by the decoder thread that fills its slot. Until that measurement is in, an
/// event table holds a placeholder gain for the cue, and the cue counts as not ready for a
/// table made before it (`frontier(for:gainsIn:)`); the daemon swaps in a table with the
/// measured gains before the kernel reaches it (LiveLoading.swift).
public final class LoadedSession: @unchecked Sendable {
    public let plan: PlannedSession
    public let slots: [CueID: CueSlot]
    let decoding: CueDecoding
    /// Gains from the manifests' stored loudness.
    let storedGains: [CueID: Float]
    /// The cues whose loudness the decoders measure.
    public let measuredCues: Set<CueID>

    public init(plan: PlannedSession, quality: ResamplerQuality, voiceLUFS: Double = Config().voiceLUFS,
                toneLUFS: Double = Config().toneLUFS, cache: DecodedCueCache? = .standard) throws(EngineError) {
        self.plan = plan
        // Decoding order: the transport sounds (needed at any moment), then by first use.
        var firstUse: [CueID: Int64] = [:]
        for e in plan.timeline.events where firstUse[e.cue] == nil { firstUse[e.cue] = e.frame.value }
        let order = plan.catalog.keys.sorted { a, b in
            let fa = firstUse[a] ?? -1, fb = firstUse[b] ?? -1
            return fa != fb ? fa < fb : a < b
        }
        var stored: [CueID: Float] = [:]
        var measured = Set<CueID>()
        for (id, info) in plan.catalog {
            let target = info.kind == .voice ? voiceLUFS : toneLUFS
            if let lufs = info.lufs { stored[id] = Float(Loudness.gain(lufs: lufs, target: target)) } else { measured.insert(id) }
        }
        storedGains = stored
        measuredCues = measured
        var sizes: [(CueID, CueInfo, Int, Int)] = []
        var total = 0
        for id in order {
            let info = plan.catalog[id]!
            // Channels come from the header cache (a hit: no file is opened).
            let channels = (try? CueHeaderCache.shared.header(path: info.source).channels) ?? 2
            let (bytes, overflow) = Int(info.frames.value).multipliedReportingOverflow(by: channels * 2)
            guard !overflow else { throw EngineError("somacue: cue \(id) is too long to hold in memory", status: ExitStatus.dataError) }
            let rounded = CueArena.rounded(bytes)
            sizes.append((id, info, channels, rounded))
            total += rounded
        }
        guard let arena = CueArena(bytes: total) else {
            throw EngineError("somacue: cannot reserve \(total / 1_048_576) MB of address space for the session's cues: "
                              + "\(Platform.errorText(errno))", status: ExitStatus.unavailable)
        }
        var slots: [CueID: CueSlot] = [:]
        var list: [CueSlot] = []
        var offset = 0
        for (index, (id, info, channels, bytes)) in sizes.enumerated() {
            let slot = CueSlot(id: id, source: info.source, frames: info.frames.value, channels: channels,
                               samples: UnsafePointer((arena.base + offset).assumingMemoryBound(to: Int16.self)),
                               offset: offset, bytes: bytes, stamp: Platform.stamp(info.source), index: index,
                               measureTowards: info.lufs == nil ? (info.kind == .voice ? voiceLUFS : toneLUFS) : nil)
            slots[id] = slot
            list.append(slot)
            offset += bytes
        }
        self.slots = slots
        decoding = CueDecoding(arena: arena, slots: list, rate: plan.timeline.sampleRate, quality: quality, cache: cache)
        decoding.start()
    }

    /// A cue's loudness gain, or nil while a cue without stored loudness is not decoded (and
    /// measured) yet.
    public func loudnessGain(_ id: CueID) -> Float? {
        if let g = storedGains[id] { return g }
        guard let slot = slots[id], decoding.isReady(slot.index) else { return nil }
        return decoding.measuredGain(slot.index)
    }

    /// Every gain known now (all of them once decoded).
    public var loudnessGains: [CueID: Float] {
        var out = storedGains
        for id in measuredCues { if let g = loudnessGain(id) { out[id] = g } }
        return out
    }

    /// The kernel's events for the planned timeline with the gains known now.
    public var kernelEvents: [KernelEvent] { kernelEvents(for: plan.timeline) }

    /// Blocks until every cue is decoded (or mapped from the cache); throws every cue that
    /// could not be.
    public func waitUntilDecoded() throws(EngineError) {
        while !decoding.finished { Platform.sleep(seconds: 0.001) }
        try checkDecoded()
    }

    /// Every cue is in place (or failed).
    public var isDecoded: Bool { decoding.finished }
    /// `cancel` was called (decoding will not finish).
    public var isCancelled: Bool { decoding.isCancelled }
    /// Cues taken from the decoded-cue cache so far.
    public var cuesFromCache: Int { decoding.fromCache.load(ordering: .relaxed) }
    /// Seconds since decoding started.
    public var decodingSeconds: Double { Platform.monotonicSeconds() - decoding.started }

    /// Throws if any cue failed to decode.
    public func checkDecoded() throws(EngineError) {
        let problems = decoding.failures
        if !problems.isEmpty {
            throw EngineError("somacue: some cues could not be decoded:\n" + problems.sorted().joined(separator: "\n"), status: ExitStatus.dataError)
        }
    }

    public func isReady(_ id: CueID) -> Bool { slots[id].map { decoding.isReady($0.index) } ?? false }

    /// Stops decoding (the decoders finish the cue in hand, then let go of the memory).
    public func cancel() { decoding.cancel() }

    /// The first timeline frame of `timeline` whose cue is not ready yet, or `Int64.max` when
    /// every cue is. Everything before it may be played; see `MixerState.playable`.
    /// Decoding only: a table's gains are not considered (see `frontier(for:gainsIn:)`).
    public func frontier(for timeline: Timeline) -> Int64 {
        if decoding.finished && decoding.failures.isEmpty { return Int64.max }
        for e in timeline.events where !isReady(e.cue) { return e.frame.value }
        return Int64.max
    }

    /// The first timeline frame that an event table made with the measured gains of `included`
    /// may not play yet: its cue is not decoded, or its loudness was measured after the table
    /// was made (the table holds a placeholder gain for it). `Int64.max` when nothing is left.
    public func frontier(for timeline: Timeline, gainsIn included: Set<CueID>) -> Int64 {
        if decoding.finished && decoding.failures.isEmpty && measuredCues.isSubset(of: included) { return Int64.max }
        for e in timeline.events where !isReady(e.cue) || (measuredCues.contains(e.cue) && !included.contains(e.cue)) {
            return e.frame.value
        }
        return Int64.max
    }

    /// Kernel events for `timeline` and the measured cues whose gains they hold. The set is
    /// read first: a cue measured in between is then in the events with its gain but not in the
    /// set, which only holds the kernel back a little longer (the other order could let it play
    /// a placeholder gain).
    public func kernelTable(for timeline: Timeline) -> (events: [KernelEvent], gainsIn: Set<CueID>) {
        let included = measuredCues.filter { isReady($0) }
        return (kernelEvents(for: timeline), included)
    }

    /// Kernel events for a timeline laid out with this session's cues (e.g. at another tempo),
    /// with the gains known now: a cue still being measured gets a placeholder (1) that the
    /// kernel never plays (see `frontier(for:gainsIn:)`).
    public func kernelEvents(for timeline: Timeline) -> [KernelEvent] {
        Self.kernelEvents(for: timeline, slots: slots, gains: loudnessGains)
    }

    /// Each event's gain: loudness gain x the manifest's `gain` (the user's volumes follow in
    /// the kernel).
    static func kernelEvents(for timeline: Timeline, slots: [CueID: CueSlot], gains: [CueID: Float]) -> [KernelEvent] {
        timeline.events.map { e in
            let slot = slots[e.cue]!  // every event's cue has a slot
            return KernelEvent(start: e.frame.value, frames: min(e.frames.value, slot.frames),
                               samples: slot.samples, channels: slot.channels,
                               gain: Float(e.gain) * (gains[e.cue] ?? 1), isVoice: e.kind == .voice)
        }
    }

    /// The pacing guide's segments for a timeline laid out with this session (`planGuide`).
    public func guideSegments(for timeline: Timeline) -> [GuideSegment] {
        planGuide(timeline, settings: plan.guide)
    }

    /// A fresh mixer state for this session; free it with `MixerState.deallocate`. Once
    /// decoded (`waitUntilDecoded`), its table has every gain.
    public func makeMixer(config: Config) -> UnsafeMutablePointer<MixerState> {
        makeMixerNow(config: config).mixer
    }

    /// A fresh mixer state while decoding may still go on, and the measured cues whose gains its
    /// table holds (`kernelTable`).
    public func makeMixerNow(config: Config) -> (mixer: UnsafeMutablePointer<MixerState>, gainsIn: Set<CueID>) {
        let table = kernelTable(for: plan.timeline)
        let mixer = MixerState.allocate(events: table.events, totalFrames: plan.timeline.frames.value,
                                        master: Float(config.masterVolume), voice: Float(config.voiceVolume),
                                        tone: Float(config.toneVolume), guide: guideSegments(for: plan.timeline))
        return (mixer, table.gainsIn)
    }
}

extension ResamplerQuality {
    public init(config: Config) { self = ResamplerQuality(rawValue: config.resampler) ?? .medium }
}
