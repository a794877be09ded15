/// The XDG base directories, by one rule for every binary and every caller: the variable when it
/// holds an absolute path (a relative one is ignored, as the XDG specification says), else the
/// default under an absolute `$HOME`; nil when neither is there.
extension Platform {
    public enum BaseDirectory: Sendable {
        case config, data, state, cache

        var variable: String {
            switch self {
            case .config: "XDG_CONFIG_HOME"
            case .data: "XDG_DATA_HOME"
            case .state: "XDG_STATE_HOME"
            case .cache: "XDG_CACHE_HOME"
            }
        }

        /// Below `$HOME`.
        var fallback: String {
            switch self {
            case .config: "/.config"
            case .data: "/.local/share"
            case .state: "/.local/state"
            case .cache: "/.cache"
            }
        }
    }

    /// `$XDG_CONFIG_HOME` (or the data, state or cache one), else `$HOME/.config` and so on.
    public static func baseDirectory(_ kind: BaseDirectory) -> String? {
        if let value = env(kind.variable), value.hasPrefix("/") { return value }
        if let home = env("HOME"), home.hasPrefix("/") { return home + kind.fallback }
        return nil
    }
}
