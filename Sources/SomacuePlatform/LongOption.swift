extension Platform {
    /// The value of a long option at `words[i]`, written `--name VALUE` (a next word that does
    /// not start with `-`; `i` then moves onto it) or `--name=VALUE` (not empty); nil otherwise.
    /// For the executables' small argument scanners that skip the argument parser.
    public static func longOption(_ name: String, in words: [String], at i: inout Int) -> String? {
        let w = words[i]
        if w == name, i + 1 < words.count, !words[i + 1].hasPrefix("-") {
            i += 1
            return words[i]
        }
        let prefix = name + "="
        if w.hasPrefix(prefix), w.count > prefix.count { return String(w.dropFirst(prefix.count)) }
        return nil
    }
}
