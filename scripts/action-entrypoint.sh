#!/usr/bin/env bash
# Entrypoint of the GitHub Action (action.yml): maps the INPUT_* variables the Actions runner sets
# to gitops-promotion's flags and runs it. The runner upper-cases input names and keeps hyphens
# (`api-url` → INPUT_API-URL), which no shell can expand, so values are read with printenv.
# Values become single argv elements (an array, no eval, no word splitting). The token and a GitHub
# App's private key are passed in the environment (GITOPS_PROMOTION_TOKEN, GITHUB_APP_PRIVATE_KEY),
# never on the command line.
# GITOPS_PROMOTION_BIN overrides the binary (tests run the script outside the image).
set -euo pipefail

bin=${GITOPS_PROMOTION_BIN:-/usr/local/bin/gitops-promotion}

# input NAME: the value of input NAME ('' when unset), surrounding whitespace trimmed.
input() {
  local value
  value=$(printenv "INPUT_$1" || true)
  value="${value#"${value%%[![:space:]]*}"}"
  value="${value%"${value##*[![:space:]]}"}"
  printf '%s' "$value"
}

fail() {
  # Workflow-command data escaping: % first, then CR and LF.
  local message=$1
  message=${message//'%'/'%25'}
  message=${message//$'\r'/'%0D'}
  message=${message//$'\n'/'%0A'}
  echo "::error::$message"
  echo "gitops-promotion action: $1" >&2
  exit 2
}

action=$(input ACTION)
case $action in
  new | promote | status | feature | feature-stale | lint) ;;
  "") fail "input 'action' is required (new, promote, status, feature, feature-stale or lint)" ;;
  *) fail "input 'action' must be new, promote, status, feature, feature-stale or lint, not '$action'" ;;
esac

args=("$action")

provider=$(input PROVIDER)
args+=(--provider "${provider:-github}")

sourcedir=$(input SOURCEDIR)
sourcedir=${sourcedir:-${GITHUB_WORKSPACE:-}}
if [ -n "$sourcedir" ]; then
  args+=(--sourcedir "$sourcedir")
fi

api_url=$(input API-URL)
if [ -n "$api_url" ]; then
  args+=(--api-url "$api_url")
fi

dry_run=$(input DRY-RUN)
case ${dry_run,,} in
  "" | false | no | 0) ;;
  true | yes | 1) args+=(--dry-run) ;;
  *) fail "input 'dry-run' must be true or false, not '$dry_run'" ;;
esac

group=$(input GROUP)
app=$(input APP)
tag=$(input TAG)
image=$(input IMAGE)
feature=$(input FEATURE)

case $action in
  new)
    args+=(--group "$group" --app "$app")
    if [ -n "$image" ]; then
      args+=(--image "$image")
    fi
    if [ -n "$tag" ]; then
      args+=(--tag "$tag")
    fi
    ;;
  feature)
    args+=(--group "$group" --app "$app" --tag "$tag" --feature "$feature")
    ;;
  feature-stale)
    max_age=$(input MAX-AGE)
    if [ -n "$max_age" ]; then
      args+=(--max-age "$max_age")
    fi
    ;;
esac

# As a GitHub App (app-id and app-private-key) or with the token input (by default the workflow's
# own token, so it is left out when the App is used). The key travels in the environment too.
app_id=$(input APP-ID)
if [ -n "$app_id" ]; then
  args+=(--github-app-id "$app_id")
  installation=$(input APP-INSTALLATION-ID)
  if [ -n "$installation" ]; then
    args+=(--github-app-installation-id "$installation")
  fi
  key=$(input APP-PRIVATE-KEY)
  if [ -z "$key" ]; then
    fail "input 'app-private-key' is required with 'app-id' (the App's private key, e.g. \${{ secrets.APP_PRIVATE_KEY }})"
  fi
  export GITHUB_APP_PRIVATE_KEY="$key"
  unset key
else
  token=$(input TOKEN)
  if [ -n "$token" ]; then
    export GITOPS_PROMOTION_TOKEN="$token"
  fi
  unset token
fi

exec "$bin" "${args[@]}"
