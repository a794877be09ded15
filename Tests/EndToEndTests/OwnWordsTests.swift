import Foundation
import Testing

/// Instructions, cue texts, docs and code are written in our own words: no run of 8 consecutive
/// words of the article the project started from may appear in any text file of the repository.
/// The article is not in the repository; `scripts/article-shingles.py`, run by hand where it is
/// at hand, wrote hashes of its 8-word runs to `Fixtures/article-shingles.txt` (hashes only).
/// This test splits and hashes the repository's text the same way (see that script for the rules).
@Suite("Own words")
struct OwnWordsTests {
    static let shingleLength = 8
    static let fixture = E2E.fixtures.appendingPathComponent("article-shingles.txt")

    /// Lowercased words: runs of Unicode letters/digits (general category L* or N*) and "'", with
    /// the curly apostrophes counted as "'" and "'" trimmed from both ends of each run.
    static func words(_ text: String) -> [String] {
        var out: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            var word = Substring(String(current))
            while word.first == "'" { word = word.dropFirst() }
            while word.last == "'" { word = word.dropLast() }
            if !word.isEmpty { out.append(String(word)) }
            current = String.UnicodeScalarView()
        }
        for scalar in text.lowercased().unicodeScalars {
            let s: Unicode.Scalar = (scalar == "\u{2019}" || scalar == "\u{2018}") ? "'" : scalar
            if isWordScalar(s) { current.append(s) } else if !current.isEmpty { flush() }
        }
        if !current.isEmpty { flush() }
        return out
    }

    static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
        if s == "'" { return true }
        if s.isASCII { return ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber:
            return true
        default:
            return false
        }
    }

    /// 64-bit FNV-1a of the UTF-8 bytes.
    static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return h
    }

    /// Each run of 8 words with its hash.
    static func shingles(_ words: [String]) -> [(text: String, hash: UInt64)] {
        guard words.count >= shingleLength else { return [] }
        return (0...(words.count - shingleLength)).map { i in
            let text = words[i..<i + shingleLength].joined(separator: " ")
            return (text, fnv1a(text))
        }
    }

    static func articleHashes() throws -> Set<UInt64> {
        let text = try String(contentsOf: fixture, encoding: .utf8)
        var out = Set<UInt64>()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let h = UInt64(line.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: fixture.path])
            }
            out.insert(h)
        }
        return out
    }

    /// The words of `text` that repeat a hashed run, as "the eight words" strings.
    static func matches(_ text: String, against hashes: Set<UInt64>) -> [String] {
        shingles(words(text)).filter { hashes.contains($0.hash) }.map(\.text)
    }

    /// Values computed by scripts/article-shingles.py: the two sides split and hash alike.
    @Test func sameRulesAsTheScript() {
        #expect(Self.words("Don\u{2019}t \u{2018}quote\u{2019} it \u{2014} 3.5 caf\u{E9} na\u{EF}ve")
                == ["don't", "quote", "it", "3", "5", "café", "naïve"])
        #expect(Self.words("'Tis  the--END''") == ["tis", "the", "end"])
        #expect(Self.fnv1a("one two three four five six seven eight") == 0xBA4B_9B92_DB71_BFBB)
        #expect(Self.fnv1a("") == 0xCBF2_9CE4_8422_2325)
    }

    /// The scan finds a hashed run wherever it sits in a text, whatever the case and punctuation.
    @Test func findsAPlantedRun() {
        let planted = "the quiet dog walks slowly along the river bank"
        let hashes = Set(Self.shingles(Self.words(planted)).map(\.hash))
        let text = "Intro text.\nThe Quiet dog -- walks, slowly; along the\nriver bank tonight."
        #expect(Self.matches(text, against: hashes).count == 2)
        #expect(Self.matches("the quiet dog walks slowly along a river bank", against: hashes).isEmpty)
    }

    @Test func noEightWordRunOfTheArticle() throws {
        let hashes = try Self.articleHashes()
        #expect(hashes.count > 2000, "the fixture \(Self.fixture.path) holds too few hashes")
        let git = try E2E.run("/usr/bin/git", ["-C", E2E.repo.path, "ls-files", "--cached", "--others", "--exclude-standard"])
        #expect(git.status == 0, "git ls-files failed: \(git.stderr)")
        let binary: Set<String> = ["ogg", "wav", "flac", "raw", "png", "jpg"]
        let fixturePath = Self.fixture.path
        var checked = 0
        var kinds = Set<String>()
        for path in git.stdout.split(separator: "\n").map(String.init) {
            let url = E2E.repo.appendingPathComponent(path)
            guard url.path != fixturePath, !binary.contains(url.pathExtension.lowercased()) else { continue }
            guard let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8) else { continue }
            checked += 1
            kinds.insert(path.split(separator: "/").first.map(String.init) ?? path)
            for run in Self.matches(text, against: hashes) {
                Issue.record("\(path) repeats 8 words of the article: \"\(run)\"")
            }
        }
        // The cue texts, exercises, sessions, docs and README are all among the files checked.
        #expect(checked > 100)
        for folder in ["README.md", "docs", "cues", "exercises", "sessions", "Sources"] {
            #expect(kinds.contains(folder), "no file under \(folder) was checked")
        }
    }
}
