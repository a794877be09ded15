import SomacueAudio
import SomacueCore
import SomacueLibrary
import SomacuePlatform
import SomacueProtocol

// `start X --replace` while a session loads, plays, holds or waits for its device (issue 10):
// X is planned, its cue headers checked and its memory reserved before anything else (a failure
// there is the reply, and nothing changes); then X loads as a *pending* `Loading` beside the
// session there, which goes on untouched: its cues decode and its stream opens on the device
// without starting. Once X is ready to sound (the condition of a normal start's first sound: the
// cues of its first 30 s in place, all of them for `at`), its stream starts, held before X's
// first frame (silence). On the tick that sees it started, the session there is stopped (history
// `stopped`, a 150 ms fade on its own stream) and X's timeline begins (`MixerCommand.begin`), so
// the fade and X's silent pre-roll start together, one period apart at most, however late that
// tick comes (a slow stream start or a busy machine delays both alike); X becomes the loading
// session. Should X fail
// before then (a cue that does not decode, a device that does not open), it is dropped with an
// `error` event that ends "Nothing was replaced: TITLE is still playing." `stop` ends both the
// session there and the pending one; a newer `start` drops the pending one.

extension LivePlayer {
    /// The session a `replace` would end now, if any: loading (not a restore), or active and not
    /// idle (not a restored one that was never resumed).
    var replaceableTitle: String? {
        if let l = loading, l.closeAfterOutput == nil { return l.restore == nil ? l.timeline.sessionTitle : nil }
        if let a = active, state != .idle, a.restoredFrom == nil { return a.timeline.sessionTitle }
        return nil
    }

    /// "Nothing was replaced: Daemon Test is still playing." while a session is there.
    var nothingReplaced: String {
        let title: String?
        if let l = loading, l.closeAfterOutput == nil { title = l.timeline.sessionTitle } else { title = state != .idle ? active?.timeline.sessionTitle : nil }
        guard let title else { return "" }
        return " Nothing was replaced: \(title) is still \(state == .waitingForDevice ? "waiting for the device" : state.rawValue)."
    }

    /// Loads `planned` beside the session there (`replacing`), to replace it once ready.
    func beginReplace(_ planned: PlannedSession, voice: String, loaded: LoadedSession, startAt: Int?, forcedTempo: Tempo?,
                      replacing: String) -> Result<JSON, ProtocolError> {
        let p: Loading
        switch beginLoading(planned, voice: voice, loaded: loaded, startAt: startAt, forcedTempo: forcedTempo, pending: true) {
        case .success(let l): p = l
        case .failure(let e): return .failure(e)
        }
        pending = p
        log("loading \(planned.session.id) at tempo \(planned.timeline.tempo)" + (planned.fitted ? " (fit)" : "")
            + "; it replaces \(replacing) once it is ready to sound")
        var o = JSONObject()
        o.set("state", state.rawValue)
        o.set("tempo", planned.timeline.tempo.value)
        o.set("session", sessionJSON(p, at: p.position))
        o.set("replacing", replacing)
        return .success(o.json)
    }

    /// Drops the pending session (its decoders stop, its device is closed once opened).
    func dropPending(_ p: Loading, why: String) {
        guard pending === p else { return }
        pending = nil
        p.loaded.cancel()
        p.closeAfterOutput = 0
        closingLoads.append(p)
        trimSoon = true
        log("dropped the start of \(p.timeline.sessionID) (\(why))")
    }

    /// X cannot start: the session there goes on, and the error says so.
    func failPending(_ p: Loading, code: String, _ message: String) {
        let text = "\(p.timeline.sessionTitle) cannot start: \(message)" + nothingReplaced
        events.append((.error, [("code", .string(code)), ("message", .string(text))]))
        warn(text)
        dropPending(p, why: code == "device_error" ? "device" : "a cue could not be decoded")
    }

    /// Whether the session there holds a stream of its own (then a device that refuses X's stream
    /// may take only one at a time: X opens it again once that one is closed).
    var ongoingHoldsStream: Bool {
        if let a = active { return a.waiting == nil }
        if let l = loading { return l.stream != nil || l.opening.result == nil }
        return false
    }

    /// The pending session's part of a tick: drop it on a failure, start its stream once it is
    /// ready to sound, swap once that stream runs.
    func tickPending(_ p: Loading) {
        do { try p.loaded.checkDecoded() } catch {
            failPending(p, code: "invalid_session", error.message.dropPrefix("somacue: "))
            return
        }
        p.mixer.pointee.playable.max(refreshGains(p), ordering: .releasing)
        switch p.opening.result {
        case .opened?:
            // Its stream runs (still in its silent pre-roll): the swap.
            switchOver(p, reopen: false)
            return
        case .failed(let message)?:
            if !p.openAfterSwap {
                guard ongoingHoldsStream else {
                    failPending(p, code: "device_error", "cannot open the audio device: \(message)")
                    return
                }
                p.openAfterSwap = true
                log("the device did not take a second stream (\(message)); \(p.timeline.sessionID) opens it once the session there has ended")
            }
        case nil:
            break
        }
        guard p.readyToSound else { return }
        if p.openAfterSwap {
            switchOver(p, reopen: true)
        } else {
            p.gate.isOpen.store(true, ordering: .releasing)
        }
    }

    /// Ends the session there and makes `p` the loading session. With `reopen`, the session
    /// there is closed at once and `p`'s device opened afresh.
    func switchOver(_ p: Loading, reopen: Bool) {
        let id = p.timeline.sessionID
        pending = nil
        retireOngoing(replacedBy: id, immediately: reopen)
        // Read by the stream's next callback (with `reopen`, by its first one). A start at an
        // exercise begins once it has jumped there (tickLoading).
        if p.startAt == nil { _ = p.mixer.pointee.send(.begin) }
        p.startedAt = Platform.wallClock()
        loading = p
        if reopen {
            p.gate.isOpen.store(true, ordering: .releasing)
            openDevice(p)
        }
        setState(.loading)
        log("\(id) replaces the session there, \(formatNumber(((Platform.monotonicSeconds() - p.started) * 1000).rounded())) ms after its start")
    }

    /// Stops the loading or active session for a replace: in the history as stopped, its stream
    /// faded out (150 ms) and closed on a later tick, or at once (`immediately`).
    func retireOngoing(replacedBy id: String, immediately: Bool) {
        if let l = loading {
            loading = nil
            if l.closeAfterOutput == nil {
                l.loaded.cancel()
                let at = l.restore?.frame ?? l.position
                recordHistory(l, .stopped, at: at)
                stateWriter?.remove()
                log("stopped \(l.timeline.sessionID) while loading (replaced by \(id))")
                token += 1
                _ = l.mixer.pointee.send(.stop(token: token))
                l.closeAfterOutput = l.mixer.pointee.outputPosition.load(ordering: .acquiring)
                    + MixerTuning.stopFadeFrames + Int64(l.timeline.sampleRate.hz) / 10
            }
            if immediately { l.closeAfterOutput = 0 }
            closingLoads.append(l)
        }
        if let a = active {
            active = nil
            if state != .idle {
                let at = a.pausedAt ?? a.position
                recordHistory(a, .stopped, at: at)
                stateWriter?.remove()
                log("stopped \(place(a, at)) (replaced by \(id))")
            }
            if immediately || a.waiting != nil || !a.stream.isActive {
                closeSession(a)
                return
            }
            if a.closeAfterOutput == nil {
                token += 1
                _ = a.mixer.pointee.send(.stop(token: token))
                a.closeAfterOutput = a.mixer.pointee.outputPosition.load(ordering: .acquiring)
                    + MixerTuning.stopFadeFrames + Int64(a.timeline.sampleRate.hz) / 10
            }
            retiring.append(a)
        }
    }

    /// Closes a replaced session once its fade has played; true when done.
    func closeRetired(_ a: Active) -> Bool {
        let out = a.mixer.pointee.outputPosition.load(ordering: .acquiring)
        guard out >= a.closeAfterOutput ?? 0 || !a.stream.isActive else { return false }
        closeSession(a)
        return true
    }

    /// The `pending` object of the status: the session a `start --replace` is loading.
    func pendingJSON(_ p: Loading) -> JSON {
        let t = p.timeline
        var o = JSONObject()
        o.set("id", t.sessionID)
        o.set("title", t.sessionTitle)
        o.set("posture", p.loaded.plan.session.posture.rawValue)
        o.set("duration", t.sampleRate.seconds(t.frames))
        o.set("tempo", t.tempo.value)
        o.set("voice", p.voice)
        o.set("ready", p.readyToSound)
        return o.json
    }
}
