import SomacuePlatform

// Where a daemon started by `somacue start` writes its log. (The socket path comes from
// Platform.controlSocketPath, the rule the daemon uses too.)

enum ControlPaths {
    /// $XDG_STATE_HOME/somacue, else ~/.local/state/somacue.
    static func stateDirectory() -> String? { Platform.baseDirectory(.state).map { $0 + "/somacue" } }
}
