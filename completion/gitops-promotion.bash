# bash completion for gitops-promotion
# Installed as share/bash-completion/completions/gitops-promotion; or: source this file.
# Works with or without the bash-completion package (plain compgen only).

# _gitops_promotion_reply WORD...: COMPREPLY from compgen's output, one candidate per line, so that
# candidates with spaces (directories) stay whole.
_gitops_promotion_reply() {
  local line
  COMPREPLY=()
  while IFS= read -r line; do
    [[ -n "$line" ]] && COMPREPLY+=("$line")
  done < <(compgen "$@")
}

_gitops_promotion() {
  local cur prev
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev=""
  if ((COMP_CWORD > 0)); then
    prev="${COMP_WORDS[COMP_CWORD - 1]}"
  fi
  # bash splits `--output=j` at the `=` (COMP_WORDBREAKS): the words are `--output`, `=`, `j`.
  if [[ "$cur" == "=" && "$prev" == --* ]]; then
    cur=""
  elif [[ "$prev" == "=" ]] && ((COMP_CWORD > 1)); then
    prev="${COMP_WORDS[COMP_CWORD - 2]}"
  fi

  local commands="new promote status feature feature-stale set-image lint"
  local global_flags="--provider --token --github-app-id --github-app-private-key-file --github-app-installation-id --sourcedir --api-url --dry-run --output --log-level --timeout --help --version"
  # Flags that take a value (the next word is that value, not a command).
  local value_flags=" --provider --token --github-app-id --github-app-private-key-file --github-app-installation-id --sourcedir --api-url --output --log-level --timeout --group --app --tag --image --branch --feature --max-age --path "

  # The subcommand is the first word that is neither a flag nor a flag's value; `given` collects the
  # flags already on the line, which are not offered again.
  local command="" given=" " i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${COMP_WORDS[i]}"
    if [[ "$word" == -* ]]; then
      given+="${word%%=*} "
      if [[ "${COMP_WORDS[i + 1]:-}" == "=" ]]; then
        ((i += 2)) # --flag = value
      elif [[ "$word" != *=* && "$value_flags" == *" $word "* ]]; then
        ((i++))
      fi
      continue
    fi
    if [[ -z "$command" ]]; then
      command="$word"
    fi
  done

  case "$prev" in
    --provider)
      _gitops_promotion_reply -W "github azdo gitea gitlab" -- "$cur"
      return 0
      ;;
    --output)
      _gitops_promotion_reply -W "text json" -- "$cur"
      return 0
      ;;
    --log-level)
      _gitops_promotion_reply -W "error warn info debug" -- "$cur"
      return 0
      ;;
    --github-app-private-key-file)
      compopt -o filenames 2>/dev/null
      _gitops_promotion_reply -f -- "$cur"
      return 0
      ;;
    --sourcedir | --path)
      # Let readline quote what it inserts (spaces, quotes) when compopt is there (bash >= 4).
      compopt -o filenames 2>/dev/null
      _gitops_promotion_reply -d -- "$cur"
      return 0
      ;;
    --token | --github-app-id | --github-app-installation-id | --api-url | --timeout | --group | --app | --tag | --image | --branch | --feature | --max-age)
      # Free text: offer nothing rather than file names.
      COMPREPLY=()
      return 0
      ;;
  esac

  local flags=""
  case "$command" in
    new) flags="--group --app --tag --image" ;;
    status) flags="--branch" ;;
    feature) flags="--group --app --tag --feature" ;;
    feature-stale) flags="--max-age" ;;
    set-image) flags="--path --group --app --tag --image" ;;
    promote | lint | "") flags="" ;;
    *)
      # Not a known command: nothing sensible to offer.
      COMPREPLY=()
      return 0
      ;;
  esac

  if [[ -z "$command" && "$cur" != -* ]]; then
    _gitops_promotion_reply -W "$commands" -- "$cur"
    return 0
  fi
  # --tag and --image exclude each other: one given, the other is not offered either.
  case "$given" in
    *" --tag "* | *" --image "*) given+="--tag --image " ;;
  esac
  local offer="" flag
  for flag in $flags $global_flags; do
    [[ "$given" == *" $flag "* ]] || offer+="$flag "
  done
  _gitops_promotion_reply -W "$offer" -- "$cur"
  return 0
}

complete -F _gitops_promotion gitops-promotion
