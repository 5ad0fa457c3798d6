#!/usr/bin/env bash
# The whole dev → qa → prod walk on the local forge (scripts/lib/local-forge.sh: forge-sim + a
# lighttpd git server on loopback) with the simulator adding DELAY_MS to every forge request, done
# twice in the same run on fresh identical repositories:
#   tool   gitops-promotion new / status / promote, as the pipelines run them
#   shell  the same steps as a plain shell script would do them (git CLI + sed + curl + jq)
# Prints, per implementation, the forge requests of every step (counted by the simulator) and the
# wall time of the whole walk (from the app pipeline to the prod PR waiting for a person; the CI
# plumbing around the steps — clones, reporting the check, waiting for auto-merge and Flux — is the
# same for both and included).
#
# usage: bench/walk.sh [BUILD_DIR=build] [DELAY_MS=50] [PROVIDER=github]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
delay=${2:-50}
provider=${3:-github}
bin=$build/gitops-promotion
sim=$build/tools/forge-sim/forge-sim
for exe in "$bin" "$sim"; do
  [[ -x $exe ]] || {
    echo "walk: $exe missing (build gitops-promotion and forge-sim first)" >&2
    exit 2
  }
done
[[ $provider == github ]] || {
  echo "walk: the shell implementation speaks GitHub's API only" >&2
  exit 2
}
# shellcheck source=../scripts/lib/local-forge.sh
source "$root/scripts/lib/local-forge.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/gp-bench-walk.XXXXXX")
cleanup() {
  lf_stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
lf_isolate "$work" ci
token="bench-token-$RANDOM$RANDOM"
lf_start "$work/forge" "$sim" "$token"
owner=bench

now_ms() { date +%s%3N; }
requests() { lf_state | jq '[.request_counts[]] | add // 0'; }

# step NAME CMD...: runs one measured step; records its forge requests in the report.
step() {
  local name=$1
  shift
  lf_admin POST reset-counters >/dev/null
  local t0 t1 n
  t0=$(now_ms)
  "$@"
  t1=$(now_ms)
  n=$(requests)
  report+=("$name=${n}req/$((t1 - t0))ms")
  total_requests=$((total_requests + n))
  step_ms=$((step_ms + t1 - t0))
}

# --- the tool -------------------------------------------------------------------------------------
tool_new() { (cd "$1" && GITHUB_TOKEN=$token "$bin" new --group webshop --app cart --tag "$2" \
  --provider github --api-url "$LF_API" >"$work/out"); }
tool_promote() { (cd "$1" && GITHUB_TOKEN=$token "$bin" promote --provider github \
  --api-url "$LF_API" >"$work/out"); }
tool_status() { (cd "$1" && GITHUB_TOKEN=$token GITHUB_HEAD_REF=$2 "$bin" status \
  --provider github --api-url "$LF_API" >"$work/out"); }

# --- the shell implementation ----------------------------------------------------------------------
api() { lf_api "$@"; }
# shell_open_pr DIR ENV TAG SHA: commit the tag into ENV, force-push, open or update the PR, auto-merge.
shell_open_pr() {
  local dir=$1 env=$2 tag=$3 base=$4 branch=promote/webshop-cart title body pr node auto
  local repo_api="$LF_API/repos/$owner/$repo"
  title="Promote webshop/cart version $tag to environment $env"
  body=$(printf '<!-- metadata = {"group":"webshop","app":"cart","tag":"%s","env":"%s","sha":"%s","feature":"","type":"promote"} -->\n\tENV: %s\n\tAPP: cart\n\tTAG: %s' \
    "$tag" "$env" "$base" "$env" "$tag")
  git -C "$dir" checkout -q -B "$branch" "$base"
  sed -i "s|\(image: registry.example.com/webshop/cart:\)[^ ]*|\1$tag|" \
    "$dir/webshop/$env/cart/deployment.yaml"
  git -C "$dir" commit -q -am "$title"
  git -C "$dir" push -q -f "$(lf_auth_url github "$owner" "$repo")" "$branch"
  pr=$(api GET "$repo_api/pulls?head=$owner:$branch&base=main&state=open" | jq -c '.[0] // empty')
  if [[ -z $pr ]]; then
    pr=$(api POST "$repo_api/pulls" "$(jq -cn --arg t "$title" --arg b "$body" --arg h "$branch" \
      '{head: $h, base: "main", title: $t, body: $b}')")
  else
    api PATCH "$repo_api/pulls/$(jq -r .number <<<"$pr")" \
      "$(jq -cn --arg t "$title" --arg b "$body" '{title: $t, body: $b}')" >/dev/null
  fi
  auto=$(awk -v e="$env" '$2 == "name:" && $3 == e {f=1; next} f && $1 == "auto:" {print $2; exit}' \
    "$dir/gitops-promotion.yaml")
  if [[ $auto == true ]]; then
    node=$(jq -r .node_id <<<"$pr")
    api POST "$LF_API/graphql" "$(jq -cn --arg id "$node" \
      '{query: "mutation($id: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: MERGE}) { clientMutationId } }", variables: {id: $id}}')" >/dev/null
  fi
}
shell_new() { shell_open_pr "$1" dev "$2" "$(git -C "$1" rev-parse HEAD)"; }
shell_promote() {
  local dir=$1 head meta env tag next
  head=$(git -C "$dir" rev-parse HEAD)
  meta=$(api GET "$LF_API/repos/$owner/$repo/commits/$head/pulls" |
    jq -r '.[0].body // ""' | sed -n 's/^<!-- metadata = \(.*\) -->$/\1/p' | head -n 1)
  [[ -n $meta ]] || return 0
  env=$(jq -r .env <<<"$meta")
  tag=$(jq -r .tag <<<"$meta")
  next=$(awk -v e="$env" '$2 == "name:" {if (f) {print $3; exit}; if ($3 == e) f=1}' \
    "$dir/gitops-promotion.yaml")
  [[ -n $next ]] || return 0
  shell_open_pr "$dir" "$next" "$tag" "$head"
}
shell_status() {
  local dir=$1 branch=$2 pr meta env sha prev state
  pr=$(api GET "$LF_API/repos/$owner/$repo/pulls?head=$owner:$branch&state=open" | jq -c '.[0]')
  meta=$(jq -r .body <<<"$pr" | sed -n 's/^<!-- metadata = \(.*\) -->$/\1/p')
  env=$(jq -r .env <<<"$meta")
  sha=$(jq -r .sha <<<"$meta")
  prev=$(awk -v e="$env" '$2 == "name:" {if ($3 == e) {print p; exit}; p=$3}' "$dir/gitops-promotion.yaml")
  [[ -n $prev ]] || return 0
  for _ in $(seq 1 30); do
    state=$(api GET "$LF_API/repos/$owner/$repo/commits/$sha/statuses" |
      jq -r --arg c "kustomization/webshop-$prev" '[.[] | select(.context == $c)][0].state // "none"')
    [[ $state == success ]] && return 0
    [[ $state == failure || $state == error ]] && return 1
    sleep 1
  done
  return 1
}

# walk IMPL: the whole walk with IMPL's new/status/promote; prints a report line.
walk() {
  local impl=$1
  repo=webshop-$impl
  rm -rf "$work/sample"
  lf_sample_repo "$work/sample" "status:
  poll_interval: 1s"
  lf_create_repo github "$owner" "$repo" "$work/sample" "$(lf_default_settings)"
  lf_admin POST faults "{\"path_regex\":\".*\",\"count\":1000000,\"action\":\"delay\",\"delay_ms\":$delay}" >/dev/null
  report=()
  total_requests=0
  step_ms=0
  local start dir="$work/ci-$impl" pr sha env branch=promote/webshop-cart
  start=$(now_ms)
  lf_ci_checkout github "$owner" "$repo" "$dir"
  step new "${impl}_new" "$dir" 1.1.0
  for env in dev qa prod; do
    lf_ci_checkout github "$owner" "$repo" "$dir.pr" "$branch"
    step "status($env)" "${impl}_status" "$dir.pr" "$branch"
    pr=$(lf_pr "$owner" "$repo" "$branch" | jq -r .number)
    lf_post_status github "$owner" "$repo" "$(git -C "$dir.pr" rev-parse HEAD)" gitops-promotion \
      status success >/dev/null
    [[ $env == prod ]] && break
    sha=$(lf_wait_merged "$owner" "$repo" "$pr")
    lf_wait_status "$owner" "$repo" "$sha" "kustomization/webshop-$env" >/dev/null
    lf_ci_checkout github "$owner" "$repo" "$dir" && git -C "$dir" checkout -q --detach "$sha"
    local next=qa
    [[ $env == qa ]] && next=prod
    step "promote($next)" "${impl}_promote" "$dir"
  done
  local end
  end=$(now_ms)
  lf_admin DELETE faults >/dev/null
  local title
  title=$(lf_pr "$owner" "$repo" "$branch" | jq -r .title)
  [[ $title == "Promote webshop/cart version 1.1.0 to environment prod" ]] || {
    echo "walk: $impl did not end with the prod PR (got: $title)" >&2
    exit 1
  }
  printf '%-6s walk %5.2f s (its steps %5.2f s)  requests %3d  %s\n' "$impl" \
    "$(awk -v ms=$((end - start)) 'BEGIN {print ms / 1000}')" \
    "$(awk -v ms=$step_ms 'BEGIN {print ms / 1000}')" "$total_requests" "${report[*]}"
}

echo "dev -> qa -> prod, forge delay ${delay} ms per request, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
walk tool
walk shell
