function __somacue_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __somacue_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __somacue_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __somacue_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __somacue_parse_tokens -S
    set -l unparsed_tokens (__somacue_tokens -pc)
    switch $unparsed_tokens[1]
    case 'somacue'
        __somacue_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'start'
            __somacue_parse_subcommand 1 'tempo=' 'fit=' 'voice=' 'lead-in=' 'replace' 'at=' 'no-spawn' 'socket=' 'version' 'h/help'
        case 'pause'
            __somacue_parse_subcommand 0 'socket=' 'version' 'h/help'
        case 'resume'
            __somacue_parse_subcommand 0 'socket=' 'version' 'h/help'
        case 'toggle'
            __somacue_parse_subcommand 0 'socket=' 'version' 'h/help'
        case 'stop'
            __somacue_parse_subcommand 0 'after-exercise' 'socket=' 'version' 'h/help'
        case 'next'
            __somacue_parse_subcommand 0 'socket=' 'version' 'h/help'
        case 'prev'
            __somacue_parse_subcommand 0 'socket=' 'version' 'h/help'
        case 'goto'
            __somacue_parse_subcommand 1 'socket=' 'version' 'h/help'
        case 'where'
            __somacue_parse_subcommand 0 'socket=' 'version' 'h/help'
        case 'tempo'
            __somacue_parse_subcommand -r 1 'socket=' 'version' 'h/help'
        case 'volume'
            __somacue_parse_subcommand -r 1 'socket=' 'version' 'h/help'
        case 'status'
            __somacue_parse_subcommand 0 'json' 'socket=' 'version' 'h/help'
        case 'follow'
            __somacue_parse_subcommand 0 'json' 'socket=' 'version' 'h/help'
        case 'ping'
            __somacue_parse_subcommand 0 'socket=' 'version' 'h/help'
        case 'reload'
            __somacue_parse_subcommand 0 'socket=' 'version' 'h/help'
        case 'play'
            __somacue_parse_subcommand 1 'tempo=' 'fit=' 'voice=' 'lead-in=' 'device=' 'force' 'config=' 'version' 'h/help'
        case 'render'
            __somacue_parse_subcommand 1 'o/output=' 'float' 'tempo=' 'fit=' 'voice=' 'lead-in=' 'config=' 'version' 'h/help'
        case 'timeline'
            __somacue_parse_subcommand 1 'tempo=' 'fit=' 'voice=' 'lead-in=' 'json' 'config=' 'version' 'h/help'
        case 'sessions'
            __somacue_parse_subcommand 0 'json' 'config=' 'version' 'h/help'
        case 'exercises'
            __somacue_parse_subcommand 0 'json' 'config=' 'version' 'h/help'
        case 'devices'
            __somacue_parse_subcommand 0 'json' 'version' 'h/help'
        case 'validate'
            __somacue_parse_subcommand -r 1 'kind=' 'version' 'h/help'
        case 'cues'
            __somacue_parse_subcommand -r 1 'voice=' 'missing' 'json' 'config=' 'version' 'h/help'
        case 'voices'
            __somacue_parse_subcommand 0 'json' 'config=' 'version' 'h/help'
        case 'voice'
            __somacue_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'init'
                __somacue_parse_subcommand 1 'from=+' 'config=' 'version' 'h/help'
            case 'check'
                __somacue_parse_subcommand 1 'write' 'json' 'version' 'h/help'
            case 'generate'
                __somacue_parse_subcommand -r 1 'engine=' 'out=' 'name=' 'title=' 'quality=' 'only-missing' 'force' 'tones' 'config=' 'help-generator' 'version' 'h/help'
            end
        case 'history'
            __somacue_parse_subcommand 0 'json' 'since=' 'version' 'h/help'
        case 'service'
            __somacue_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'install'
                __somacue_parse_subcommand 0 'prefix=' 'enable' 'force' 'version' 'h/help'
            case 'uninstall'
                __somacue_parse_subcommand 0 'prefix=' 'version' 'h/help'
            end
        case 'help'
            __somacue_parse_subcommand -r 1 'version'
        end
    end
end

function __somacue_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __somacue_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __somacue_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __somacue_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__somacue_tokens -p)
    if test -z "$(__somacue_tokens -t)"
        set -l index (count (__somacue_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'somacue' -f
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'start' -d 'Start a session in somacued (starting somacued when none is running).'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'pause' -d 'Pause the session (fades out).'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'resume' -d 'Resume a paused session.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'toggle' -d 'Pause when playing, resume when paused.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'stop' -d 'End the session.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'next' -d 'Skip ahead to the next step of the session.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'prev' -d 'Go back to the previous step of the session.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'goto' -d 'Jump to an exercise of the session: its number or its id.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'where' -d 'Say where you are: exercise, side, repetition and time left.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'tempo' -d 'Set the pace (0.25 to 2.0), or change it by a step: +0.1, -0.1.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'volume' -d 'Show the volumes, or set one: master (the default), voice or tone, 0 to 1.5.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'status' -d 'Show what is playing: session progress, exercise, phase, rep and side.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'follow' -d 'Print events (state, exercise, phase, cue, ...) as they happen, until interrupted.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'ping' -d 'Check that somacued answers.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'reload' -d 'Reread the config, sessions and voices (the session that is playing is kept).'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'play' -d 'Play a session in the foreground (Ctrl-C fades out and stops).'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'render' -d 'Render a session to an audio file (.wav, .flac, .ogg, .opus).'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'timeline' -d 'Show when every cue of a session plays.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'sessions' -d 'List the available sessions.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'exercises' -d 'List the available exercises.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'devices' -d 'List the audio output devices PortAudio sees.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'validate' -d 'Check session, exercise, voice manifest or config files.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'cues' -d 'List the cues sessions need, with their text and whether the voice has audio for them.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'voices' -d 'List the voice packs: the shipped ones, then yours (~/.config/somacue/voices/).'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'voice' -d 'Make, check and generate voice packs.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'history' -d 'List the sessions you practised, with the total time this week.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'service' -d 'Install somacue and its systemd user units, or remove them.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue start" -eq 1' -fka '(__somacue_custom_completion ---completion start -- positional@0 (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue start" tempo' -l 'tempo' -d 'Pace multiplier for every step, 0.25 to 2.0 (default: the session\'s own tempo, else the config\'s).' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue start" fit' -l 'fit' -d 'Target length (600, 10m, 1h5m): the daemon chooses the tempo that makes the session last this long.' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue start" voice' -l 'voice' -d 'Voice pack name.' -rfka '(__somacue_custom_completion ---completion start -- --voice (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue start" lead-in' -l 'lead-in' -d 'Seconds of silence after the opening (0 to 600).' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue start" replace' -l 'replace' -d 'Replace the session that is playing or paused.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue start" at' -l 'at' -d 'Begin at this exercise: its number in the session, or its id.' -rfka '(__somacue_custom_completion ---completion start -- --at (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue start" no-spawn' -l 'no-spawn' -d 'Never start somacued; fail when none answers (also SOMACUE_NO_SPAWN=1).'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue start" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue start" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue start" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue pause" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue pause" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue pause" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue resume" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue resume" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue resume" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue toggle" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue toggle" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue toggle" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue stop" after-exercise' -l 'after-exercise' -d 'End gracefully once the current exercise is done.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue stop" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue stop" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue stop" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue next" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue next" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue next" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue prev" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue prev" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue prev" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue goto" -eq 1' -fka '(__somacue_custom_completion ---completion goto -- positional@0 (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue goto" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue goto" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue goto" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue where" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue where" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue where" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue tempo" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue tempo" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue tempo" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue volume" -ge 1' -fka 'master voice tone'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue volume" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue volume" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue volume" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue status" json' -l 'json' -d 'Print the status object as JSON.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue status" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue status" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue follow" json' -l 'json' -d 'Print events as JSON lines.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue follow" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue follow" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue follow" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue ping" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue ping" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue ping" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue reload" socket' -l 'socket' -d 'Control socket (default: $SOMACUE_SOCKET, else $XDG_RUNTIME_DIR/somacue/socket).' -rF
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue reload" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue reload" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue play" -eq 1' -fka '(__somacue_custom_completion ---completion play -- positional@0 (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue play" tempo' -l 'tempo' -d 'Pace multiplier for every step: 1.0 default, 0.5 twice as slow, 2.0 twice as fast (0.25 to 2.0). Default: the steps\' and the session\'s own tempo, else the config\'s.' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue play" fit' -l 'fit' -d 'Target length (600, 10m, 1h5m): choose the tempo that makes the session last this long.' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue play" voice' -l 'voice' -d 'Voice pack name (default: from config, else "default").' -rfka '(__somacue_custom_completion ---completion play -- --voice (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue play" lead-in' -l 'lead-in' -d 'Seconds of silence after the opening, to get down onto the floor (0 to 600).' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue play" device' -l 'device' -d 'Output device: "default", an exact name or a unique part of one.' -rfka '(__somacue_custom_completion ---completion play -- --device (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue play" force' -l 'force' -d 'Play even while somacued plays a session on the same device.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue play" config' -l 'config' -d 'Configuration file (default: ~/.config/somacue/config.toml).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'toml\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue play" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue play" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue render" -eq 1' -fka '(__somacue_custom_completion ---completion render -- positional@0 (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue render" o output' -l 'output' -s 'o' -d 'Output file; the format comes from the extension.' -rfa '(set -l exts \'wav\' \'flac\' \'ogg\' \'opus\';for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.{$exts};printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue render" float' -l 'float' -d 'Write a 32-bit float WAV instead of 16-bit.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue render" tempo' -l 'tempo' -d 'Pace multiplier for every step: 1.0 default, 0.5 twice as slow, 2.0 twice as fast (0.25 to 2.0). Default: the steps\' and the session\'s own tempo, else the config\'s.' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue render" fit' -l 'fit' -d 'Target length (600, 10m, 1h5m): choose the tempo that makes the session last this long.' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue render" voice' -l 'voice' -d 'Voice pack name (default: from config, else "default").' -rfka '(__somacue_custom_completion ---completion render -- --voice (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue render" lead-in' -l 'lead-in' -d 'Seconds of silence after the opening, to get down onto the floor (0 to 600).' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue render" config' -l 'config' -d 'Configuration file (default: ~/.config/somacue/config.toml).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'toml\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue render" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue render" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue timeline" -eq 1' -fka '(__somacue_custom_completion ---completion timeline -- positional@0 (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue timeline" tempo' -l 'tempo' -d 'Pace multiplier for every step: 1.0 default, 0.5 twice as slow, 2.0 twice as fast (0.25 to 2.0). Default: the steps\' and the session\'s own tempo, else the config\'s.' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue timeline" fit' -l 'fit' -d 'Target length (600, 10m, 1h5m): choose the tempo that makes the session last this long.' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue timeline" voice' -l 'voice' -d 'Voice pack name (default: from config, else "default").' -rfka '(__somacue_custom_completion ---completion timeline -- --voice (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue timeline" lead-in' -l 'lead-in' -d 'Seconds of silence after the opening, to get down onto the floor (0 to 600).' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue timeline" json' -l 'json' -d 'Print JSON.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue timeline" config' -l 'config' -d 'Configuration file (default: ~/.config/somacue/config.toml).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'toml\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue timeline" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue timeline" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue sessions" json' -l 'json' -d 'Print JSON.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue sessions" config' -l 'config' -d 'Configuration file (default: ~/.config/somacue/config.toml).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'toml\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue sessions" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue sessions" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue exercises" json' -l 'json' -d 'Print JSON.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue exercises" config' -l 'config' -d 'Configuration file (default: ~/.config/somacue/config.toml).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'toml\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue exercises" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue exercises" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue devices" json' -l 'json' -d 'Print JSON.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue devices" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue devices" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue validate" kind' -l 'kind' -d 'File kind (default: from the file\'s top-level table).' -rfka 'session exercise manifest config'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue validate" -ge 1' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'toml\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue validate" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue validate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue cues" -ge 1' -fka '(__somacue_custom_completion ---completion cues -- positional@0 (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue cues" voice' -l 'voice' -d 'Voice pack to check against.' -rfka '(__somacue_custom_completion ---completion cues -- --voice (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue cues" missing' -l 'missing' -d 'Only the cues the voice lacks.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue cues" json' -l 'json' -d 'Print JSON.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue cues" config' -l 'config' -d 'Configuration file (default: ~/.config/somacue/config.toml).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'toml\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue cues" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue cues" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voices" json' -l 'json' -d 'Print JSON.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voices" config' -l 'config' -d 'Configuration file (default: ~/.config/somacue/config.toml).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'toml\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voices" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voices" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue voice" -eq 1' -fa 'init' -d 'Start a voice pack to record yourself: a manifest and a script to read from.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue voice" -eq 1' -fa 'check' -d 'Check a voice pack: every cue\'s file, length, peak and loudness.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue voice" -eq 1' -fa 'generate' -d 'Make or extend a voice pack with a speech engine (runs the shipped cues/generate.py).'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue voice init" -eq 1' -fa '(__somacue_complete_directories)'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice init"' -l 'from' -d 'Only the cues of these sessions (ids or files); default: every session.' -rfka '(__somacue_custom_completion ---completion voice init -- --from (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice init" config' -l 'config' -d 'Configuration file (default: ~/.config/somacue/config.toml).' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'toml\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice init" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice init" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue voice check" -eq 1' -fa '(__somacue_complete_directories)'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice check" write' -l 'write' -d 'Store the measured loudness in the manifest (lufs).'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice check" json' -l 'json' -d 'Print JSON.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice check" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice check" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice generate" engine' -l 'engine' -d 'Speech engine (default: piper).' -rfka 'piper espeak flite'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice generate" out' -l 'out' -d 'The voice pack\'s folder (created if needed).' -rfa '(__somacue_complete_directories)'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice generate" name' -l 'name' -d 'voice.name of a new pack (default: the folder name).' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice generate" title' -l 'title' -d 'voice.title of a new pack.' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice generate" quality' -l 'quality' -d 'Ogg Vorbis quality for voices (sox -C).' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice generate" only-missing' -l 'only-missing' -d 'Only the cues the pack (with its base and the default voice) lacks.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice generate" force' -l 'force' -d 'Remake stale files and files this generator did not make, and remove files of cues no session needs.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice generate" tones' -l 'tones' -d 'Also make the tones (the default pack has them).'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice generate" config' -l 'config' -d 'Configuration file.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'toml\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice generate" help-generator' -l 'help-generator' -d 'Show every option of the generator.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue voice generate" -ge 1' -fka '(__somacue_custom_completion ---completion voice generate -- positional@0 (count (__somacue_tokens -pc)) (string length -- (commandline -ct)))'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice generate" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue voice generate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue history" json' -l 'json' -d 'Print the entries as a JSON array.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue history" since' -l 'since' -d 'Only sessions started on or after DATE (YYYY-MM-DD, local time; or YYYY-MM-DDTHH:MM:SSZ).' -rfka ''
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue history" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue history" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue service" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue service" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue service" -eq 1' -fa 'install' -d 'Install the binaries, shipped data, systemd user units, completions and man pages.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_positional "somacue service" -eq 1' -fa 'uninstall' -d 'Remove exactly what `service install` put in place (never your config, sessions, voices or history).'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue service install" prefix' -l 'prefix' -d 'Install prefix (default ~/.local): binaries in PREFIX/bin, data in PREFIX/share/somacue.' -rfa '(__somacue_complete_directories)'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue service install" enable' -l 'enable' -d 'Also run `systemctl --user daemon-reload` and `enable --now somacued.socket`.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue service install" force' -l 'force' -d 'Replace files at the destinations that somacue did not install.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue service install" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue service install" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue service uninstall" prefix' -l 'prefix' -d 'Install prefix (default ~/.local): binaries in PREFIX/bin, data in PREFIX/share/somacue.' -rfa '(__somacue_complete_directories)'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue service uninstall" version' -l 'version' -d 'Show the version.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue service uninstall" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'somacue' -n '__somacue_should_offer_completions_for_flags_or_options "somacue help" version' -l 'version' -d 'Show the version.'
