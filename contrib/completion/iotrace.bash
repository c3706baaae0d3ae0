# bash completion for iotrace: its commands, each command's options and their values, trace files.
#
# The commands and options are read from the iotrace being completed (`iotrace --help`,
# `iotrace COMMAND --help`, `iotrace calls --json`), so this file never lists them again and
# cannot fall behind the viewer it completes for.

# The command words of `iotrace --help`: its lines "  iotrace NAME ...".
_iotrace_commands() {
  "$1" --help 2>/dev/null | awk '$1 == "iotrace" && $2 ~ /^[a-z]/ { print $2 }'
  echo help
}

# The options a command's --help mentions, long and short: "--json", "-o", "--no-color".
_iotrace_options() {
  "$1" "$2" --help 2>/dev/null | grep -oE '(^|[][ ,|(])--?[A-Za-z][A-Za-z-]*' |
    sed 's/^[^-]*//' | sort -u
  echo --help
}

# The call names of the viewer's call table (as --call takes them), when it can print it.
_iotrace_call_names() {
  "$1" calls --json 2>/dev/null | grep -oE '"name": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/'
}

_iotrace() {
  local cur prev words cword split
  _init_completion -s || return

  # The command is the first word after iotrace that is not an option.
  local i cmd="" cmd_at=0
  for ((i = 1; i < cword; i++)); do
    if [[ ${words[i]} != -* ]]; then
      cmd=${words[i]} cmd_at=$i
      break
    fi
  done

  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W '--help' -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$(_iotrace_commands "$1")" -- "$cur"))
    fi
    return
  fi

  # After run's "--", the words are a command line of their own.
  if [[ $cmd == run ]]; then
    for ((i = cmd_at + 1; i < cword; i++)); do
      if [[ ${words[i]} == -- ]]; then
        _command_offset $((i + 1))
        return
      fi
    done
  fi

  case $cmd in
    help)
      ((cword == cmd_at + 1)) && COMPREPLY=($(compgen -W "$(_iotrace_commands "$1")" -- "$cur"))
      return
      ;;
  esac

  # An option's value.
  case $prev in
    --format | -f)
      [[ $cmd == export ]] && { COMPREPLY=($(compgen -W 'chrome csv' -- "$cur")); return; }
      ;;
    --sort)
      COMPREPLY=($(compgen -W 'calls time wait copy errors p99 max name' -- "$cur"))
      return
      ;;
    --clock)
      COMPREPLY=($(compgen -W 'auto mono wall' -- "$cur"))
      return
      ;;
    --call)
      # A comma list: complete the name after the last comma.
      local done_part=""
      [[ $cur == *,* ]] && done_part=${cur%,*},
      COMPREPLY=($(compgen -P "$done_part" -W "$(_iotrace_call_names "$1")" -- "${cur##*,}"))
      [[ -n $done_part ]] && compopt -o nospace
      return
      ;;
    --debug-dir)
      _filedir -d
      return
      ;;
    -o | --output)
      case $cmd in
        run) _filedir -d ;;
        render) _filedir '@(html|svg)' ;;
        *) _filedir ;;
      esac
      return
      ;;
    --width | --from | --to | --pid | --tid | --fd)
      return # a number or a time: nothing to offer
      ;;
  esac
  $split && return

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_iotrace_options "$1" "$cmd")" -- "$cur"))
    [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
    return
  fi
  # run takes its options, then "--" and the program; calls takes none; the others take traces.
  [[ $cmd == run || $cmd == calls ]] && return
  _filedir trace
} &&
  complete -F _iotrace iotrace
