#!/usr/bin/env python3
"""Writes the fingerprint the own-words test checks the repository against.

The project's texts (cues, exercises, sessions, docs, code) must be our own words: no run of
8 consecutive words of the article the project started from may appear in them. The article is
not part of the repository, so this script is run by hand where a copy is at hand:

    python3 scripts/article-shingles.py ARTICLE.txt [MORE.txt ...]

It splits each text into words, hashes every run of 8 consecutive words (a "shingle") with
64-bit FNV-1a, and writes the sorted, distinct hashes as hex, one per line, to
Tests/EndToEndTests/Fixtures/article-shingles.txt (or --out FILE). Only hashes are written,
never text. Tests/EndToEndTests/OwnWordsTests.swift splits and hashes the repository's files
the same way; keep the two in step (the test's fixture self-check catches a drift).

Words: the text is lowercased; the curly apostrophes U+2019 and U+2018 count as "'"; a word
is a maximal run of letters, digits and "'" (letters and digits in the Unicode sense: general
category L* or N*), with "'" trimmed from both ends; runs that are left empty are dropped.
"""

import argparse
import os
import sys
import unicodedata

SHINGLE = 8
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK = (1 << 64) - 1


def is_word_char(ch: str) -> bool:
    if ch == "'":
        return True
    if ch < "\x80":
        return ch.isascii() and ch.isalnum()
    return unicodedata.category(ch)[0] in "LN"


def words(text: str) -> list[str]:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    out: list[str] = []
    current: list[str] = []
    for ch in text + " ":
        if is_word_char(ch):
            current.append(ch)
        elif current:
            word = "".join(current).strip("'")
            if word:
                out.append(word)
            current = []
    return out


def fnv1a64(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK
    return h


def shingles(ws: list[str]) -> set[int]:
    return {fnv1a64(" ".join(ws[i:i + SHINGLE]).encode("utf-8")) for i in range(len(ws) - SHINGLE + 1)}


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.join(here, "..", "Tests", "EndToEndTests", "Fixtures", "article-shingles.txt")
    parser = argparse.ArgumentParser(description="Write hashed 8-word shingles of a text (no text).")
    parser.add_argument("articles", nargs="+", help="the article's text file(s)")
    parser.add_argument("--out", default=default_out, help="fixture to write (default: %(default)s)")
    args = parser.parse_args()

    hashes: set[int] = set()
    for path in args.articles:
        with open(path, encoding="utf-8") as f:
            hashes |= shingles(words(f.read()))
    if not hashes:
        print(f"article-shingles: no run of {SHINGLE} words in {', '.join(args.articles)}", file=sys.stderr)
        return 1
    with open(args.out, "w", encoding="ascii") as f:
        f.write(f"# {SHINGLE}-word shingles of the source article, 64-bit FNV-1a, written by scripts/article-shingles.py\n")
        for h in sorted(hashes):
            f.write(f"{h:016x}\n")
    print(f"article-shingles: {len(hashes)} hashes written to {os.path.normpath(args.out)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
