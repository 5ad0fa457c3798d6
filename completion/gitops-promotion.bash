# bash completion for gitops-promotion
# Installed as share/bash-completion/completions/gitops-promotion; or: source this file.
# Works with or without the bash-completion package (plain compgen only).

_gitops_promotion() {
  local cur prev
  cur="${COMP_WORDS[COMP_CWORD]}"
  prev=""
  if ((COMP_CWORD > 0)); then
    prev="${COMP_WORDS[COMP_CWORD - 1]}"
  fi

  local commands="new promote status feature feature-stale set-image lint"
  local global_flags="--provider --token --sourcedir --api-url --dry-run --output --log-level --help --version"
  # Flags that take a value (the next word is that value, not a command).
  local value_flags=" --provider --token --sourcedir --api-url --output --log-level --group --app --tag --image --branch --feature --max-age --path "

  # The subcommand is the first word that is neither a flag nor a flag's value.
  local command="" i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${COMP_WORDS[i]}"
    if [[ "$word" == -* ]]; then
      if [[ "$word" != *=* && "$value_flags" == *" $word "* ]]; then
        ((i++))
      fi
      continue
    fi
    command="$word"
    break
  done

  case "$prev" in
    --provider)
      COMPREPLY=($(compgen -W "github azdo" -- "$cur"))
      return 0
      ;;
    --output)
      COMPREPLY=($(compgen -W "text json" -- "$cur"))
      return 0
      ;;
    --log-level)
      COMPREPLY=($(compgen -W "error warn info debug" -- "$cur"))
      return 0
      ;;
    --sourcedir | --path)
      COMPREPLY=($(compgen -d -- "$cur"))
      return 0
      ;;
    --token | --api-url | --group | --app | --tag | --image | --branch | --feature | --max-age)
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
    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    return 0
  fi
  COMPREPLY=($(compgen -W "$flags $global_flags" -- "$cur"))
  return 0
}

complete -F _gitops_promotion gitops-promotion
