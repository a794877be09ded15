/// Where the shipped data (sessions/, exercises/, cues/, config.toml) is found, by one rule for
/// somacue, somacued and `somacue service install`. Nothing here depends on where the binary was
/// compiled: an installed binary never reaches back into the source checkout it was built from.
public enum DataDirectory {
    /// One place that was looked at, for the error message when none has the data.
    public struct Candidate: Sendable, Equatable {
        public var path: String
        /// Why this place was tried: "SOMACUE_DATA_DIR", "next to the binary", "XDG_DATA_DIRS", ...
        public var source: String
    }

    /// The data was not found: every place that was tried, in order.
    public struct NotFound: Error, Sendable, CustomStringConvertible {
        public var tried: [Candidate]
        /// SOMACUE_DATA_DIR was set but is not a folder with the data (it is never passed over).
        public var explicitInvalid: Bool

        public var description: String {
            if explicitInvalid, let first = tried.first {
                return "SOMACUE_DATA_DIR=\(first.path) has no sessions/ folder; unset it, or point it at a folder holding sessions/, exercises/ and cues/"
            }
            let places = tried.map { "\($0.path) (\($0.source))" }.joined(separator: ", ")
            return "cannot find the shipped sessions: no sessions/ folder in \(places); run `somacue service install`, or set SOMACUE_DATA_DIR to the folder holding sessions/, exercises/ and cues/"
        }
    }

    /// The places searched, in order:
    /// 1. `$SOMACUE_DATA_DIR` (if set, it alone decides);
    /// 2. `PREFIX/share/somacue`, where PREFIX is the parent of the executable's folder
    ///    (`~/.local/bin/somacued` → `~/.local/share/somacue`);
    /// 3. for a binary that sits in a SwiftPM build folder (`CHECKOUT/.build/...`), the checkout
    ///    around it: the clone it lives in, not the one it was compiled from;
    /// 4. `somacue/` under each of `$XDG_DATA_HOME` and `$XDG_DATA_DIRS` (default
    ///    `/usr/local/share:/usr/share`).
    public static func candidates(executable: String? = Platform.executablePath()) -> [Candidate] {
        if let explicit = Platform.env("SOMACUE_DATA_DIR") {
            return [Candidate(path: explicit, source: "SOMACUE_DATA_DIR")]
        }
        var list: [Candidate] = []
        if let exe = executable {
            let binDir = Platform.dirname(exe)
            list.append(Candidate(path: Platform.dirname(binDir) + "/share/somacue", source: "next to the binary"))
            if let checkout = buildTreeCheckout(binDir) {
                list.append(Candidate(path: checkout, source: "the checkout this build folder belongs to"))
            }
        }
        if let home = Platform.env("XDG_DATA_HOME"), home.hasPrefix("/") {
            list.append(Candidate(path: home + "/somacue", source: "XDG_DATA_HOME"))
        }
        let dirs = Platform.env("XDG_DATA_DIRS") ?? "/usr/local/share:/usr/share"
        for dir in dirs.split(separator: ":") where dir.hasPrefix("/") {
            list.append(Candidate(path: dir + "/somacue", source: "XDG_DATA_DIRS"))
        }
        var seen: Set<String> = []
        return list.filter { seen.insert($0.path).inserted }
    }

    /// The first candidate holding a `sessions/` folder.
    public static func locate(executable: String? = Platform.executablePath()) -> Result<String, NotFound> {
        let tried = candidates(executable: executable)
        for candidate in tried where Platform.fileType(candidate.path + "/sessions") == .directory {
            return .success(candidate.path)
        }
        let explicit = tried.count == 1 && tried[0].source == "SOMACUE_DATA_DIR"
        return .failure(NotFound(tried: tried, explicitInvalid: explicit))
    }

    /// `/x/clone` for a binary folder such as `/x/clone/.build/debug` or
    /// `/x/clone/.build/x86_64-unknown-linux-gnu/release`: the nearest `.build` component's parent,
    /// when it holds a Package.swift.
    static func buildTreeCheckout(_ binDir: String) -> String? {
        var dir = binDir
        for _ in 0..<4 {
            if Platform.basename(dir) == ".build" {
                let root = Platform.dirname(dir)
                return Platform.fileType(root + "/Package.swift") == .regular ? root : nil
            }
            let parent = Platform.dirname(dir)
            if parent == dir { return nil }
            dir = parent
        }
        return nil
    }
}
