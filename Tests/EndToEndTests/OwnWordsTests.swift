import Foundation
import Testing

/// Instructions and cue texts are written in our own words: no run of 8 consecutive words of
/// the source article may appear in any text file of the repository.
@Suite("Own words")
struct OwnWordsTests {
    static func words(_ text: String) -> [String] {
        text.lowercased()
            .replacingOccurrences(of: "’", with: "'")
            .components(separatedBy: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "'")).inverted)
            .filter { !$0.isEmpty }
    }

    @Test func noEightWordRunOfTheArticle() throws {
        let shared = try #require(E2E.shared, "shared/ not found beside the checkout; set SOMACUE_SHARED_DIR")
        let seedDir = shared.appendingPathComponent("seed")
        var grams = Set<String>()
        for f in try FileManager.default.contentsOfDirectory(atPath: seedDir.path) {
            let w = Self.words(try String(contentsOf: seedDir.appendingPathComponent(f), encoding: .utf8))
            if w.count >= 8 { for i in 0...(w.count - 8) { grams.insert(w[i..<i + 8].joined(separator: " ")) } }
        }
        #expect(grams.count > 1000)
        let git = try E2E.run("/usr/bin/git", ["-C", E2E.repo.path, "ls-files", "--cached", "--others", "--exclude-standard"])
        var checked = 0
        for path in git.stdout.split(separator: "\n").map(String.init) {
            guard [".toml", ".md", ".swift", ".py", ".sh", ".txt", ""].contains(where: { path.hasSuffix($0) && !$0.isEmpty })
                    || !path.contains(".") else { continue }
            guard let text = try? String(contentsOf: E2E.repo.appendingPathComponent(path), encoding: .utf8) else { continue }
            let w = Self.words(text)
            checked += 1
            guard w.count >= 8 else { continue }
            for i in 0...(w.count - 8) {
                let g = w[i..<i + 8].joined(separator: " ")
                #expect(!grams.contains(g), "\(path) repeats the article: \"\(g)\"")
            }
        }
        #expect(checked > 30)
    }
}
