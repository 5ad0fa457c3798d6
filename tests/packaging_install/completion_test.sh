#!/usr/bin/env bash
# Checks the shell completion scripts against the binary ($2): the bash function completes commands,
# flags and flag values; for every command (and the top level) the flags bash and zsh offer are
# exactly the long flags `gitops-promotion <command> --help` lists, and the commands they offer are
# exactly the subcommands `--help` lists. Usage: completion_test.sh COMPLETION_DIR BINARY
set -uo pipefail

dir=$1
bin=$2
bash_script=$dir/gitops-promotion.bash
zsh_script=$dir/_gitops-promotion
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# complete_words WORD...: the sorted candidates the bash completion offers for the last word, run in
# a clean bash that only sourced the script (the last word may be "" for "after a space").
complete_words() {
  bash --norc --noprofile -c '
    source "$1" || exit 3
    shift
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    _gitops_promotion gitops-promotion "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" || exit 4
    printf "%s\n" "${COMPREPLY[@]}" | sed "/^$/d" | sort
  ' _ "$bash_script" "$@"
}

# expect_completion "WANT (space separated, sorted)" WORD...
expect_completion() {
  local want=$1
  shift
  local got
  got=$(complete_words "$@" | tr '\n' ' ' | sed 's/ $//')
  if [[ "$got" != "$want" ]]; then
    fail "completing [$*]: got [$got], want [$want]"
  else
    echo "ok: completing [$*] -> [$got]"
  fi
}

# Long flags listed in the options part of `--help` (lines that start with a flag), sorted.
help_flags() {
  "$bin" "$@" --help | grep -E '^[[:space:]]+-' | sed -E 's/^[[:space:]]+(-[A-Za-z],)?(--[a-z][a-z-]*).*/\2/' |
    grep -E '^--' | sort -u
}

# Subcommands listed by the top-level --help, sorted.
help_commands() {
  "$bin" --help | sed -n '/^Subcommands:/,/^$/p' | sed -n -E 's/^  ([a-z][a-z-]*)[[:space:]].*/\1/p' | sort
}

[[ -f "$bash_script" ]] || fail "missing $bash_script"
[[ -f "$zsh_script" ]] || fail "missing $zsh_script"
[[ -x "$bin" ]] || fail "missing binary $bin"
if ((failures > 0)); then
  echo "0 passed, $failures failed"
  exit 1
fi

# The script registers itself for the command name.
registered=$(bash --norc --noprofile -c 'source "$1" && complete -p gitops-promotion' _ "$bash_script")
[[ "$registered" == *"-F _gitops_promotion gitops-promotion"* ]] ||
  fail "the bash script does not register _gitops_promotion: [$registered]"

commands=$(help_commands)
[[ -n "$commands" ]] || fail "no subcommands found in --help"
commands_line=$(echo "$commands" | tr '\n' ' ' | sed 's/ $//')

# Commands, prefixes, values, and flag values that are not commands.
expect_completion "$commands_line" gitops-promotion ""
expect_completion "promote" gitops-promotion pro
expect_completion "set-image" gitops-promotion set
expect_completion "feature feature-stale" gitops-promotion feat
expect_completion "" gitops-promotion zzz
expect_completion "$commands_line" gitops-promotion --output json ""
expect_completion "$commands_line" gitops-promotion --dry-run ""
expect_completion "status" gitops-promotion --sourcedir /tmp --log-level debug st
expect_completion "json text" gitops-promotion --output ""
expect_completion "json" gitops-promotion new --output j
expect_completion "azdo gitea github gitlab" gitops-promotion new --provider ""
expect_completion "debug error info warn" gitops-promotion lint --log-level ""
expect_completion "--group" gitops-promotion new --gr
expect_completion "--max-age" gitops-promotion feature-stale --max
expect_completion "--path" gitops-promotion set-image --pa
expect_completion "" gitops-promotion new --tag ""
expect_completion "" gitops-promotion unknown-command --
# After the command, a word that is a value of a flag must not be taken for the command.
expect_completion "--branch" gitops-promotion --token new status --bra
# Directories for --sourcedir.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gp-completion.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/gitops-dir"
touch "$tmp/gitops-file"
expect_completion "$tmp/gitops-dir" gitops-promotion --sourcedir "$tmp/gitops-"
# A directory with spaces is one candidate, whole.
mkdir -p "$tmp/with space dir"
got=$(complete_words gitops-promotion set-image --path "$tmp/with")
if [[ "$got" == "$tmp/with space dir" ]]; then
  echo "ok: a directory with spaces is one candidate"
else
  fail "completing --path $tmp/with: got [$got], want [$tmp/with space dir] as one line"
fi
# `--flag=value`: bash hands the words over split at "=".
expect_completion "json text" gitops-promotion new --output =
expect_completion "json" gitops-promotion new --output = j
expect_completion "azdo" gitops-promotion --provider = a
expect_completion "$commands_line" gitops-promotion --output = json ""
expect_completion "--api-url --app" gitops-promotion new --group = g --a
# A flag already given is not offered again (nor --image once --tag is there, they exclude each other).
expect_completion "" gitops-promotion new --group g --gr
expect_completion "" gitops-promotion new --group=g --tag 1 --im
expect_completion "--app" gitops-promotion new --dry-run --group g --app
expect_completion "" gitops-promotion lint --dry-run --dry

# Drift: per command, bash's flags == --help's flags.
check_flags() {
  local label=$1 offered=$2 listed=$3
  if [[ "$offered" != "$listed" ]]; then
    fail "$label: completion offers [$(echo $offered)] but --help lists [$(echo $listed)]"
    diff <(echo "$offered") <(echo "$listed") | sed 's/^/    /'
  else
    echo "ok: $label flags [$(echo $offered)]"
  fi
}

check_flags "bash, top level" "$(complete_words gitops-promotion --)" "$(help_flags)"
for c in $commands; do
  check_flags "bash, $c" "$(complete_words gitops-promotion "$c" --)" "$(help_flags "$c")"
done

# zsh: the same lists, read from the script's _arguments specs. Global specs apply everywhere; each
# `name)` or `a | b)` branch of the argument case adds its own.
zsh_flags() {
  local command=$1
  awk -v want="$command" '
    /^_gitops_promotion_globals=\(/ { in_globals = 1; next }
    in_globals && /^\)/ { in_globals = 0; next }
    in_globals { print_flag($0); next }
    /case \$\{words\[1\]\} in/ { in_case = 1; next }
    in_case && /^[[:space:]]+esac/ { in_case = 0; next }
    in_case && /^[[:space:]]+[a-z| -]+\)[[:space:]]*$/ {
      label = $0; gsub(/[[:space:])]/, "", label)
      n = split(label, names, "|"); current = 0
      for (i = 1; i <= n; i++) { if (names[i] == want) { current = 1 } }
      next
    }
    in_case && current { print_flag($0) }
    function print_flag(line,   m) {
      if (match(line, /--[a-z][a-z-]*/)) {
        # Skip exclusion lists such as (--image) in front of the flag itself.
        rest = line
        while (match(rest, /\(--[a-z][a-z-]*\)/)) { rest = substr(rest, RSTART + RLENGTH) }
        if (match(rest, /--[a-z][a-z-]*/)) { print substr(rest, RSTART, RLENGTH) }
      }
    }
  ' "$zsh_script" | sort -u
}
zsh_globals=$(zsh_flags "")
check_flags "zsh, top level" "$zsh_globals" "$(help_flags)"
for c in $commands; do
  check_flags "zsh, $c" "$(zsh_flags "$c")" "$(help_flags "$c")"
done
zsh_commands=$(sed -n -E "s/^[[:space:]]+'([a-z][a-z-]*):.*/\1/p" "$zsh_script" | sort)
if [[ "$zsh_commands" != "$commands" ]]; then
  fail "zsh offers commands [$(echo $zsh_commands)] but --help lists [$(echo $commands)]"
fi

if command -v zsh >/dev/null 2>&1; then
  if zsh -n "$zsh_script"; then
    echo "ok: zsh -n"
  else
    fail "zsh -n $zsh_script"
  fi
  # Load it the way compinit does (as an autoloaded function) and check it defines itself.
  out=$(zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit && compinit -u -d "$2/zcompdump" &&
    print -r -- ${_comps[gitops-promotion]}' _ "$dir" "$tmp" 2>&1)
  if [[ "$out" == "_gitops-promotion" ]]; then
    echo "ok: zsh compinit binds gitops-promotion to _gitops-promotion"
  else
    fail "zsh compinit: got [$out], want [_gitops-promotion]"
  fi
else
  echo "skip: zsh is not installed (scripts/setup.sh installs it)"
fi

if ((failures > 0)); then
  echo "0 passed, $failures failed"
  exit 1
fi
echo "completion: all checks passed"
