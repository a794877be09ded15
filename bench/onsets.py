#!/usr/bin/env python3
"""Onset accuracy: every event's audio starts exactly at its timeline frame.

Usage: bench/onsets.py TIMELINE.json VOICES.wav TONES.wav
VOICES.wav is a render with the tone volume at 0, TONES.wav one with the voice volume at 0, so
each cue can be found on its own (voices never overlap each other, nor do tones). For every event
the cue's source (decoded with sox) is cross-correlated with the render over its whole length, at
lags of up to +-10 ms around the scheduled frame; the best lag must be 0.
"""
import json
import subprocess
import sys
import wave

import numpy as np


def decode(path):
    raw = subprocess.run(["sox", path, "-t", "raw", "-e", "float", "-b", "32", "-c", "1", "-r", "48000", "-"],
                         check=True, stdout=subprocess.PIPE).stdout
    return np.frombuffer(raw, dtype="<f4").astype(np.float64)


def left(path):
    w = wave.open(path)
    return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)[:, 0].astype(np.float64) / 32768


def main():
    timeline = json.load(open(sys.argv[1]))
    renders = {"voice": left(sys.argv[2]), "tone": left(sys.argv[3])}
    cache = {}
    search = 480
    worst = 0
    off = 0
    for e in timeline["events"]:
        src = cache.get(e["source"])
        if src is None:
            src = cache[e["source"]] = decode(e["source"])[: e["frames"]]
        r = renders[e["kind"]]
        f = e["frame"]
        n = len(src)
        best, best_lag = -1.0, None
        for lag in range(-search, search + 1):
            if f + lag < 0 or f + lag + n > len(r):
                continue
            seg = r[f + lag: f + lag + n]
            score = float(np.dot(seg, src)) / (np.linalg.norm(seg) * np.linalg.norm(src) + 1e-12)
            if score > best:
                best, best_lag = score, lag
        worst = max(worst, abs(best_lag))
        if best_lag != 0:
            off += 1
            print(f"  {e['cue']} at {f}: best match at {best_lag:+d} frames")
    print(f"onsets: {len(timeline['events'])} events, {off} off, worst offset {worst} frames")
    sys.exit(0 if worst == 0 else 1)


if __name__ == "__main__":
    main()
