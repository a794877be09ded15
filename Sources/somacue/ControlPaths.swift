import SomacuePlatform

// Where the controller finds the daemon and where a daemon it starts writes its log.

enum ControlPaths {
    /// `--socket`, else $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket; made absolute so
    /// that a daemon started from here binds the same path.
    // TODO: use Platform.controlSocketPath(explicit:) once SomacuePlatform has it (same rule).
    static func socket(explicit: String?) -> Result<String, String> {
        if let explicit, !explicit.isEmpty { return .success(Platform.absolute(explicit)) }
        if let path = Platform.env("SOMACUE_SOCKET") { return .success(Platform.absolute(path)) }
        if let runtime = Platform.env("XDG_RUNTIME_DIR") { return .success(runtime + "/somacue/socket") }
        return .failure("XDG_RUNTIME_DIR is not set, so the control socket has no default place; pass --socket PATH or set SOMACUE_SOCKET")
    }

    /// $XDG_STATE_HOME/somacue, else ~/.local/state/somacue.
    static func stateDirectory() -> String? {
        if let state = Platform.env("XDG_STATE_HOME"), state.hasPrefix("/") { return state + "/somacue" }
        guard let home = Platform.env("HOME") else { return nil }
        return home + "/.local/state/somacue"
    }
}
