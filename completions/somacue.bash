#!/bin/bash

__somacue_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__somacue_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__somacue_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__somacue_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_somacue() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __somacue_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    start|pause|resume|toggle|stop|next|prev|goto|where|tempo|volume|status|follow|ping|reload|play|render|timeline|sessions|exercises|devices|validate|cues|voices|voice|history|service|help)
        # Offer subcommand argument completions
        "_somacue_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'start pause resume toggle stop next prev goto where tempo volume status follow ping reload play render timeline sessions exercises devices validate cues voices voice history service help' -- "${cur}"))
        ;;
    esac
}

_somacue_start() {
    repeating_flags=()
    non_repeating_flags=(--replace --no-spawn --version -h --help)
    repeating_options=()
    non_repeating_options=(--tempo --fit --voice --lead-in --at --socket)
    __somacue_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--tempo')
        return
        ;;
    '--fit')
        return
        ;;
    '--voice')
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion start -- --voice "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    '--lead-in')
        return
        ;;
    '--at')
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion start -- --at "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion start -- positional@0 "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_somacue_pause() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac
}

_somacue_resume() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac
}

_somacue_toggle() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac
}

_somacue_stop() {
    repeating_flags=()
    non_repeating_flags=(--after-exercise --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac
}

_somacue_next() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac
}

_somacue_prev() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac
}

_somacue_goto() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __somacue_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion goto -- positional@0 "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_somacue_where() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac
}

_somacue_tempo() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __somacue_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac
}

_somacue_volume() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __somacue_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __somacue_add_completions -W 'master'$'\n''voice'$'\n''tone'
        return
        ;;
    esac
}

_somacue_status() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac
}

_somacue_follow() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac
}

_somacue_ping() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac
}

_somacue_reload() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--socket)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--socket')
        __somacue_add_completions -f
        return
        ;;
    esac
}

_somacue_play() {
    repeating_flags=()
    non_repeating_flags=(--force --version -h --help)
    repeating_options=()
    non_repeating_options=(--tempo --fit --voice --lead-in --device --config)
    __somacue_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--tempo')
        return
        ;;
    '--fit')
        return
        ;;
    '--voice')
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion play -- --voice "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    '--lead-in')
        return
        ;;
    '--device')
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion play -- --device "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    '--config')
        __somacue_add_completions -o plusdirs -fX '!*.@(toml)'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion play -- positional@0 "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_somacue_render() {
    repeating_flags=()
    non_repeating_flags=(--float --version -h --help)
    repeating_options=()
    non_repeating_options=(--output -o --tempo --fit --voice --lead-in --config)
    __somacue_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--output'|'-o')
        __somacue_add_completions -o plusdirs -fX '!*.@(wav|flac|ogg|opus)'
        return
        ;;
    '--tempo')
        return
        ;;
    '--fit')
        return
        ;;
    '--voice')
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion render -- --voice "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    '--lead-in')
        return
        ;;
    '--config')
        __somacue_add_completions -o plusdirs -fX '!*.@(toml)'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion render -- positional@0 "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_somacue_timeline() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--tempo --fit --voice --lead-in --config)
    __somacue_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--tempo')
        return
        ;;
    '--fit')
        return
        ;;
    '--voice')
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion timeline -- --voice "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    '--lead-in')
        return
        ;;
    '--config')
        __somacue_add_completions -o plusdirs -fX '!*.@(toml)'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion timeline -- positional@0 "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_somacue_sessions() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--config)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--config')
        __somacue_add_completions -o plusdirs -fX '!*.@(toml)'
        return
        ;;
    esac
}

_somacue_exercises() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--config)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--config')
        __somacue_add_completions -o plusdirs -fX '!*.@(toml)'
        return
        ;;
    esac
}

_somacue_devices() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=()
    __somacue_offer_flags_options 0
}

_somacue_validate() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--kind)
    __somacue_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--kind')
        __somacue_add_completions -W 'session'$'\n''exercise'$'\n''manifest'$'\n''config'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __somacue_add_completions -o plusdirs -fX '!*.@(toml)'
        return
        ;;
    esac
}

_somacue_cues() {
    repeating_flags=()
    non_repeating_flags=(--missing --json --version -h --help)
    repeating_options=()
    non_repeating_options=(--voice --config)
    __somacue_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--voice')
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion cues -- --voice "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    '--config')
        __somacue_add_completions -o plusdirs -fX '!*.@(toml)'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion cues -- positional@0 "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_somacue_voices() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--config)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--config')
        __somacue_add_completions -o plusdirs -fX '!*.@(toml)'
        return
        ;;
    esac
}

_somacue_voice() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __somacue_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    init|check|generate)
        # Offer subcommand argument completions
        "_somacue_voice_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'init check generate' -- "${cur}"))
        ;;
    esac
}

_somacue_voice_init() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=(--from)
    non_repeating_options=(--config)
    __somacue_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--from')
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion voice init -- --from "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    '--config')
        __somacue_add_completions -o plusdirs -fX '!*.@(toml)'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    1)
        __somacue_add_completions -d
        return
        ;;
    esac
}

_somacue_voice_check() {
    repeating_flags=()
    non_repeating_flags=(--write --json --version -h --help)
    repeating_options=()
    non_repeating_options=()
    __somacue_offer_flags_options 1

    # Offer positional completions
    case "${positional_number}" in
    1)
        __somacue_add_completions -d
        return
        ;;
    esac
}

_somacue_voice_generate() {
    repeating_flags=()
    non_repeating_flags=(--only-missing --force --tones --help-generator --version -h --help)
    repeating_options=()
    non_repeating_options=(--engine --out --name --title --quality --config)
    __somacue_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--engine')
        __somacue_add_completions -W 'piper'$'\n''espeak'$'\n''flite'
        return
        ;;
    '--out')
        __somacue_add_completions -d
        return
        ;;
    '--name')
        return
        ;;
    '--title')
        return
        ;;
    '--quality')
        return
        ;;
    '--config')
        __somacue_add_completions -o plusdirs -fX '!*.@(toml)'
        return
        ;;
    esac

    # Offer positional completions
    case "${positional_number}" in
    *)
        __somacue_add_completions -W "$(__somacue_custom_complete ---completion voice generate -- positional@0 "${COMP_CWORD}" "$(__somacue_cursor_index_in_current_word)")"
        return
        ;;
    esac
}

_somacue_history() {
    repeating_flags=()
    non_repeating_flags=(--json --version -h --help)
    repeating_options=()
    non_repeating_options=(--since)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--since')
        return
        ;;
    esac
}

_somacue_service() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __somacue_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    install|uninstall)
        # Offer subcommand argument completions
        "_somacue_service_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'install uninstall' -- "${cur}"))
        ;;
    esac
}

_somacue_service_install() {
    repeating_flags=()
    non_repeating_flags=(--enable --force --version -h --help)
    repeating_options=()
    non_repeating_options=(--prefix)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--prefix')
        __somacue_add_completions -d
        return
        ;;
    esac
}

_somacue_service_uninstall() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(--prefix)
    __somacue_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--prefix')
        __somacue_add_completions -d
        return
        ;;
    esac
}

_somacue_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __somacue_offer_flags_options -1
}

complete -o filenames -F _somacue somacue
