#!/usr/bin/env python3
"""Writes somacue's shell completions and man pages from the built binaries and config.toml.

  scripts/cli-docs.py [--bin DIR]            write completions/ and man/ in the checkout
  scripts/cli-docs.py [--bin DIR] --check    compare them with freshly generated ones (exit 1 on
                                             any difference, with a diff), as the tests do

DIR holds the built somacue and somacued (default: .build/debug). What comes from where:
  completions/somacue.bash, _somacue, somacue.fish
      ArgumentParser's `somacue --generate-completion-script bash|zsh|fish`; session ids, voice
      names and the like are completed at Tab time by `somacue ---completion`, which asks somacued.
      The fish script gets one change (fish_cursor_in_token below).
  man/somacue.1, man/somacued.1
      the prose below, and every verb, argument and help text from `--experimental-dump-help`.
  man/somacue-config.5
      the prose below, and every table, key, default and comment of the shipped config.toml.

Before writing anything the two parsers are compared: `somacue` declares the engine verbs
(Sources/somacue/EngineVerbs.swift) so that its help and completions know them, and each must
match somacued's own (texts, names, kinds, values) except where noted in ENGINE_EXCEPTIONS.
"""
import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION_RE = re.compile(r'^let version = "([^"]+)"', re.M)
ENGINE_VERBS_RE = re.compile(r'^let engineVerbs: \[String\] = \[([^\]]*)\]', re.M)
# somacued passes `voice generate`'s words to cues/generate.py untouched; somacue spells them out.
ENGINE_EXCEPTIONS = {"voice generate": "arguments"}
# The subcommands and flags ArgumentParser adds by itself.
AUTOMATIC = {"help"}


def run(argv, env=None):
    r = subprocess.run(argv, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"cli-docs: {' '.join(argv)} exited {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def clean_env():
    env = dict(os.environ)
    env.pop("SOMACUE_COMMAND_NAME", None)
    env.pop("COLUMNS", None)
    return env


def dump(binary):
    return json.loads(run([binary, "--experimental-dump-help"], clean_env()))["command"]


def subcommands(cmd):
    return [c for c in cmd.get("subcommands") or [] if c["commandName"] not in AUTOMATIC]


def arguments(cmd):
    return [a for a in cmd.get("arguments") or []
            if a.get("shouldDisplay", True) and (a.get("preferredName") or {}).get("name") not in ("help", "version")]


# --- parity of the two parsers ----------------------------------------------------------------

def comparable(cmd, path):
    """The parts of a command that must agree; completion kinds are somacue's own business."""
    args = []
    for a in cmd.get("arguments") or []:
        a = {k: v for k, v in a.items() if k != "completionKind"}
        args.append(a)
    out = {"abstract": cmd.get("abstract"), "discussion": cmd.get("discussion")}
    if ENGINE_EXCEPTIONS.get(path) != "arguments":
        out["arguments"] = args
    out["subcommands"] = sorted(c["commandName"] for c in subcommands(cmd))
    return out


def check_parity(light, engine):
    problems = []
    engine_verbs = [c for c in subcommands(engine) if c["commandName"] != "serve"]
    light_by_name = {c["commandName"]: c for c in subcommands(light)}
    main_swift = open(os.path.join(ROOT, "Sources/somacue/main.swift")).read()
    listed = re.findall(r'"([^"]+)"', ENGINE_VERBS_RE.search(main_swift).group(1))
    names = [c["commandName"] for c in engine_verbs]
    if sorted(listed) != sorted(names):
        problems.append(f"engineVerbs in Sources/somacue/main.swift is {sorted(listed)}, somacued has {sorted(names)}")

    def walk(e, l, path):
        a, b = comparable(e, path), comparable(l, path)
        for key in a:
            if a[key] != b[key]:
                if key == "arguments":
                    ea = {json.dumps(x, sort_keys=True) for x in a[key]}
                    la = {json.dumps(x, sort_keys=True) for x in b[key]}
                    for x in sorted(ea - la):
                        problems.append(f"somacue {path}: lacks or differs in the argument somacued has: {x}")
                    for x in sorted(la - ea):
                        problems.append(f"somacue {path}: has an argument somacued lacks or spells differently: {x}")
                else:
                    problems.append(f"somacue {path}: {key} is {b[key]!r}, somacued's is {a[key]!r}")
        lsubs = {c["commandName"]: c for c in subcommands(l)}
        for sub in subcommands(e):
            if sub["commandName"] in lsubs:
                walk(sub, lsubs[sub["commandName"]], path + " " + sub["commandName"])

    for verb in engine_verbs:
        name = verb["commandName"]
        if name not in light_by_name:
            problems.append(f"somacue does not declare the engine verb `{name}` (add it to Sources/somacue/EngineVerbs.swift)")
            continue
        walk(verb, light_by_name[name], name)
    if problems:
        sys.exit("cli-docs: somacue's declarations of the engine verbs (Sources/somacue/EngineVerbs.swift) "
                 "do not match somacued's:\n  " + "\n  ".join(problems))
    return names


# --- roff -------------------------------------------------------------------------------------

def esc(text):
    """Plain text for roff: backslashes, hyphens in options, and lines starting with . or '."""
    text = text.replace("\\", "\\e")
    text = re.sub(r"(?<![\w])-", r"\\-", text)
    lines = []
    for line in text.split("\n"):
        line = line.strip()
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def paragraphs(text):
    """Discussion text: blank lines separate paragraphs; indented lines are kept as they are."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        raw = block.split("\n")
        if any(l.startswith("  ") for l in raw[1:]) and len(raw) > 1 and all(len(l) < 100 for l in raw):
            out.append(".PP\n.nf\n" + esc_keep(block) + "\n.fi")
        else:
            out.append(".PP\n" + esc(" ".join(l.strip() for l in raw)))
    return "\n".join(out)


def esc_keep(block):
    return "\n".join(("\\&" if l.lstrip().startswith((".", "'")) else "") + l.replace("\\", "\\e").replace("-", "\\-")
                     for l in block.split("\n"))


def arg_name(a):
    names = a.get("names") or []
    longs = ["--" + n["name"] for n in names if n["kind"] == "long"]
    shorts = ["-" + n["name"] for n in names if n["kind"] == "short"]
    return shorts + longs


def synopsis_part(a):
    value = a.get("valueName") or "value"
    if a["kind"] == "positional":
        s = f"\\fI{esc(value)}\\fR"
        if a.get("isRepeating"):
            s += "\\&..."
    else:
        name = (arg_name(a) or ["--" + value])[-1]
        s = f"\\fB{esc(name)}\\fR"
        if a["kind"] == "option":
            s += f" \\fI{esc(value)}\\fR"
            if a.get("isRepeating"):
                s += "\\&..."
    return f"[{s}]" if a.get("isOptional") else s


def command_section(cmd, path):
    out = []
    subs = subcommands(cmd)
    args = arguments(cmd)
    synopsis = " ".join(synopsis_part(a) for a in args)
    out.append(f'.SS "{esc(path)}"')
    out.append(f"\\fB{esc(path)}\\fR" + (" " + synopsis if synopsis else ""))
    if subs and not args:
        out[-1] += " \\fIverb\\fR"
    if cmd.get("abstract"):
        out.append(".PP\n" + esc(cmd["abstract"]))
    if cmd.get("discussion"):
        out.append(paragraphs(cmd["discussion"]))
    for a in args:
        value = a.get("valueName") or "value"
        if a["kind"] == "positional":
            label = f"\\fI{esc(value)}\\fR"
        else:
            label = ", ".join(f"\\fB{esc(n)}\\fR" for n in arg_name(a))
            if a["kind"] == "option":
                label += f" \\fI{esc(value)}\\fR"
        text = a.get("abstract") or ""
        if a.get("discussion"):
            text += " " + a["discussion"]
        if a.get("defaultValue") and a["kind"] != "flag":
            text += f" (default: {a['defaultValue']})"
        out.append(f".TP\n{label}\n{esc(text)}")
    for sub in subs:
        out.append(command_section(sub, path + " " + sub["commandName"]))
    return "\n".join(out)


def header(name, section, version, title):
    return (f".\\\" Generated by scripts/cli-docs.py from the {name} binaries' help and config.toml; do not edit.\n"
            f'.TH {name.upper()} {section} "" "somacue {version}" "{title}"\n'
            ".nh\n")


def section(title, body):
    return f".SH {title}\n{body.strip()}\n"


def definitions(items):
    return "\n".join(f".TP\n{label}\n{esc(text)}" for label, text in items)


# --- the prose of the pages (our own words) ---------------------------------------------------

ENVIRONMENT = [
    ("\\fBSOMACUE_SOCKET\\fR", "The control socket, when --socket is not given."),
    ("\\fBXDG_RUNTIME_DIR\\fR", "Without either of the above, the socket is $XDG_RUNTIME_DIR/somacue/socket."),
    ("\\fBXDG_CONFIG_HOME\\fR", "Where config.toml, your sessions, exercises and voices live (default ~/.config), under somacue/."),
    ("\\fBXDG_STATE_HOME\\fR", "Where the practice history, the saved session and the log of a daemon started by somacue go (default ~/.local/state), under somacue/."),
    ("\\fBXDG_CACHE_HOME\\fR", "Cue header and speech caches (default ~/.cache), under somacue/."),
    ("\\fBSOMACUE_NO_SPAWN\\fR", "When set (to anything but 0, no, false or off), start and resume never launch somacued."),
    ("\\fBSOMACUE_DATA_DIR\\fR", "The folder holding the shipped sessions/, exercises/ and cues/ (default: PREFIX/share/somacue beside the binary, then XDG_DATA_DIRS)."),
    ("\\fBCOLUMNS\\fR", "The width status and play fit their lines to when the terminal does not say."),
]

FILES = [
    ("\\fI~/.config/somacue/config.toml\\fR", "Settings; see somacue-config(5)."),
    ("\\fI~/.config/somacue/sessions/\\fR, \\fI~/.config/somacue/exercises/\\fR", "Your own sessions and exercises (a file with a shipped id replaces the shipped one)."),
    ("\\fI~/.config/somacue/voices/NAME/\\fR", "Your voice packs."),
    ("\\fI~/.local/state/somacue/history.jsonl\\fR", "The sessions you practised, read by somacue history."),
    ("\\fI~/.local/state/somacue/state.json\\fR", "The position of the loaded session, so that a new daemon can bring it back."),
    ("\\fI$XDG_RUNTIME_DIR/somacue/socket\\fR", "The daemon's control socket."),
]

EXIT_STATUS = [
    ("0", "Success (also after Ctrl-C in play, and stop with nothing playing)."),
    ("1", "Validation errors, or the daemon refused the request (its code and message are printed)."),
    ("64", "Bad arguments."),
    ("65", "Bad session or cue data."),
    ("66", "No such session or file."),
    ("69", "No daemon answers, no audio device, or a daemon of another user."),
    ("73", "An output file cannot be written, or the socket directory is unsafe."),
    ("75", "A daemon is already running on that socket."),
    ("78", "Invalid configuration."),
]


def somacue_page(cmd, engine_verbs, version):
    practice = {"history", "service"}
    groups = [("CONTROLLER COMMANDS", "They talk to the running somacued over its control socket.",
               [c for c in subcommands(cmd) if c["commandName"] not in engine_verbs and c["commandName"] not in practice]),
              ("SESSION COMMANDS", "somacue hands these to the engine, somacued, with the same arguments.",
               [c for c in subcommands(cmd) if c["commandName"] in engine_verbs]),
              ("PRACTICE AND SETUP", "These need no daemon.",
               [c for c in subcommands(cmd) if c["commandName"] in practice])]
    page = header("somacue", 1, version, "User Commands")
    page += section("NAME", "somacue \\- guided somatic\\-movement sessions, steered and heard with your eyes closed")
    page += section("SYNOPSIS", "\\fBsomacue\\fR \\fIverb\\fR [\\fIoptions\\fR]\n.br\n\\fBsomacue help\\fR \\fIverb\\fR\n.br\n\\fBsomacue \\-\\-version\\fR")
    page += section("DESCRIPTION", esc(
        "somacue leads you through slow somatic-movement exercises entirely by sound: each phase is spoken as it "
        "begins, releases are given at least three times as long as the contraction, and a chime ends the session. "
        "Sessions play in the daemon, somacued, which the controller verbs steer (start, pause, next, tempo, ...), "
        "or in the foreground with play; render writes one to an audio file.")
        + "\n.PP\n" + esc(
        "Every change is audible, so you can steer without looking. A session survives a restart of the daemon "
        "and waits for an audio device that went away. When no daemon answers, start and resume launch "
        "somacued themselves (logging to ~/.local/state/somacue/somacued.log) unless --no-spawn or "
        "SOMACUE_NO_SPAWN says not to.")
        + "\n.PP\n" + esc("Shell completions for bash, zsh and fish complete every verb and flag, and ask somacued for "
                          "session ids, exercise ids and voice names."))
    for title, intro, commands in groups:
        if commands:
            page += section(title, ".PP\n" + esc(intro) + "\n" + "\n".join(command_section(c, "somacue " + c["commandName"]) for c in commands))
    page += section("ENVIRONMENT", definitions(ENVIRONMENT))
    page += section("FILES", definitions(FILES))
    page += section("EXIT STATUS", definitions(EXIT_STATUS))
    page += section("EXAMPLES", ".nf\n" + esc_keep(
        "somacue start activate-the-abdominals --tempo 0.8\n"
        "somacue pause\n"
        "somacue tempo -0.1\n"
        "somacue status\n"
        "somacue play gluteal-release --lead-in 120\n"
        "somacue render release-the-lower-back -o session.flac") + "\n.fi")
    page += section("SEE ALSO", "\\fBsomacued\\fR(1), \\fBsomacue\\-config\\fR(5), \\fBsystemctl\\fR(1)")
    return page


def somacued_page(cmd, version):
    page = header("somacued", 1, version, "User Commands")
    page += section("NAME", "somacued \\- the somacue engine and daemon: plays, renders and checks sessions")
    page += section("SYNOPSIS", "\\fBsomacued\\fR [\\fBserve\\fR] [\\fIoptions\\fR]\n.br\n\\fBsomacued\\fR \\fIverb\\fR [\\fIoptions\\fR]")
    page += section("DESCRIPTION", esc(
        "somacued holds the audio libraries. Without a verb, or with serve, it runs as the daemon: it listens on a "
        "Unix socket for newline-delimited JSON requests (the protocol that somacue's controller verbs speak, "
        "documented in docs/PROTOCOL.md), opens the audio device only while a session is loaded, and uses no CPU "
        "while idle. Under systemd it is socket-activated, reports readiness and its state, and is watched by the "
        "watchdog. SIGTERM and SIGINT fade out and exit; SIGHUP rereads the configuration.")
        + "\n.PP\n" + esc("The other verbs are the session commands that somacue hands over; run through somacue, "
                          "their usage lines name somacue."))
    page += section("COMMANDS", "\n".join(command_section(c, "somacued " + c["commandName"]) for c in subcommands(cmd)))
    page += section("ENVIRONMENT", definitions([e for e in ENVIRONMENT if "SPAWN" not in e[0] and "COLUMNS" not in e[0]]))
    page += section("FILES", definitions(FILES))
    page += section("EXIT STATUS", definitions(EXIT_STATUS))
    page += section("SEE ALSO", "\\fBsomacue\\fR(1), \\fBsomacue\\-config\\fR(5), \\fBsystemd.socket\\fR(5)")
    return page


def config_page(config_text, version):
    """somacue-config(5): each table of the shipped config.toml, each key with its comment."""
    page = header("somacue-config", 5, version, "File Formats")
    page += section("NAME", "somacue\\-config \\- the settings of somacue and somacued")
    page += section("SYNOPSIS", "\\fI~/.config/somacue/config.toml\\fR\n.br\n\\fI$XDG_CONFIG_HOME/somacue/config.toml\\fR")
    page += section("DESCRIPTION", esc(
        "A TOML file. Every key is optional; the values below are the defaults, as in the config.toml shipped with "
        "somacue. An unknown key, a value of the wrong type or out of its range is refused with a "
        "file:line:col diagnostic, and the programs exit with status 78. `somacue validate FILE` checks a file. "
        "--config PATH chooses another file (/dev/null: all defaults). The daemon rereads the file on reload or "
        "SIGHUP; a session that is playing keeps its settings."))
    body = []
    comments = []
    in_tail = False
    tail = []
    for line in config_text.split("\n"):
        stripped = line.strip()
        table = re.match(r"^\[([a-z_]+)\]$", stripped)
        key = re.match(r"^([a-z_]+) = (.+)$", stripped)
        if table:
            body.append(f'.SS "[{table.group(1)}]"')
            if comments:
                body.append(".PP\n" + esc(" ".join(comments)))
            comments = []
            in_tail = False
        elif key and not in_tail:
            body.append(f".TP\n\\fB{esc(key.group(1))}\\fR = {esc(key.group(2))}\n" + esc(" ".join(comments)))
            comments = []
        elif stripped.startswith("#"):
            text = stripped.lstrip("#").strip()
            if text.startswith("[") and text.endswith("]") and not body[-1].startswith(".SS"):
                # A table shipped commented out: its explanation came before it.
                body.append(f'.SS "{esc(text)}"')
                body.append(".PP\n" + esc(" ".join(comments)))
                comments = []
                in_tail = True
            elif in_tail:
                tail.append(text)
            else:
                comments.append(text)
        elif not stripped:
            if not body:
                comments = []  # the file's own heading
    if tail:
        body.append(".PP\nFor example:\n.PP\n.nf\n" + esc_keep("\n".join(tail)) + "\n.fi")
    page += section("SETTINGS", "\n".join(body))
    page += section("FILES", definitions([
        ("\\fI~/.config/somacue/config.toml\\fR", "The user's settings."),
        ("\\fIPREFIX/share/somacue/config.toml\\fR", "The shipped file, with every key at its default."),
    ]))
    page += section("SEE ALSO", "\\fBsomacue\\fR(1), \\fBsomacued\\fR(1)")
    return page


# --- fish -------------------------------------------------------------------------------------

# ArgumentParser's fish script passes the cursor's offset in the current word as
# `(__somacue_tokens -tC)`, i.e. `commandline -o -tC`. Debian 12's fish 3.6 refuses `commandline -C`
# wherever no interactive reader owns the line ("Can not set commandline in non-interactive mode":
# `complete -C`, scripts, tests), and the custom completions then get no offset and fail. The
# offset is the length of the word's part before the cursor, `commandline -ct`, which every fish
# answers in every mode.
FISH_CURSOR = "(__somacue_tokens -tC)"
FISH_CURSOR_PORTABLE = "(string length -- (commandline -ct))"


def fish_cursor_in_token(script):
    if FISH_CURSOR not in script:
        sys.exit("cli-docs: the fish script no longer asks `__somacue_tokens -tC` for the cursor; "
                 "check fish_cursor_in_token against ArgumentParser's new script")
    return script.replace(FISH_CURSOR, FISH_CURSOR_PORTABLE)


# --- main -------------------------------------------------------------------------------------

def generate(bin_dir):
    somacue = os.path.join(bin_dir, "somacue")
    somacued = os.path.join(bin_dir, "somacued")
    main_swift = open(os.path.join(ROOT, "Sources/somacue/main.swift")).read()
    version = VERSION_RE.search(main_swift).group(1)
    light, engine = dump(somacue), dump(somacued)
    engine_verbs = check_parity(light, engine)
    files = {}
    for shell, name in (("bash", "somacue.bash"), ("zsh", "_somacue"), ("fish", "somacue.fish")):
        files["completions/" + name] = run([somacue, "--generate-completion-script", shell], clean_env())
    files["completions/somacue.fish"] = fish_cursor_in_token(files["completions/somacue.fish"])
    files["man/somacue.1"] = somacue_page(light, engine_verbs, version)
    files["man/somacued.1"] = somacued_page(engine, version)
    files["man/somacue-config.5"] = config_page(open(os.path.join(ROOT, "config.toml")).read(), version)
    return files


def main():
    p = argparse.ArgumentParser(description="Write or check somacue's completions and man pages.")
    p.add_argument("--bin", default=os.path.join(ROOT, ".build/debug"), help="folder with the built somacue and somacued")
    p.add_argument("--check", action="store_true", help="compare with the committed files instead of writing them")
    a = p.parse_args()
    files = generate(a.bin)
    stale = []
    for rel, text in files.items():
        path = os.path.join(ROOT, rel)
        old = open(path).read() if os.path.exists(path) else None
        if old == text:
            continue
        if a.check:
            stale.append(rel)
            sys.stdout.writelines(difflib.unified_diff((old or "").splitlines(True), text.splitlines(True),
                                                       "a/" + rel, "b/" + rel, n=1))
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            print(f"cli-docs: wrote {rel}")
    if stale:
        sys.exit(f"cli-docs: {', '.join(stale)} out of date; run scripts/cli-docs.py (after swift build) and commit the result")


if __name__ == "__main__":
    main()
