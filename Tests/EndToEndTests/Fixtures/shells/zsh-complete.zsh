# zsh -f zsh-complete.zsh COMPLETIONS_DIR LINE
# Prints, one per line, every candidate zsh's own completion system offers when Tab is pressed
# at the end of LINE, with COMPLETIONS_DIR (holding _somacue) first on fpath. zsh completes only
# inside its line editor, so a second, interactive zsh runs on a pseudo-terminal (zsh/zpty); its
# compadd is wrapped to write what it is given to a file. After the Tab the script types a
# command that prints a marker: zle finishes the completion before it reads further keys, so
# the marker's output means the list is complete (no sleeping).
zmodload zsh/zpty || { print -u2 "zsh/zpty is missing"; exit 2 }
local dir=$1 line=$2 out
out=$(mktemp) || exit 2
zpty shell zsh -f -i
zpty -w shell "PROMPT='' RPROMPT=''; fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w shell "compadd() { local -a c; builtin compadd -O c \"\$@\"; (( \${#c} )) && print -rl -- \$c >>${(q)out}; builtin compadd \"\$@\" }"
zpty -w shell "zstyle ':completion:*' menu no; zstyle ':completion:*' list-prompt ''"
# Markers are computed, so the echo of a typed command never matches them. The line must be typed
# once zle reads the terminal: typed earlier, the tty's cooked mode would take the Tab as a plain
# character and the Ctrl-U as its own line kill. zle-line-init runs when zle has the terminal.
local got
zpty -w shell "zle-line-init() { print -rn -- LINE-\$((40+1)) }; zle -N zle-line-init"
zpty -r shell got '*LINE-41*' || exit 2
zpty -w -n shell "$line"$'\t'$'\C-u'"print -r -- DONE-\$((40+2))"$'\n'
zpty -r shell got '*DONE-42*' || exit 2
zpty -d shell
sort -u $out
rm -f $out
