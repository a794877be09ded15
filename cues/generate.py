#!/usr/bin/env python3
"""Generate somacue's default voice pack and tones.

Asks `somacued cues --json` which cues the shipped sessions need (id, kind, text), speaks every
voice cue with espeak-ng, synthesises the tones with sox, and writes cues/manifest.toml.

Every file is 48 kHz mono Ogg Vorbis written with `sox -R`, so a run reproduces the committed
files byte for byte. Unchanged cues are skipped unless --force is given; files no longer in the
manifest are removed.

Usage: python3 cues/generate.py [--somacued PATH] [--out DIR] [--espeak-voice en-us+f3]
                                [--speed 135] [--force]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Tones: (id, list of sox synth pieces). Each piece is "seconds:effects" rendered separately
# and concatenated; "gap" pieces are silence. Soft sines with slow fades: nothing startling
# for someone lying with eyes closed.
TONES = {
    "tone-start": ["0.30 sine 523.25 fade h 0.02 0.30 0.12", "0.55 sine 659.25 fade h 0.02 0.55 0.35"],
    "tone-contract": ["0.32 sine 659.25 fade h 0.03 0.32 0.18"],
    "tone-release": ["0.75 sine 392.00 fade h 0.06 0.75 0.50"],
    "tone-switch": ["0.12 sine 880 fade h 0.01 0.12 0.05", "gap 0.08", "0.12 sine 880 fade h 0.01 0.12 0.05"],
    "chime-end": ["0.45 sine 783.99 fade h 0.01 0.45 0.30", "0.45 sine 659.25 fade h 0.01 0.45 0.30",
                  "1.40 sine 523.25 fade h 0.01 1.40 1.20"],
    "tone-pause": ["0.22 sine 660-440 fade h 0.01 0.22 0.08"],
    "tone-resume": ["0.22 sine 440-660 fade h 0.01 0.22 0.08"],
    "tone-stop": ["0.50 sine 329.63 fade h 0.02 0.50 0.35"],
}
TONE_VOLUME = "0.45"


def run(cmd, env=None):
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"generate.py: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout


def find_somacued(explicit):
    if explicit:
        return explicit
    for build in (".build/release", ".build/debug"):
        p = os.path.join(ROOT, build, "somacued")
        if os.access(p, os.X_OK):
            return p
    print("generate.py: building somacued ...", file=sys.stderr)
    run(["swift", "build", "--package-path", ROOT, "--product", "somacued"])
    return os.path.join(ROOT, ".build/debug/somacued")


def toml_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--somacued")
    ap.add_argument("--out", default=HERE, help="voice pack folder (default: cues/)")
    ap.add_argument("--espeak-voice", default="en-us+f3")
    ap.add_argument("--speed", default="135", help="espeak-ng words per minute")
    ap.add_argument("--quality", default="-1", help="Ogg Vorbis quality for voices (sox -C)")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--only-missing", action="store_true",
                    help="only cues the default voice lacks (a pack for your own sessions, layered over the default)")
    ap.add_argument("sessions", nargs="*", help="session ids or files (default: all)")
    args = ap.parse_args()

    somacued = find_somacued(args.somacued)
    env = dict(os.environ, SOMACUE_DATA_DIR=ROOT)
    if not args.only_missing:
        # The shipped pack covers the shipped library only, never the user's own sessions.
        env["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="somacue-gen-cfg-")
    needed = json.loads(run([somacued, "cues", "--json", "--voice", "default", "--config", "/dev/null"] + args.sessions, env=env))
    if args.only_missing:
        needed = [c for c in needed if not c.get("present") or c.get("stale")]

    out = os.path.abspath(args.out)
    manifest_path = os.path.join(out, "manifest.toml")
    old = {}
    if os.path.exists(manifest_path):
        with open(manifest_path, "rb") as f:
            for c in tomllib.load(f).get("cue", []):
                old[c["id"]] = c
    generator = f"espeak-ng -v {args.espeak_voice} -s {args.speed}; sox -R -C {args.quality}"

    # Keep espeak-ng (libpulse) from writing under the real HOME or talking to a sound server.
    scratch = tempfile.mkdtemp(prefix="somacue-gen-")
    genv = dict(os.environ, HOME=scratch, TMPDIR=scratch, XDG_RUNTIME_DIR=scratch)
    os.makedirs(os.path.join(out, "voice"), exist_ok=True)  # creates out as well
    os.makedirs(os.path.join(out, "tones"), exist_ok=True)

    entries = []
    made = 0
    for cue in needed:
        cid, kind = cue["id"], cue["kind"]
        if kind == "voice":
            rel = f"voice/{cid}.ogg"
            text = cue["text"]
            prev = old.get(cid)
            fresh = (prev and prev.get("text") == text and prev.get("file") == rel
                     and os.path.exists(os.path.join(out, rel)))
            if args.force or not fresh:
                wav = os.path.join(scratch, "speech.wav")
                run(["espeak-ng", "-v", args.espeak_voice, "-s", args.speed, "-w", wav, text], env=genv)
                run(["sox", "-R", wav, "-r", "48000", "-c", "1", "-C", args.quality, os.path.join(out, rel)], env=genv)
                made += 1
            entries.append((cid, rel, "voice", text))
        else:
            if cid not in TONES:
                sys.exit(f"generate.py: no tone recipe for {cid}")
            rel = f"tones/{cid}.ogg"
            if args.force or not os.path.exists(os.path.join(out, rel)):
                parts = []
                for i, piece in enumerate(TONES[cid]):
                    p = os.path.join(scratch, f"{cid}-{i}.wav")
                    words = piece.split()
                    if words[0] == "gap":
                        run(["sox", "-R", "-n", "-r", "48000", "-c", "1", "-b", "16", p, "trim", "0", words[1]])
                    else:
                        run(["sox", "-R", "-n", "-r", "48000", "-c", "1", "-b", "16", p, "synth"] + words + ["vol", TONE_VOLUME])
                    parts.append(p)
                run(["sox", "-R"] + parts + ["-C", "3", os.path.join(out, rel)])
                made += 1
            entries.append((cid, rel, "tone", None))

    keep = {rel for _, rel, _, _ in entries}
    removed = 0
    for sub in ("voice", "tones"):
        for name in sorted(os.listdir(os.path.join(out, sub))):
            if f"{sub}/{name}" not in keep:
                os.remove(os.path.join(out, sub, name))
                removed += 1

    lines = [
        "# somacue voice pack: one audio file per cue. Generated by cues/generate.py from the",
        "# texts in exercises/, sessions/ and the engine's built-in cues; edit those, not this.",
        "[voice]",
        'name = "default"',
        f"generator = {toml_string(generator)}",
        "",
    ]
    for cid, rel, kind, text in sorted(entries):
        lines.append("[[cue]]")
        lines.append(f"id = {toml_string(cid)}")
        lines.append(f"file = {toml_string(rel)}")
        lines.append(f'kind = "{kind}"')
        if text is not None:
            lines.append(f"text = {toml_string(text)}")
        lines.append("")
    os.makedirs(out, exist_ok=True)
    with open(manifest_path, "w") as f:
        f.write("\n".join(lines))
    shutil.rmtree(scratch, ignore_errors=True)
    size = sum(os.path.getsize(os.path.join(out, rel)) for rel in keep)
    print(f"generate.py: {len(entries)} cues ({made} generated, {removed} removed), {size / 1e6:.2f} MB in {out}")


if __name__ == "__main__":
    main()
