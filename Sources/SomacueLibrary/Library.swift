import SomacueCore
import SomacuePlatform

/// The exercises and sessions available: shipped ones, overridden by the user's files of the
/// same id.
public struct Library: Sendable {
    public var exercises: [String: Exercise] = [:]
    public var sessions: [String: Session] = [:]
    /// Problems in library files. A broken file is skipped (never fatal for the others).
    public var diagnostics: [Diagnostic] = []

    public init() {}

    public static func load(paths: Paths) -> Library {
        var lib = Library()
        for dir in [paths.shippedExercises, paths.userExercises] {
            for (id, path) in tomlFiles(in: dir) {
                if let ex = lib.readExerciseFile(path, expectedID: id) { lib.exercises[ex.id] = ex }
            }
        }
        for dir in [paths.shippedSessions, paths.userSessions] {
            for (id, path) in tomlFiles(in: dir) {
                if let s = lib.readSessionFile(path, expectedID: id) { lib.sessions[s.id] = s }
            }
        }
        return lib
    }

    static func tomlFiles(in dir: String) -> [(String, String)] {
        Platform.listDirectory(dir).filter { $0.hasSuffix(".toml") }.map { (String($0.dropLast(5)), dir + "/" + $0) }
    }

    mutating func readExerciseFile(_ path: String, expectedID: String?) -> Exercise? {
        guard let root = parse(path) else { return nil }
        var r = SchemaReader(file: path)
        let ex = readExercise(root, reader: &r, expectedID: expectedID)
        diagnostics += r.diagnostics
        return r.diagnostics.hasErrors ? nil : ex
    }

    mutating func readSessionFile(_ path: String, expectedID: String?) -> Session? {
        guard let root = parse(path) else { return nil }
        var r = SchemaReader(file: path)
        let s = readSession(root, reader: &r, expectedID: expectedID)
        diagnostics += r.diagnostics
        return r.diagnostics.hasErrors ? nil : s
    }

    private mutating func parse(_ path: String) -> TOMLTable? {
        let text: String
        do { text = try Platform.readFile(path) } catch {
            diagnostics.append(Diagnostic(file: path, position: nil, message: "cannot read: \(error.reason)"))
            return nil
        }
        switch parseTOMLFile(text, file: path) {
        case .success(let root): return root
        case .failure(let e):
            diagnostics += e.diagnostics
            return nil
        }
    }

    /// Resolves a SESSION argument: a file path if it contains "/" or ends in ".toml", else an
    /// id. A file is validated, including its exercise references.
    public func session(_ arg: String) throws(EngineError) -> Session {
        if arg.contains("/") || arg.hasSuffix(".toml") {
            guard Platform.exists(arg) else {
                throw EngineError("somacue: no such session file: \(arg)", status: ExitStatus.noInput)
            }
            var copy = self
            copy.diagnostics = []
            let session = copy.readSessionFile(arg, expectedID: nil)
            if let session { copy.diagnostics += checkReferences(session) }
            if copy.diagnostics.hasErrors || session == nil {
                throw EngineError.diagnostics(copy.diagnostics, status: ExitStatus.dataError)
            }
            return session!
        }
        if let s = sessions[arg] {
            let problems = checkReferences(s)
            if problems.hasErrors { throw EngineError.diagnostics(problems, status: ExitStatus.dataError) }
            return s
        }
        // The file may exist but be broken: show its diagnostics rather than "no such session".
        let broken = diagnostics.filter { Platform.basename($0.file) == arg + ".toml" && $0.file.contains("/sessions/") }
        if broken.hasErrors { throw EngineError.diagnostics(broken, status: ExitStatus.dataError) }
        var message = "somacue: no session \"\(arg)\""
        if let near = closestMatch(arg, in: sessions.keys.sorted()) {
            message += "; did you mean \"\(near)\"?"
        }
        message += " (`somacue sessions` lists them)"
        throw EngineError(message, status: ExitStatus.noInput)
    }

    /// Every step must name a known exercise; unknown ones are errors at the step's position.
    /// Releases that a step's seconds make shorter than 3x the contraction are warnings.
    public func checkReferences(_ session: Session) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for (i, step) in session.steps.enumerated() where exercises[step.exercise] == nil {
            var m = "step[\(i + 1)].exercise: no exercise \"\(step.exercise)\""
            if let near = closestMatch(step.exercise, in: exercises.keys.sorted()) { m += "; did you mean \"\(near)\"?" }
            out.append(Diagnostic(file: session.file, position: step.position, message: m))
        }
        for (i, step) in session.steps.enumerated() {
            if let ex = exercises[step.exercise], !ex.sides, let s = step.sides, !s.isEmpty {
                out.append(Diagnostic(file: session.file, position: step.position, severity: .warning,
                                      message: "step[\(i + 1)].sides: \"\(ex.id)\" is not done per side; the side order is ignored"))
            }
        }
        out += releaseRatioWarnings(session: session, exercises: exercises)
        return out
    }
}
