import SomacueCore
import SomacuePlatform

/// Where somacue finds its shipped data and the user's own files.
public struct Paths: Sendable {
    /// Shipped `sessions/`, `exercises/`, `cues/`.
    public var dataDir: String
    /// `${XDG_CONFIG_HOME:-~/.config}/somacue`.
    public var userDir: String

    public init(dataDir: String, userDir: String) {
        self.dataDir = dataDir
        self.userDir = userDir
    }

    /// The shipped data by `DataDirectory`'s rule (SOMACUE_DATA_DIR, PREFIX/share/somacue next to
    /// the binary, the checkout around a build folder, XDG_DATA_HOME and XDG_DATA_DIRS); never the
    /// checkout this binary was compiled from.
    /// `executable` is the binary whose place decides (`somacue` answering a listing itself
    /// names the `somacued` it would run, so both find the same data).
    public static func discover(executable: String? = Platform.executablePath()) throws(EngineError) -> Paths {
        let user = (Platform.baseDirectory(.config) ?? "/root/.config") + "/somacue"
        switch DataDirectory.locate(executable: executable) {
        case .success(let dir): return Paths(dataDir: dir, userDir: user)
        case .failure(let notFound): throw EngineError("somacue: \(notFound)", status: ExitStatus.noInput)
        }
    }

    public var defaultConfigFile: String { userDir + "/config.toml" }
    public var shippedSessions: String { dataDir + "/sessions" }
    public var shippedExercises: String { dataDir + "/exercises" }
    public var userSessions: String { userDir + "/sessions" }
    public var userExercises: String { userDir + "/exercises" }
    public var defaultVoiceDir: String { dataDir + "/cues" }
    /// The shipped named voice packs (`cues/voices/<id>/`).
    public var shippedVoicesDir: String { dataDir + "/cues/voices" }
    public var userVoicesDir: String { userDir + "/voices" }
}

/// Loads the configuration: `--config PATH`, else the user's config.toml if present, else the
/// defaults. Every problem is reported with file:line:col; the status is 78.
public func loadConfig(explicitPath: String?, paths: Paths) throws(EngineError) -> (Config, String?) {
    let path = explicitPath ?? paths.defaultConfigFile
    if explicitPath == nil && !Platform.exists(path) { return (Config(), nil) }
    let config = try readSchemaFile(path, what: "config", status: ExitStatus.config) { root, reader in
        readConfig(root, reader: &reader)
    }
    return (config, path)
}

/// Reads a TOML file and builds a model from it with `read`. Syntax and schema errors become
/// one `EngineError` with every diagnostic; warnings are printed (`Console`) and the model is
/// returned.
func readSchemaFile<T>(_ path: String, what: String, status: Int32,
                       _ read: (TOMLTable, inout SchemaReader) -> T) throws(EngineError) -> T {
    let text: String
    do { text = try Platform.readFile(path) } catch {
        throw EngineError("somacue: cannot read \(what) \(error)", status: status)
    }
    switch parseTOMLFile(text, file: path) {
    case .failure(let e): throw EngineError.diagnostics(e.diagnostics, status: status)
    case .success(let root):
        var reader = SchemaReader(file: path)
        let model = read(root, &reader)
        if reader.diagnostics.hasErrors { throw EngineError.diagnostics(reader.diagnostics, status: status) }
        for d in reader.diagnostics { Console.err(d.description) }
        return model
    }
}
