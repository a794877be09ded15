import SomacueCore

/// The MPRIS view of the player, computed from the `status` reply: what the
/// org.mpris.MediaPlayer2.Player properties say right now. Pure, so that the mapping can be
/// compared between two moments to find the properties that changed.
struct MPRISProperties: Equatable {
    enum Status: String { case playing = "Playing", paused = "Paused", stopped = "Stopped" }

    struct Metadata: Equatable {
        /// `/org/somacue/track/N`, or MPRIS's no-track path while idle.
        var trackID: String
        var title: String?
        var album: String?
        /// Microseconds.
        var length: Int64?
        var trackNumber: Int32?
    }

    static let noTrack = "/org/mpris/MediaPlayer2/TrackList/NoTrack"

    var status: Status
    var metadata: Metadata
    var volume: Double
    var canGoNext: Bool
    var canGoPrevious: Bool
    var canPlay: Bool
    var canPause: Bool
    var canSeek: Bool
    /// Microseconds into the current track (not part of the comparison that finds changes:
    /// clients extrapolate it).
    var position: Int64
    var trackDuration: Int64

    static func == (a: MPRISProperties, b: MPRISProperties) -> Bool {
        a.status == b.status && a.metadata == b.metadata && a.volume == b.volume && a.canGoNext == b.canGoNext
            && a.canGoPrevious == b.canGoPrevious && a.canPlay == b.canPlay && a.canPause == b.canPause && a.canSeek == b.canSeek
    }

    /// From the `status` data. `canStartIdle`: Play can start a session while idle.
    init(status json: JSON, canStartIdle: Bool) {
        let state = json["state"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? "idle"
        status = state == "playing" ? .playing : state == "paused" ? .paused : .stopped
        let loaded = status != .stopped
        volume = number(json["volume"]?["master"]) ?? 1
        metadata = Metadata(trackID: Self.noTrack)
        position = 0
        trackDuration = 0
        if loaded, let track = json["track"], let index = number(track["index"]) {
            let i = Int32(clamping: Int64(exactly: index.rounded()) ?? 0)
            metadata.trackID = "/org/somacue/track/\(i)"
            metadata.trackNumber = i
            if let title = string(json["exercise"]?["title"]) {
                metadata.title = title
            } else {
                metadata.title = i == 0 ? "Opening" : "Closing"
            }
            metadata.album = string(json["session"]?["title"])
            trackDuration = microseconds(number(track["duration"]) ?? 0)
            metadata.length = trackDuration
            position = microseconds(number(track["elapsed"]) ?? 0)
            // In the closing there is no next exercise.
            canGoNext = string(json["phase"]?["name"]) != "closing"
        } else {
            canGoNext = false
        }
        canGoPrevious = loaded
        canPause = loaded
        canSeek = loaded
        canPlay = loaded || canStartIdle
    }

    /// The Player properties whose values differ from `old`, in vtable order.
    func changed(from old: MPRISProperties) -> [String] {
        var names: [String] = []
        if status != old.status { names.append("PlaybackStatus") }
        if metadata != old.metadata { names.append("Metadata") }
        if volume != old.volume { names.append("Volume") }
        if canGoNext != old.canGoNext { names.append("CanGoNext") }
        if canGoPrevious != old.canGoPrevious { names.append("CanGoPrevious") }
        if canPlay != old.canPlay { names.append("CanPlay") }
        if canPause != old.canPause { names.append("CanPause") }
        if canSeek != old.canSeek { names.append("CanSeek") }
        return names
    }
}

func number(_ json: JSON?) -> Double? {
    switch json {
    case .int(let i)?: Double(i)
    case .double(let d)?: d
    default: nil
    }
}

func string(_ json: JSON?) -> String? {
    if case .string(let s)? = json { s } else { nil }
}

/// Seconds to whole microseconds, saturating (a checked conversion: no trap on odd input).
func microseconds(_ seconds: Double) -> Int64 {
    let us = (seconds * 1_000_000).rounded()
    guard us.isFinite else { return us > 0 ? .max : 0 }
    return Int64(exactly: us) ?? (us > 0 ? .max : .min)
}
