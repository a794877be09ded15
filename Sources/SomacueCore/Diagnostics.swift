/// A 1-based line and column in a source file. Columns count Unicode scalars.
public struct SourcePosition: Hashable, Comparable, Sendable {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}

/// One problem found in a user file, printed as `file:line:col: error|warning: message`.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }
    public var file: String
    public var position: SourcePosition?
    public var severity: Severity
    public var message: String

    public init(file: String, position: SourcePosition?, severity: Severity = .error, message: String) {
        self.file = file
        self.position = position
        self.severity = severity
        self.message = message
    }

    public var description: String {
        let place = position.map { "\(file):\($0.line):\($0.column)" } ?? file
        return "\(place): \(severity.rawValue): \(message)"
    }
}

extension Array where Element == Diagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }
    /// Sorted by file, then position, keeping the order of equal positions.
    public func sortedByPosition() -> [Diagnostic] {
        enumerated().sorted { a, b in
            if a.element.file != b.element.file { return a.element.file < b.element.file }
            let pa = a.element.position ?? SourcePosition(line: 0, column: 0)
            let pb = b.element.position ?? SourcePosition(line: 0, column: 0)
            if pa != pb { return pa < pb }
            return a.offset < b.offset
        }.map(\.element)
    }
}

/// Thrown when a user file (session, exercise, manifest, config) has errors.
public struct DiagnosticsError: Error, Sendable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
}
