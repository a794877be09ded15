import SomacuePlatform

// Where a daemon started by `somacue start` writes its log. (The socket path comes from
// Platform.controlSocketPath, the rule the daemon uses too.)

enum ControlPaths {
    /// $XDG_STATE_HOME/somacue, else ~/.local/state/somacue.
    static func stateDirectory() -> String? {
        if let state = Platform.env("XDG_STATE_HOME"), state.hasPrefix("/") { return state + "/somacue" }
        guard let home = Platform.env("HOME") else { return nil }
        return home + "/.local/state/somacue"
    }
}
