/// The mutable document tree the parser fills in, and the TOML rules about which tables may be
/// defined or extended from where. Reference types, so that a header can hand back "the table
/// that later key/value lines go into" without re-walking the path for every line; and a
/// dictionary per table, so that lookups stay constant time whatever the table size.
final class TOMLBuilder {
    /// How a table came to exist; this decides who may add to it later.
    enum Origin {
        /// The document itself.
        case root
        /// Opened by `[header]` or `[[header]]`; closed to later headers and dotted keys.
        case header
        /// Created as a parent by a header (`[a.b]` creates `a`); may still be defined once by
        /// its own header, or extended with dotted keys.
        case implicit
        /// Created or extended by dotted keys within one section; only that section may add to it.
        case dotted
        /// An inline table `{ ... }` while it is being parsed (frozen into a value afterwards).
        case inline
    }

    final class Table {
        var position: SourcePosition
        var origin: Origin
        /// The section (header body or inline table) whose dotted keys may extend this table.
        var section = -1
        /// The keys in document order, each once.
        private var names: [String] = []
        private var contents: [Slot] = []
        /// Key -> index, built once the table outgrows a linear search (most tables, such as
        /// each `[[cue]]` of a voice manifest, hold a handful of keys: hashing every key of
        /// every small table cost more than comparing a few short strings).
        private var index: [String: Int]?
        static let linearLimit = 12

        init(position: SourcePosition, origin: Origin) {
            self.position = position
            self.origin = origin
        }

        /// The slot of `name`, if the table has it.
        func slot(_ name: String) -> Slot? {
            if let index { return index[name].map { contents[$0] } }
            for i in names.indices where names[i] == name { return contents[i] }
            return nil
        }

        /// Adds a key the table does not have yet (callers check with `slot` first).
        func insert(_ key: TOMLKeySegment, _ content: Content) {
            names.append(key.name)
            contents.append(Slot(keyPosition: key.position, content: content))
            if index != nil {
                index![key.name] = names.count - 1
            } else if names.count > Self.linearLimit {
                var built: [String: Int] = [:]
                built.reserveCapacity(names.count * 2)
                for (i, name) in names.enumerated() { built[name] = i }
                index = built
            }
        }

        /// The immutable table handed to callers.
        func frozen() -> TOMLTable {
            var entries: [TOMLTable.Entry] = []
            entries.reserveCapacity(names.count)
            for i in names.indices {
                entries.append(TOMLTable.Entry(key: names[i], keyPosition: contents[i].keyPosition, node: contents[i].content.node))
            }
            return TOMLTable(position: position, uniqueEntries: entries)
        }
    }

    final class TableArray {
        var position: SourcePosition
        var elements: [Table]
        init(first: Table) {
            position = first.position
            elements = [first]
        }
    }

    struct Slot {
        var keyPosition: SourcePosition
        var content: Content
    }

    enum Content {
        /// Scalars, static arrays and inline tables: all final once written.
        case value(TOMLNode)
        case table(Table)
        case tableArray(TableArray)

        var node: TOMLNode {
            switch self {
            case .value(let node):
                node
            case .table(let table):
                TOMLNode(.table(table.frozen()), at: table.position)
            case .tableArray(let array):
                TOMLNode(.array(array.elements.map { TOMLNode(.table($0.frozen()), at: $0.position) }), at: array.position)
            }
        }
    }

    let root = Table(position: SourcePosition(line: 1, column: 1), origin: .root)
    private var sections = 0

    /// A fresh id for the body of a header or an inline table (the root body is 0).
    func newSection() -> Int {
        sections += 1
        return sections
    }

    // MARK: - Headers

    /// `[a.b.c]`: returns the table that the following key/value lines fill.
    func defineTable(_ key: [TOMLKeySegment], at header: SourcePosition) throws(TOMLError) -> Table {
        let parent = try walkHeader(key, at: header)
        guard let last = key.last else { return parent }
        guard let slot = parent.slot(last.name) else {
            let table = Table(position: header, origin: .header)
            parent.insert(last, .table(table))
            return table
        }
        let name = display(key)
        switch slot.content {
        case .table(let table):
            switch table.origin {
            case .implicit:
                // First explicit definition of a table that so far only existed as a parent.
                table.origin = .header
                table.position = header
                return table
            case .dotted:
                throw TOMLError("table \(name) cannot be defined with a header: it was already created with dotted keys at \(place(slot.keyPosition))", at: last.position)
            case .header, .root, .inline:
                throw TOMLError("table \(name) is defined twice (first defined at \(place(table.position)))", at: last.position)
            }
        case .tableArray(let array):
            throw TOMLError("cannot define \(name) as a table: it is already an array of tables (defined at \(place(array.position)))", at: last.position)
        case .value(let node):
            throw alreadyValue(name, node, slot, at: last.position)
        }
    }

    /// `[[a.b.c]]`: appends a new table to the array and returns it.
    func appendTableArrayElement(_ key: [TOMLKeySegment], at header: SourcePosition) throws(TOMLError) -> Table {
        let parent = try walkHeader(key, at: header)
        let element = Table(position: header, origin: .header)
        guard let last = key.last else { return parent }
        guard let slot = parent.slot(last.name) else {
            parent.insert(last, .tableArray(TableArray(first: element)))
            return element
        }
        let name = display(key)
        switch slot.content {
        case .tableArray(let array):
            array.elements.append(element)
            return element
        case .table(let table):
            throw TOMLError("cannot define \(name) as an array of tables: it is already a table (defined at \(place(table.position)))", at: last.position)
        case .value(let node):
            if case .array = node.value {
                throw TOMLError("cannot append to \(name) with [[\(dottedKeyText(key))]]: it is a static array (defined at \(place(node.position))), which cannot be extended", at: last.position)
            }
            throw alreadyValue(name, node, slot, at: last.position)
        }
    }

    /// Follows the parents of a header key, creating missing ones; into an array of tables it
    /// goes to the last element, as `[[a]]` then `[a.b]` means "b in the latest a".
    private func walkHeader(_ key: [TOMLKeySegment], at header: SourcePosition) throws(TOMLError) -> Table {
        var table = root
        for (i, segment) in key.dropLast().enumerated() {
            guard let slot = table.slot(segment.name) else {
                let child = Table(position: header, origin: .implicit)
                table.insert(segment, .table(child))
                table = child
                continue
            }
            switch slot.content {
            case .table(let child):
                table = child
            case .tableArray(let array):
                guard let element = array.elements.last else { return table }
                table = element
            case .value(let node):
                throw alreadyValue(display(key[...i]), node, slot, at: segment.position)
            }
        }
        return table
    }

    // MARK: - Key/value pairs

    /// `a.b.c = value` in `table`, within section `section`.
    func assign(_ key: [TOMLKeySegment], value: TOMLNode, into table: Table, section: Int) throws(TOMLError) {
        var table = table
        for (i, segment) in key.dropLast().enumerated() {
            guard let slot = table.slot(segment.name) else {
                let child = Table(position: segment.position, origin: .dotted)
                child.section = section
                table.insert(segment, .table(child))
                table = child
                continue
            }
            switch slot.content {
            case .table(let child):
                switch child.origin {
                case .dotted where child.section == section:
                    break
                case .implicit:
                    // Claimed by this section: later headers and other sections may not add to it.
                    child.origin = .dotted
                    child.section = section
                case .dotted:
                    throw TOMLError("cannot add to table \(display(key[...i])) with dotted keys here: it was created with dotted keys in another section (at \(place(slot.keyPosition)))", at: segment.position)
                case .header, .root, .inline:
                    throw TOMLError("cannot add to table \(display(key[...i])) with dotted keys: it was defined by a header at \(place(child.position))", at: segment.position)
                }
                table = child
            case .tableArray(let array):
                throw TOMLError("cannot add to \(display(key[...i])) with dotted keys: it is an array of tables (defined at \(place(array.position)))", at: segment.position)
            case .value(let node):
                throw alreadyValue(display(key[...i]), node, slot, at: segment.position)
            }
        }
        guard let last = key.last else { return }
        if let slot = table.slot(last.name) {
            throw TOMLError("duplicate key \(display(key)) (first defined at \(place(slot.keyPosition)))", at: last.position)
        }
        table.insert(last, .value(value))
    }

    // MARK: - Messages

    private func alreadyValue(_ name: String, _ node: TOMLNode, _ slot: Slot, at position: SourcePosition) -> TOMLError {
        if case .table = node.value {
            return TOMLError("cannot add to inline table \(name) (defined at \(place(node.position))): inline tables cannot be extended", at: position)
        }
        return TOMLError("key \(name) is already defined as \(article(node.value.typeName)) at \(place(slot.keyPosition)), so it cannot be used as a table", at: position)
    }

    private func article(_ typeName: String) -> String {
        (typeName.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + typeName
    }

    private func place(_ p: SourcePosition) -> String { "\(p.line):\(p.column)" }

    private func display(_ key: some Collection<TOMLKeySegment>) -> String {
        "\"" + dottedKeyText(key) + "\""
    }
}
