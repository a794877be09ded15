import SomacueCore
import SomacuePlatform

/// An error that ends a command: a message for stderr (one line, or one line per diagnostic)
/// and the documented exit status.
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var status: Int32
    public init(_ message: String, status: Int32) {
        self.message = message
        self.status = status
    }
    public var description: String { message }

    public static func diagnostics(_ diags: [Diagnostic], status: Int32) -> EngineError {
        EngineError(diags.sortedByPosition().map(\.description).joined(separator: "\n"), status: status)
    }
}
