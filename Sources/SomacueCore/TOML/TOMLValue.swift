/// The parsed form of a TOML document. Every key and value keeps its source position so that
/// schema checks can report file:line:col for semantic errors, not only syntax errors.

/// A TOML date or time value (offset date-time, local date-time, local date or local time).
/// somacue's own files never use them, but the parser accepts them so any valid TOML parses.
public struct TOMLDateTime: Hashable, Sendable {
    public enum Kind: String, Sendable { case offsetDateTime, localDateTime, localDate, localTime }
    public var kind: Kind
    public var year = 0, month = 0, day = 0
    public var hour = 0, minute = 0, second = 0
    /// Fractional seconds as written, digits only (e.g. "999" for .999); empty if none.
    public var fraction = ""
    /// Offset in minutes east of UTC; nil for local kinds. `Z` is 0.
    public var offsetMinutes: Int?
    public init(kind: Kind) { self.kind = kind }
}

public indirect enum TOMLValue: Sendable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    case dateTime(TOMLDateTime)
    case array([TOMLNode])
    case table(TOMLTable)

    /// The TOML type name used in diagnostics ("string", "integer", "float", "boolean",
    /// "date-time", "array", "table").
    public var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .dateTime: "date-time"
        case .array: "array"
        case .table: "table"
        }
    }
}

/// A value with the position of its first character.
public struct TOMLNode: Sendable {
    public var value: TOMLValue
    public var position: SourcePosition
    public init(_ value: TOMLValue, at position: SourcePosition) {
        self.value = value
        self.position = position
    }
}

/// A table: keys in document order, each with the position of the key itself.
public struct TOMLTable: Sendable {
    public struct Entry: Sendable {
        public var key: String
        public var keyPosition: SourcePosition
        public var node: TOMLNode
    }
    /// Where the table was opened (`[header]`, `{`), or 1:1 for the root table.
    public var position: SourcePosition
    public private(set) var entries: [Entry] = []

    public init(position: SourcePosition) { self.position = position }

    /// For the parser, which has already rejected duplicates: skips the per-key search of
    /// `set`, which would make building a large table quadratic.
    init(position: SourcePosition, uniqueEntries: [Entry]) {
        self.position = position
        self.entries = uniqueEntries
    }

    public subscript(key: String) -> TOMLNode? {
        entries.first { $0.key == key }?.node
    }
    public func entry(_ key: String) -> Entry? { entries.first { $0.key == key } }
    public var keys: [String] { entries.map(\.key) }

    /// Appends or replaces (the parser guarantees no duplicate definitions).
    public mutating func set(_ key: String, keyPosition: SourcePosition, node: TOMLNode) {
        if let i = entries.firstIndex(where: { $0.key == key }) {
            entries[i].node = node
        } else {
            entries.append(Entry(key: key, keyPosition: keyPosition, node: node))
        }
    }
}

/// A syntax error with the position where parsing stopped.
public struct TOMLError: Error, Sendable, Hashable, CustomStringConvertible {
    public var position: SourcePosition
    public var message: String
    public init(_ message: String, at position: SourcePosition) {
        self.message = message
        self.position = position
    }
    public var description: String { "\(position.line):\(position.column): \(message)" }
}
