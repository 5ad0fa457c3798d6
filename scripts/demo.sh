#!/usr/bin/env bash
# The whole promotion workflow on this machine, in under a minute: starts the forge simulator and a
# git server on loopback, creates a sample GitOps repository (group webshop: apps cart and webui;
# environments dev and qa automated, prod manual) and walks one image from dev to prod the way the
# pipelines would, printing each step. Everything is stopped and removed at the end, also on Ctrl-C.
# Usage: scripts/demo.sh path/to/gitops-promotion [path/to/forge-sim]
# (forge-sim defaults to tools/forge-sim/forge-sim in the binary's build directory;
# FORGE=azdo, FORGE=gitea or FORGE=gitlab walks the same flow on the Azure DevOps, Gitea/Forgejo or
# GitLab API;
# DEMO_PROVIDER is the older name of FORGE.)
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 path/to/gitops-promotion [path/to/forge-sim]" >&2
  exit 2
fi
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
sim=${2:-$(dirname "$bin")/tools/forge-sim/forge-sim}
for exe in "$bin" "$sim"; do
  if [[ ! -x $exe ]]; then
    echo "demo: $exe is not an executable (build it first: make demo)" >&2
    exit 2
  fi
done
provider=${FORGE:-${DEMO_PROVIDER:-github}}
case $provider in
github | azdo | gitea | gitlab) ;;
*)
  echo "demo: FORGE=$provider is not a forge the demo knows (github, azdo, gitea or gitlab)" >&2
  exit 2
  ;;
esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/local-forge.sh
source "$here/lib/local-forge.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/gitops-promotion-demo.XXXXXX")
cleanup() {
  lf_stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "demo interrupted; stopping the local forge" >&2; exit 130' INT TERM

# Keep the user's git configuration, tokens and CI variables out of the demo.
lf_isolate "$work" demo

if [[ -t 1 ]]; then
  section() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
  section() { printf '\n==> %s\n' "$*"; }
fi
say() { printf '    %s\n' "$*"; }

token="demo-token-$RANDOM$RANDOM"
owner=example
[[ $provider == azdo ]] && owner=example-org
repo=webshop-gitops
token_var=GITHUB_TOKEN
case $provider in
azdo) token_var=SYSTEM_ACCESSTOKEN ;;
gitea) token_var=GITEA_TOKEN ;;
gitlab) token_var=GITLAB_TOKEN ;;
esac

section "Starting the local forge ($provider simulator and a git server, loopback only)"
lf_start "$work/forge" "$sim" "$token"
# Gitea's and GitLab's REST APIs live under /api/v1 and /api/v4 of their web servers.
api=$LF_API
[[ $provider == gitea ]] && api=$LF_API/api/v1
[[ $provider == gitlab ]] && api=$LF_API/api/v4
say "forge API:  $api"
say "git server: $LF_GIT"

section "Creating the sample GitOps repository $owner/$repo"
lf_sample_repo "$work/sample" "status_timeout_minutes: 1m
status:
  poll_interval: 1s"
(cd "$work/sample" && find . -type f | sort | sed 's|^\./|    |')
say "gitops-promotion.yaml: dev (auto), qa (auto), prod (manual)"
lf_create_repo "$provider" "$owner" "$repo" "$work/sample" "$(lf_default_settings)"
say "remote: $(lf_remote_url "$provider" "$owner" "$repo")"
say "required check on every PR: $LF_REQUIRED_CHECK (the exit code of gitops-promotion status)"
say "Flux (emulated) reports kustomization/webshop-<env> on every main commit"

# gp DIR ARGS...: the tool as a pipeline runs it (token in the environment); stdout shown indented.
gp() {
  local dir=$1
  shift
  printf '    $ gitops-promotion %s\n' "$*"
  local rc=0
  (cd "$dir" && env "$token_var=$token" "$bin" "$@" --provider "$provider" --api-url "$api") \
    >"$work/out" 2>"$work/err" || rc=$?
  sed 's/^/      /' "$work/out"
  if [[ $rc -ne 0 ]]; then
    sed 's/^/      /' "$work/err"
  fi
  return $rc
}
pr_json() { lf_state | jq -c --argjson n "$1" --arg k "$owner/$repo" \
  '.pull_requests[] | select(.repo == $k and .number == $n)'; }
show_pr() {
  local pr auto
  pr=$(pr_json "$1")
  auto=$(jq -r 'if .auto_merge then "on (\(.auto_merge.merge_method))" else "off" end' <<<"$pr")
  say "PR #$1 \"$(jq -r .title <<<"$pr")\""
  say "      branch $(jq -r .head <<<"$pr") -> main, auto-merge $auto"
}
pr_number() { sed -n 's/^created branch .* with pull request \([0-9]*\) on commit .*/\1/p' "$work/out"; }

# The PR pipeline: status on the PR head (detached, like CI), its verdict posted as the check.
pr_pipeline() {
  local number=$1 branch dir="$work/ci-pr" verdict=success
  branch=$(pr_json "$number" | jq -r .head)
  section "PR pipeline on PR #$number: the status gate"
  lf_ci_checkout "$provider" "$owner" "$repo" "$dir" "$branch"
  local var="GITHUB_HEAD_REF=$branch"
  [[ $provider == azdo ]] && var="SYSTEM_PULLREQUEST_SOURCEBRANCH=refs/heads/$branch"
  [[ $provider == gitlab ]] && var="CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=$branch"
  export "${var?}"
  gp "$dir" status || verdict=failure
  unset GITHUB_HEAD_REF SYSTEM_PULLREQUEST_SOURCEBRANCH CI_MERGE_REQUEST_SOURCE_BRANCH_NAME
  lf_post_status "$provider" "$owner" "$repo" "$(git -C "$dir" rev-parse HEAD)" gitops-promotion \
    status "$verdict" >/dev/null
  say "verdict: $verdict (reported as $LF_REQUIRED_CHECK)"
  [[ $verdict == success ]]
}

# The forge merges an auto-merge PR once its check is green; Flux then reports the environment.
merged_and_reconciled() {
  local number=$1 env=$2 sha state
  sha=$(lf_wait_merged "$owner" "$repo" "$number")
  section "The forge auto-merges PR #$number; Flux applies $env"
  say "merged into main as ${sha:0:12} ($(pr_json "$number" | jq -r .merge_method))"
  state=$(lf_wait_status "$owner" "$repo" "$sha" "kustomization/webshop-$env")
  say "Flux: kustomization/webshop-$env = $state on ${sha:0:12}"
  merge_sha=$sha
}

main_pipeline() {
  local sha=$1 dir="$work/ci-main"
  section "Main pipeline on ${sha:0:12}: promote to the next environment"
  lf_ci_checkout "$provider" "$owner" "$repo" "$dir"
  git -C "$dir" checkout -q --detach "$sha"
  gp "$dir" promote
  pr=$(pr_number)
  show_pr "$pr"
}

section "App pipeline: cart built registry.example.com/webshop/cart:1.1.0"
lf_ci_checkout "$provider" "$owner" "$repo" "$work/ci-app"
gp "$work/ci-app" new --group webshop --app cart --tag 1.1.0
pr=$(pr_number)
show_pr "$pr"
git -C "$work/ci-app" fetch -q "$(lf_auth_url "$provider" "$owner" "$repo")" promote/webshop-cart
git -C "$work/ci-app" diff HEAD FETCH_HEAD | sed -n 's/^\([-+] .*\)/      \1/p'

merge_sha=""
for env in dev qa; do
  pr_pipeline "$pr"
  merged_and_reconciled "$pr" "$env"
  main_pipeline "$merge_sha"
done

pr_pipeline "$pr"
section "Production waits for a person"
show_pr "$pr"
lf_admin POST tick >/dev/null
state=$(pr_json "$pr" | jq -r .state)
say "state: $state, not merged: prod is \"auto: false\", so auto-merge stays off"
say "check $LF_REQUIRED_CHECK is green: qa is healthy, a reviewer can merge PR #$pr"
say "main has cart $(git --git-dir="$work/forge/repos/$owner/$repo.git" show main:webshop/qa/cart/deployment.yaml |
  sed -n 's/.*cart:\([^ ]*\) #.*/\1/p') in qa and $(git --git-dir="$work/forge/repos/$owner/$repo.git" show \
  main:webshop/prod/cart/deployment.yaml | sed -n 's/.*cart:\([^ ]*\) #.*/\1/p') in prod"

section "Done: stopping the forge and removing $work"
