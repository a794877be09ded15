/// The engine's own spoken cues and tones: announcements that are the same for every session.
/// Their texts live here (the pacing engine decides when they are spoken); a voice pack
/// provides one audio file per id.
public enum BuiltinCue {
    public static let voices: [(id: CueID, text: String)] = [
        ("safety", "A short note before we start. This practice is movement education, not medical treatment. Move gently and well within comfort, and stop if anything hurts. Whenever you stand, keep a chair or a wall within reach."),
        ("close-eyes", "When you feel settled, let your eyes close. From here on, everything is guided by sound."),
        ("lead-in", "Take all the time you need to get down and settle. The guidance will continue in a little while."),
        ("begin", "Let us begin."),
        ("first-rep-small", "Start with a very small movement."),
        ("rep-grow", "Again. You may let it grow a little, only as far as you keep full control."),
        ("last-rep", "Last one."),
        ("only-rep", "Just once, slowly."),
        ("left-side", "Working on the left side."),
        ("right-side", "Working on the right side."),
        ("switch-sides", "Gently come back to the middle. Now change sides."),
        ("rest", "Rest completely and let everything soften."),
        ("integrate", "Rest here, and let that movement settle in."),
        ("next-exercise", "Coming up next."),
        ("stand-with-support", "For this one, open your eyes, come up to standing slowly, and rest one hand on a chair or a wall."),
        ("sit-down", "Come to sit comfortably, and let your eyes close again if that feels right."),
        ("lie-down", "Come back down to the floor, and let your eyes close again."),
        ("session-end", "This is the end of the session."),
        ("paused", "Paused."),
        ("resumed", "Resuming."),
        ("stopped", "Stopping the session here."),
    ]

    public static let tones: [(id: CueID, description: String)] = [
        ("tone-start", "soft two-note rise: the session begins"),
        ("tone-contract", "soft short tone at the start of each contraction"),
        ("tone-release", "lower, longer tone at the start of each release"),
        ("tone-switch", "two quick soft tones: change sides"),
        ("chime-end", "distinct three-note chime: the session is over"),
        ("tone-pause", "short falling blip: paused"),
        ("tone-resume", "short rising blip: resumed"),
        ("tone-stop", "low soft tone: stopped"),
    ]

    public static func text(_ id: CueID) -> String? { voices.first { $0.id == id }?.text }
}

extension Exercise {
    public func cueID(_ part: String) -> CueID { CueID("\(id).\(part)") }
}

extension Session {
    public func cueID(_ part: String) -> CueID { CueID("\(id).\(part)") }
}
