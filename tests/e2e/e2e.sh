#!/usr/bin/env bash
# End-to-end scenarios: the built gitops-promotion binary driven the way CI drives it, against the
# forge simulator and a real smart-HTTP git server (scripts/lib/local-forge.sh), optionally with
# Prism (the forge's published API description as a validating proxy) between the two.
#
#   e2e.sh BINARY FORGE_SIM PROVIDER SCENARIO [PRISM SPEC]
#
# PROVIDER github|azdo. Each CI step is a fresh clone with the token in the environment:
#   app pipeline   clone main, `new --group webshop --app A --tag T`
#   PR pipeline    clone, PR head as a detached HEAD, GITHUB_HEAD_REF / SYSTEM_PULLREQUEST_SOURCEBRANCH,
#                  `status`; its exit code is posted as the required check gitops-promotion/status
#   main pipeline  clone, the pushed commit as a detached HEAD, `promote`
# The simulator merges auto-merge PRs once the required check is green and posts Flux's
# kustomization/<group>-<env> status on every main commit touching that environment.
set -uo pipefail

if [[ $# -lt 4 ]]; then
  echo "usage: $0 BINARY FORGE_SIM github|azdo|gitea|gitlab SCENARIO [PRISM SPEC]" >&2
  exit 2
fi
BIN=$1
SIM=$2
PROVIDER=$3
SCENARIO=$4
PRISM=${5:-}
SPEC=${6:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/lib/local-forge.sh
source "$HERE/../../scripts/lib/local-forge.sh"
# shellcheck source=../support/expect.sh
source "$HERE/../support/expect.sh"

TOKEN="e2e-token-$RANDOM$RANDOM-secret"
# Set by scenario_github_app: run_gp then authenticates as this GitHub App with the key in APP_KEY.
APP_ID=""
APP_KEY=""
APP_INSTALLATION=""
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gp-e2e-$PROVIDER-$SCENARIO.XXXXXX")
PRISM_PID=""
lf_isolate "$WORK" ci

cleanup() {
  if [[ -n $PRISM_PID ]]; then
    kill "$PRISM_PID" 2>/dev/null
    wait "$PRISM_PID" 2>/dev/null
  fi
  lf_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

expect_no_token() {
  local f
  for f in "$WORK/out" "$WORK/err"; do
    if grep -q "$TOKEN" "$f"; then
      fail "the token appears in the output of: ${LAST_CMD[*]}"
    fi
  done
}
expect_no_token_in() {
  if grep -q "$TOKEN" "$1"; then
    fail "the token appears in $1 after: ${LAST_CMD[*]}"
  fi
}

lf_start "$WORK/forge" "$SIM" "$TOKEN" || fatal "local forge did not start"
API=$LF_API
if [[ -n $PRISM ]]; then
  for ((attempt = 0; attempt < 5; attempt++)); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    "$PRISM" proxy "$SPEC" "$LF_API" --errors -h 127.0.0.1 -p "$port" -v warn >"$WORK/prism.log" 2>&1 &
    PRISM_PID=$!
    for ((i = 0; i < 600; i++)); do
      kill -0 "$PRISM_PID" 2>/dev/null || break
      # A bare TCP probe: an HTTP request to an undescribed path would be logged as an error.
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        API="http://127.0.0.1:$port"
        break 2
      fi
      sleep 0.05
    done
    kill "$PRISM_PID" 2>/dev/null
    wait "$PRISM_PID" 2>/dev/null
    PRISM_PID=""
  done
  [[ -n $PRISM_PID ]] || fatal "Prism did not start: $(cat "$WORK/prism.log")"
fi

case $PROVIDER in
github) OWNER=o ;;
azdo) OWNER=org ;;
gitea) OWNER=o ;;
# E2E_OWNER=team/platform: a GitLab project in a subgroup.
gitlab) OWNER=${E2E_OWNER:-o} ;;
*) fatal "unknown provider $PROVIDER" ;;
esac
# Gitea's and GitLab's REST APIs live under /api/v1 and /api/v4 of their web servers.
[[ $PROVIDER == gitea ]] && API+=/api/v1
[[ $PROVIDER == gitlab ]] && API+=/api/v4
# The forge's request paths the fault scenarios aim at: creating and updating a PR, and the
# lookup of the PR behind a merge commit (regular expressions on the request path).
UPDATE_METHOD=PATCH
case $PROVIDER in
github | gitea) CALL_CREATE='.*/pulls$' CALL_UPDATE='.*/pulls/[0-9]+$' ;;
azdo) CALL_CREATE='.*/pullrequests$' CALL_UPDATE='.*/pullrequests/[0-9]+$' ;;
gitlab) CALL_CREATE='.*/merge_requests$' CALL_UPDATE='.*/merge_requests/[0-9]+$' UPDATE_METHOD=PUT ;;
esac
case $PROVIDER in
github) CALL_LOOKUP='GET .*/commits/[0-9a-f]+/pulls' ;;
azdo) CALL_LOOKUP='POST .*/pullrequestquery' ;;
gitea) CALL_LOOKUP='GET .*/commits/[0-9a-f]+/pull$' ;;
gitlab) CALL_LOOKUP='GET .*/repository/commits/[0-9a-f]+/merge_requests' ;;
esac
REPO=webshop-$SCENARIO

# new_repo [CONFIG_TAIL] [SETTINGS_JSON]: the sample repository for this scenario.
new_repo() {
  local tail=${1:-"status_timeout_minutes: 30s
status:
  poll_interval: 1s"}
  local settings=${2:-$(lf_default_settings)}
  rm -rf "$WORK/sample"
  lf_sample_repo "$WORK/sample" "$tail"
  lf_create_repo "$PROVIDER" "$OWNER" "$REPO" "$WORK/sample" "$settings" ||
    fatal "cannot create $OWNER/$REPO"
}

# run_gp DIR [VAR=VALUE ...] -- ARGS...: the binary in DIR with the token in the environment the
# way CI hands it over; sets RC, OUT and ERR.
run_gp() {
  local dir=$1
  shift
  local vars=()
  while [[ $1 != -- ]]; do
    vars+=("$1")
    shift
  done
  shift
  local auth=()
  if [[ -n $APP_ID ]]; then
    # As a GitHub App: the key in the environment, as a workflow passes a secret (first, so a
    # caller's VAR=VALUE can override it).
    vars=("GITHUB_APP_PRIVATE_KEY=$(cat "$APP_KEY")" "${vars[@]}")
    auth=(--github-app-id "$APP_ID")
    [[ -z $APP_INSTALLATION ]] || auth+=(--github-app-installation-id "$APP_INSTALLATION")
  else
    case $PROVIDER in
    github) vars+=("GITHUB_TOKEN=$TOKEN") ;;
    azdo) vars+=("SYSTEM_ACCESSTOKEN=$TOKEN") ;;
    gitea) vars+=("GITEA_TOKEN=$TOKEN") ;;
    gitlab) vars+=("GITLAB_TOKEN=$TOKEN") ;;
    esac
  fi
  LAST_CMD=("$@")
  # Per process: some pipelines run at the same time.
  local out="$WORK/out.$BASHPID" err="$WORK/err.$BASHPID"
  (cd "$dir" && env "${vars[@]}" "$BIN" "$@" "${auth[@]}" --provider "$PROVIDER" --api-url "$API") \
    >"$out" 2>"$err"
  RC=$?
  OUT=$(cat "$out")
  ERR=$(cat "$err")
  cp "$out" "$WORK/out"
  cp "$err" "$WORK/err"
  expect_no_token
}

pr_number_of() {
  sed -n 's/^created branch .* with pull request \([0-9][0-9]*\) on commit [0-9a-f]\{40\}$/\1/p' \
    <<<"$1"
}

# app_pipeline APP TAG: `new` from a fresh clone of main; sets PR (the PR number).
app_pipeline() {
  local dir="$WORK/ci-app-$1"
  lf_ci_checkout "$PROVIDER" "$OWNER" "$REPO" "$dir" || fatal "clone failed"
  run_gp "$dir" -- new --group webshop --app "$1" --tag "$2"
  PR=$(pr_number_of "$OUT")
}

# pr_pipeline BRANCH: `status` on the PR's head (detached), then the check is reported.
pr_pipeline() {
  local branch=$1 dir="$WORK/ci-pr-${1//\//-}" var state
  lf_ci_checkout "$PROVIDER" "$OWNER" "$REPO" "$dir" "$branch" || fatal "checkout of $branch failed"
  case $PROVIDER in
  # Gitea and Forgejo Actions set GitHub's variables.
  github | gitea) var="GITHUB_HEAD_REF=$branch" ;;
  azdo) var="SYSTEM_PULLREQUEST_SOURCEBRANCH=refs/heads/$branch" ;;
  gitlab) var="CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=$branch" ;;
  esac
  run_gp "$dir" "$var" -- status
  state=failure
  [[ $RC -eq 0 ]] && state=success
  local rc=$RC out=$OUT err=$ERR
  lf_post_status "$PROVIDER" "$OWNER" "$REPO" "$(git -C "$dir" rev-parse HEAD)" gitops-promotion \
    status "$state" >/dev/null || fatal "cannot report the check"
  RC=$rc OUT=$out ERR=$err
}

# main_pipeline SHA: `promote` on a push to main (SHA checked out detached); sets PR.
main_pipeline() {
  local dir="$WORK/ci-main-$1"
  lf_ci_checkout "$PROVIDER" "$OWNER" "$REPO" "$dir" || fatal "clone failed"
  git -C "$dir" checkout -q --detach "$1" || fatal "no commit $1 on main"
  run_gp "$dir" -- promote
  PR=$(pr_number_of "$OUT")
}

pr_field() { # NUMBER FIELD
  lf_state | jq -r --arg k "$OWNER/$REPO" --argjson n "$1" \
    ".pull_requests[] | select(.repo == \$k and .number == \$n) | .$2"
}
open_prs() { # prints "number head title" per open PR of the repository
  lf_state | jq -r --arg k "$OWNER/$REPO" \
    '.pull_requests[] | select(.repo == $k and .state == "open") | "\(.number) \(.head) \(.title)"'
}
bare() { git --git-dir="$WORK/forge/repos/$OWNER/$REPO.git" "$@"; }
title() { echo "Promote webshop/$1 version $2 to environment $3"; }
file_of() { # APP ENV
  case $1 in
  cart) echo "webshop/$2/cart/deployment.yaml" ;;
  webui) echo "webshop/$2/webui/kustomization.yaml" ;;
  esac
}
# The tag APP has in ENV at REV of the forge's repository.
tag_at() {
  bare show "$1:$(file_of "$2" "$3")" | sed -n 's/.*\(image: .*:\|newTag: \)\([^ ]*\) #.*/\2/p'
}

# step_new APP TAG ENV: app pipeline, checked; sets PR.
step_new() {
  app_pipeline "$1" "$2"
  [[ $RC -eq 0 && -n $PR ]] || fatal "new $1 $2 failed (exit $RC): $ERR"
  expect_eq "$(pr_field "$PR" title)" "$(title "$1" "$2" "$3")" "title of PR $PR"
}

# step_gate_and_merge BRANCH NUMBER ENV_BEFORE: the PR pipeline passes, the PR merges, Flux
# reports; sets MERGED (the merge commit).
step_gate_and_merge() {
  local branch=$1 number=$2 previous=${3:-}
  pr_pipeline "$branch"
  [[ $RC -eq 0 ]] || fatal "status on $branch (PR $number) failed (exit $RC): $OUT $ERR"
  if [[ -z $previous ]]; then
    expect_contains "$OUT" "is the first environment so status check is skipped" "status on PR $number"
  else
    expect_contains "$OUT" "successful reconciliation for webshop-$previous found on" \
      "status on PR $number"
  fi
  MERGED=$(lf_wait_merged "$OWNER" "$REPO" "$number") || fatal "PR $number did not merge"
  expect_eq "$(bare rev-parse refs/heads/main)" "$MERGED" "main after PR $number"
}
# step_flux SHA ENV: waits for Flux's report on SHA and checks it is healthy.
step_flux() {
  local state
  state=$(lf_wait_status "$OWNER" "$REPO" "$1" "kustomization/webshop-$2") ||
    fatal "no Flux status for $2 on $1"
  expect_eq "$state" success "Flux status of webshop-$2 on $1"
}
# step_promote SHA APP TAG ENV: the main pipeline opens ENV's PR; sets PR.
step_promote() {
  main_pipeline "$1"
  [[ $RC -eq 0 && -n $PR ]] || fatal "promote on $1 failed (exit $RC): $OUT $ERR"
  expect_eq "$(pr_field "$PR" title)" "$(title "$2" "$3" "$4")" "title of PR $PR"
  expect_contains "$(pr_field "$PR" body)" "\"sha\":\"$1\"" "metadata of PR $PR records the merge commit"
}

# dev → qa → prod for APP TAG; ends with the prod PR open (PR).
walk() {
  local app=$1 tag=$2 branch=${3:-promote/webshop-$1}
  step_new "$app" "$tag" dev
  expect_eq "$(pr_field "$PR" auto_merge.merge_method)" "${MERGE_METHOD:-merge}" "auto-merge of dev PR"
  step_gate_and_merge "$branch" "$PR"
  step_flux "$MERGED" dev
  expect_eq "$(tag_at "$MERGED" "$app" dev)" "$tag" "dev tag on main"
  step_promote "$MERGED" "$app" "$tag" qa
  expect_eq "$(pr_field "$PR" auto_merge.merge_method)" "${MERGE_METHOD:-merge}" "auto-merge of qa PR"
  step_gate_and_merge "$branch" "$PR" dev
  step_flux "$MERGED" qa
  expect_eq "$(tag_at "$MERGED" "$app" qa)" "$tag" "qa tag on main"
  expect_eq "$(tag_at "$MERGED" "$app" prod)" 1.0.0 "prod untouched on main"
  step_promote "$MERGED" "$app" "$tag" prod
  expect_eq "$(pr_field "$PR" auto_merge)" null "prod is manual: no auto-merge"
}

# enable_auto_merge NUMBER: auto-merge turned on by hand through the forge's API.
enable_auto_merge() {
  local api
  api=$(lf_repo_api "$PROVIDER" "$OWNER" "$REPO")
  case $PROVIDER in
  github)
    lf_api POST "$LF_API/graphql" "$(jq -cn --arg id "$(pr_field "$1" node_id)" \
      '{query: "mutation($id: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: MERGE}) { clientMutationId } }", variables: {id: $id}}')" \
      >/dev/null
    ;;
  azdo)
    lf_api PATCH "$api/pullrequests/$1?api-version=7.1" \
      '{"autoCompleteSetBy":{"id":"6b7b5d4a-1f0e-4c6e-9a55-0d3f8f1f2a77"}}' >/dev/null
    ;;
  gitea)
    lf_api POST "$api/pulls/$1/merge" '{"Do":"merge","merge_when_checks_succeed":true}' >/dev/null
    ;;
  gitlab)
    lf_api PUT "$api/merge_requests/$1/merge" '{"merge_when_pipeline_succeeds":true}' >/dev/null
    ;;
  esac
}

# --- scenarios ---------------------------------------------------------------------------------

scenario_walk() {
  new_repo
  # A commit that no PR made: promote skips it (exit 0).
  main_pipeline "$(bare rev-parse refs/heads/main)"
  expect_eq "$RC" 0 "promote on the initial commit"
  expect_eq "$OUT" "skipping promotion as commit does not originate from PR" "promote on the initial commit"

  walk cart 1.1.0
  local prod=$PR
  # Someone turned auto-merge on for the prod PR: a re-run of promote turns it off again (prod is
  # manual) and reuses the PR.
  enable_auto_merge "$prod"
  [[ $(pr_field "$prod" auto_merge) != null ]] || fatal "could not turn auto-merge on for PR $prod"
  main_pipeline "$MERGED"
  expect_eq "$RC" 0 "promote re-run"
  expect_eq "$PR" "$prod" "promote re-run reuses the prod PR"
  expect_eq "$(pr_field "$prod" auto_merge)" null "promote turns auto-merge off for a manual environment"
  pr_pipeline promote/webshop-cart
  expect_eq "$RC" 0 "status on the prod PR"
  expect_contains "$OUT" "successful reconciliation for webshop-qa found on" "status on the prod PR"
  # A detached checkout without the CI's branch variable: the PR is found by its head commit.
  run_gp "$WORK/ci-pr-promote-webshop-cart" -- status
  expect_eq "$RC" 0 "status on a detached HEAD without a branch variable"
  expect_contains "$OUT" "successful reconciliation for webshop-qa found on" \
    "status on a detached HEAD without a branch variable"
  lf_admin POST tick >/dev/null
  sleep 0.2
  lf_admin POST tick >/dev/null
  expect_eq "$(pr_field "$prod" state)" open "the prod PR waits for a person"
  expect_eq "$(pr_field "$prod" merged)" false "the prod PR is not merged"
  expect_eq "$(tag_at "promote/webshop-cart" cart prod)" 1.1.0 "prod PR's change"
  expect_eq "$(tag_at main cart prod)" 1.0.0 "main's prod until a person merges"
  expect_eq "$(open_prs | wc -l)" 1 "open PRs at the end"
  # promote on the qa merge commit again: the same prod PR, no second one.
  main_pipeline "$MERGED"
  expect_eq "$RC" 0 "promote re-run"
  expect_eq "$PR" "$prod" "promote re-run reuses the prod PR"
  expect_eq "$(open_prs | wc -l)" 1 "open PRs after the re-run"
  ci_outputs "$prod"
}

# ci_outputs PROD: promote and status once more with the variables the CI system sets, checking
# what the pipeline receives (GitHub Actions outputs file / Azure Pipelines output variables).
ci_outputs() {
  local prod=$1 dir="$WORK/ci-pr-promote-webshop-cart" outputs="$WORK/github_output"
  case $PROVIDER in
  github | gitea)
    : >"$outputs"
    run_gp "$WORK/ci-main-$MERGED" GITHUB_ACTIONS=true "GITHUB_OUTPUT=$outputs" \
      "GITHUB_STEP_SUMMARY=$WORK/summary" -- promote
    expect_eq "$RC" 0 "promote as a GitHub Actions step"
    expect_eq "$(sed -n '/^pr-number<</{n;p;}' "$outputs")" "$prod" "pr-number output of promote"
    expect_eq "$(sed -n '/^branch<</{n;p;}' "$outputs")" promote/webshop-cart "branch output of promote"
    expect_no_token_in "$outputs"
    run_gp "$dir" GITHUB_ACTIONS=true GITHUB_HEAD_REF=promote/webshop-cart "GITHUB_OUTPUT=$outputs" \
      -- status
    expect_eq "$RC" 0 "status as a GitHub Actions step"
    ;;
  azdo)
    run_gp "$WORK/ci-main-$MERGED" TF_BUILD=True BUILD_SOURCEBRANCH=refs/heads/main -- promote
    expect_eq "$RC" 0 "promote as an Azure Pipelines step"
    expect_contains "$OUT" "##vso[task.setvariable variable=prNumber;isOutput=true]$prod" \
      "prNumber output variable of promote"
    expect_contains "$OUT" "##vso[task.setvariable variable=branch;isOutput=true]promote/webshop-cart" \
      "branch output variable of promote"
    run_gp "$dir" TF_BUILD=True BUILD_SOURCEBRANCH="refs/pull/$prod/merge" \
      SYSTEM_PULLREQUEST_SOURCEBRANCH=refs/heads/promote/webshop-cart -- status
    expect_eq "$RC" 0 "status as an Azure Pipelines PR validation"
    expect_contains "$OUT" "successful reconciliation for webshop-qa found on" \
      "status as an Azure Pipelines PR validation"
    ;;
  gitlab)
    # A merge request pipeline checks out the head detached; GitLab CI names the source branch.
    run_gp "$dir" GITLAB_CI=true CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=promote/webshop-cart \
      "CI_MERGE_REQUEST_IID=$prod" -- status
    expect_eq "$RC" 0 "status in a GitLab merge request pipeline"
    expect_contains "$OUT" "successful reconciliation for webshop-qa found on" \
      "status in a GitLab merge request pipeline"
    ;;
  esac
}

# The gate on the prod PR: qa still reconciling (timeout), qa broken (fails at once), then a later
# green commit on main unblocks it.
scenario_gate() {
  new_repo "status_timeout_minutes: 2s
status:
  poll_interval: 1s" "$(jq -c '.flux[1].state = "pending"' <<<"$(lf_default_settings)")"
  step_new cart 1.1.0 dev
  step_gate_and_merge promote/webshop-cart "$PR"
  step_flux "$MERGED" dev
  step_promote "$MERGED" cart 1.1.0 qa
  step_gate_and_merge promote/webshop-cart "$PR" dev
  local qa_merge=$MERGED
  expect_eq "$(lf_wait_status "$OWNER" "$REPO" "$qa_merge" kustomization/webshop-qa)" pending \
    "Flux reports qa in progress"
  step_promote "$qa_merge" cart 1.1.0 prod
  local prod=$PR
  pr_pipeline promote/webshop-cart
  expect_eq "$RC" 1 "status times out while qa is pending"
  expect_contains "$ERR" "commit status check for webshop-qa has timed out \"$qa_merge\"" \
    "timeout message"
  expect_contains "$ERR" "kustomization/webshop-qa: pending" "timeout message lists what was seen"
  expect_contains "$OUT$ERR" "retrying status check for webshop-qa" "status polled before giving up"

  # The rollout fails: Flux reports the failure on the same commit.
  lf_post_status "$PROVIDER" "$OWNER" "$REPO" "$qa_merge" kustomization webshop-qa failure >/dev/null ||
    fatal "cannot post Flux's failure"
  pr_pipeline promote/webshop-cart
  expect_eq "$RC" 1 "status on the prod PR while qa is broken"
  expect_contains "$ERR" "failed reconciliation for webshop-qa found on \"$qa_merge\"" "gate message"
  expect_contains "$ERR" "kustomization/webshop-qa: failure" "gate message lists what was seen"
  expect_eq "$(pr_field "$prod" state)" open "the prod PR stays open"

  # Someone fixes qa on main; Flux reports the new commit healthy; the gate opens.
  lf_admin POST settings "$(jq -c --arg o "$OWNER" --arg r "$REPO" \
    '. + {owner: $o, repo: $r}' <<<"$(lf_default_settings)")" >/dev/null
  local fix="$WORK/fix"
  lf_ci_checkout "$PROVIDER" "$OWNER" "$REPO" "$fix" || fatal "clone failed"
  sed -i 's/replicas: 2/replicas: 3/' "$fix/webshop/qa/cart/deployment.yaml"
  git -C "$fix" commit -q -am "qa: more replicas" &&
    git -C "$fix" push -q "$(lf_auth_url "$PROVIDER" "$OWNER" "$REPO")" HEAD:main ||
    fatal "push of the fix failed"
  local fixed
  fixed=$(git -C "$fix" rev-parse HEAD)
  step_flux "$fixed" qa
  pr_pipeline promote/webshop-cart
  expect_eq "$RC" 0 "status on the prod PR after the fix"
  expect_contains "$OUT" "successful reconciliation for webshop-qa found on main at $fixed" \
    "gate message after the fix"
  expect_eq "$(pr_field "$prod" state)" open "the prod PR still waits for a person"
}

scenario_two_apps() {
  new_repo
  app_pipeline cart 1.1.0 &
  local cart_job=$!
  (
    dir="$WORK/ci-app-webui"
    lf_ci_checkout "$PROVIDER" "$OWNER" "$REPO" "$dir" &&
      run_gp "$dir" -- new --group webshop --app webui --tag 2.0.0 && exit "$RC"
  ) >"$WORK/webui.log" 2>&1
  local webui_rc=$?
  wait "$cart_job"
  [[ $webui_rc -eq 0 ]] || fatal "new webui failed: $(cat "$WORK/webui.log")"
  local cart_pr webui_pr
  cart_pr=$(lf_pr "$OWNER" "$REPO" promote/webshop-cart | jq -r .number)
  webui_pr=$(lf_pr "$OWNER" "$REPO" promote/webshop-webui | jq -r .number)
  [[ $cart_pr != null && $webui_pr != null && $cart_pr != "$webui_pr" ]] ||
    fatal "two dev PRs expected, got [$(open_prs)]"
  local env previous="" cart_merge webui_merge
  for env in dev qa; do
    step_gate_and_merge promote/webshop-cart "$cart_pr" $previous
    cart_merge=$MERGED
    step_gate_and_merge promote/webshop-webui "$webui_pr" $previous
    webui_merge=$MERGED
    step_flux "$cart_merge" "$env"
    step_flux "$webui_merge" "$env"
    local next=qa
    [[ $env == qa ]] && next=prod
    # Both main pipelines run at the same time.
    main_pipeline "$cart_merge" &
    local job=$!
    step_promote "$webui_merge" webui 2.0.0 "$next"
    webui_pr=$PR
    wait "$job"
    cart_pr=$(lf_pr "$OWNER" "$REPO" promote/webshop-cart | jq -r .number)
    expect_eq "$(pr_field "$cart_pr" title)" "$(title cart 1.1.0 "$next")" "cart's $next PR"
    previous=$env
  done
  expect_eq "$(open_prs | wc -l)" 2 "two prod PRs wait for a person"
  expect_eq "$(tag_at main cart qa) $(tag_at main webui qa)" "1.1.0 2.0.0" "both apps in qa"
  expect_eq "$(tag_at promote/webshop-cart cart prod)" 1.1.0 "cart's prod PR"
  expect_eq "$(tag_at promote/webshop-webui webui prod)" 2.0.0 "webui's prod PR"
}

# A new image while the app's qa PR is open (its check has not run yet).
new_image_during_qa() {
  step_new cart 1.1.0 dev
  step_gate_and_merge "$1" "$PR"
  step_flux "$MERGED" dev
  step_promote "$MERGED" cart 1.1.0 qa
  QA_PR=$PR
  step_new cart 1.2.0 dev
  DEV_PR=$PR
}

scenario_replace_per_app() {
  new_repo
  new_image_during_qa promote/webshop-cart
  expect_eq "$DEV_PR" "$QA_PR" "per-app: the 1.2.0 dev promotion takes over the qa PR"
  expect_eq "$(open_prs)" "$QA_PR promote/webshop-cart $(title cart 1.2.0 dev)" "per-app: one PR"
  expect_eq "$(tag_at promote/webshop-cart cart dev)" 1.2.0 "per-app: the branch carries 1.2.0"
  expect_eq "$(tag_at promote/webshop-cart cart qa)" 1.0.0 "per-app: qa's 1.1.0 change is gone"
}

scenario_keep_per_env() {
  new_repo "prflow: per-env
status_timeout_minutes: 30s
status:
  poll_interval: 1s"
  new_image_during_qa promote/dev/webshop-cart
  [[ $DEV_PR != "$QA_PR" ]] || fail "per-env: the dev promotion must not reuse the qa PR"
  expect_eq "$(open_prs | sort -n)" "$QA_PR promote/qa/webshop-cart $(title cart 1.1.0 qa)
$DEV_PR promote/dev/webshop-cart $(title cart 1.2.0 dev)" "per-env: both PRs stay"
  expect_eq "$(tag_at promote/qa/webshop-cart cart qa)" 1.1.0 "per-env: qa PR unchanged"
}

scenario_fault_rerun() {
  new_repo
  lf_admin POST faults "{\"path_regex\":\"$CALL_CREATE\",\"method\":\"POST\",\"count\":20,\"action\":\"500\"}" \
    >/dev/null || fatal "cannot inject the fault"
  app_pipeline cart 1.1.0
  expect_eq "$RC" 1 "new fails when the PR cannot be created"
  expect_contains "$ERR" "Application failed with error:" "failure message"
  expect_eq "$(bare rev-parse --verify -q refs/heads/promote/webshop-cart >/dev/null && echo pushed)" \
    pushed "the branch was pushed before the failure"
  expect_eq "$(lf_state | jq --arg k "$OWNER/$REPO" '[.pull_requests[] | select(.repo == $k)] | length')" \
    0 "no PR after the failure"
  lf_admin DELETE faults >/dev/null
  app_pipeline cart 1.1.0
  expect_eq "$RC" 0 "the re-run converges"
  local first=$PR
  app_pipeline cart 1.1.0
  expect_eq "$RC" 0 "a second re-run"
  expect_eq "$PR" "$first" "the second re-run reuses the PR"
  expect_eq "$(lf_state | jq --arg k "$OWNER/$REPO" '[.pull_requests[] | select(.repo == $k)] | length')" \
    1 "exactly one PR, never a duplicate"
  expect_eq "$(tag_at promote/webshop-cart cart dev)" 1.1.0 "the tag is not lost"
  step_gate_and_merge promote/webshop-cart "$first"
  expect_eq "$(tag_at main cart dev)" 1.1.0 "dev after the merge"
  step_flux "$MERGED" dev

  # promote cannot look up the PR behind the commit: an error, never "does not originate from PR".
  lf_admin POST faults "{\"path_regex\":\"${CALL_LOOKUP#* }\",\"count\":20,\"action\":\"500\"}" \
    >/dev/null || fatal "cannot inject the fault"
  main_pipeline "$MERGED"
  expect_eq "$RC" 1 "promote fails when the PR lookup fails"
  [[ $OUT != *"skipping"* ]] || fail "a failed lookup must not be a silent skip: $OUT"
  lf_admin DELETE faults >/dev/null
  main_pipeline "$MERGED"
  expect_eq "$RC" 0 "promote after the lookup recovers"
  expect_eq "$(pr_field "$PR" title)" "$(title cart 1.1.0 qa)" "qa PR after the re-run"
}

# A failure between the push and the PR update never lets the wrong version merge or be promoted:
# auto-merge goes off first, the required check fails while the PR and its branch disagree, and
# the re-run converges to a PR that describes its branch; promote then takes what was merged.
scenario_integrity() {
  new_repo
  step_new cart 2.0.0 dev
  local first=$PR update=$CALL_UPDATE
  # Only the update of title and description fails (auto-merge requests are PATCHes too on Azure).
  lf_admin POST faults "{\"path_regex\":\"$update\",\"method\":\"$UPDATE_METHOD\",\"body_contains\":\"\\\"title\\\"\",\"count\":20,\"action\":\"500\"}" \
    >/dev/null || fatal "cannot inject the fault"
  app_pipeline cart 3.0.0
  expect_eq "$RC" 1 "new fails when the PR cannot be updated"
  lf_admin DELETE faults >/dev/null
  expect_eq "$(tag_at promote/webshop-cart cart dev)" 3.0.0 "the branch holds the new version"
  expect_eq "$(pr_field "$first" title)" "$(title cart 2.0.0 dev)" "the PR still says the old one"
  expect_eq "$(pr_field "$first" auto_merge)" null "auto-merge is off while they disagree"
  pr_pipeline promote/webshop-cart
  expect_eq "$RC" 1 "the required check fails while the PR and its branch disagree"
  expect_contains "$ERR" "does not describe what it would merge" "the check says why"
  expect_eq "$(pr_field "$first" state)" open "nothing merged"
  # The re-run converges, and what merges is what qa gets.
  step_new cart 3.0.0 dev
  expect_eq "$PR" "$first" "the same PR"
  step_gate_and_merge promote/webshop-cart "$PR"
  expect_eq "$(tag_at "$MERGED" cart dev)" 3.0.0 "dev runs 3.0.0"
  step_flux "$MERGED" dev
  step_promote "$MERGED" cart 3.0.0 qa
  expect_eq "$(tag_at promote/webshop-cart cart qa)" 3.0.0 "qa's branch holds 3.0.0"
}

# A server that echoes the Authorization header and CI commands in its error messages: no token
# (plain or base64) and no injected command reaches the log, in text or JSON, on either CI.
scenario_hostile_server() {
  new_repo
  local create=$CALL_CREATE basic
  basic=$(printf ':%s' "$TOKEN" | base64 -w0)
  local ci format dir="$WORK/ci-hostile"
  lf_ci_checkout "$PROVIDER" "$OWNER" "$REPO" "$dir" || fatal "clone failed"
  for ci in TF_BUILD=True GITHUB_ACTIONS=true; do
    for format in text json; do
      lf_admin POST faults "{\"path_regex\":\"$create\",\"method\":\"POST\",\"count\":5,\"action\":\"echo\"}" \
        >/dev/null || fatal "cannot inject the fault"
      run_gp "$dir" "$ci" "GITHUB_OUTPUT=$WORK/gh-out" "GITHUB_STEP_SUMMARY=$WORK/gh-sum" -- \
        new --group webshop --app cart --tag 4.0.0 --output "$format"
      lf_admin DELETE faults >/dev/null
      expect_eq "$RC" 1 "new fails on the hostile answer ($ci $format)"
      expect_contains "$ERR$OUT" "pwned by the server" "the server's message is shown ($ci $format)"
      local all="$OUT"$'\n'"$ERR"
      [[ $all != *"$basic"* ]] || fail "the base64 token appears ($ci $format)"
      while IFS= read -r line; do
        case $line in
        '##vso[task.logissue type=error]'*) ;;
        *'##vso['*) fail "an injected Azure command reached the log ($ci $format): $line" ;;
        esac
        if [[ $line =~ ^[[:space:]]*:: && $line != '::error::'* ]]; then
          fail "an injected GitHub command reached the log ($ci $format): $line"
        fi
      done <<<"$all"
      if [[ $format == json ]]; then
        jq -e '.error | test("pwned by the server")' <<<"$OUT" >/dev/null ||
          fail "--output json is not one JSON document with the error: $OUT"
      fi
      expect_no_token_in "$WORK/gh-sum"
      grep -q "$basic" "$WORK/gh-sum" 2>/dev/null && fail "the base64 token is in the step summary"
    done
  done
}

# An API that accepts the connection and never answers: the command's deadline (--timeout) ends
# it, saying what it was waiting for, long before the per-request retries would.
scenario_deadline() {
  new_repo
  local dir="$WORK/ci-deadline" started elapsed
  lf_ci_checkout "$PROVIDER" "$OWNER" "$REPO" "$dir" || fatal "clone failed"
  lf_admin POST faults '{"path_regex":".*","method":"GET","count":5,"action":"delay","delay_ms":20000}' \
    >/dev/null || fatal "cannot inject the delay"
  started=$(date +%s)
  run_gp "$dir" TF_BUILD=True -- new --group webshop --app cart --tag 5.0.0 --timeout 2s
  elapsed=$(($(date +%s) - started))
  lf_admin DELETE faults >/dev/null
  expect_eq "$RC" 1 "the deadline ends the run"
  expect_contains "$ERR" "gave up after --timeout 2s: still waiting for an answer to GET $API" \
    "the message says what was awaited"
  expect_contains "$OUT" "##vso[task.logissue type=error]gave up after --timeout 2s" "CI is told"
  ((elapsed < 15)) || fail "the deadline took ${elapsed}s"
  [[ -z $(bare for-each-ref refs/heads/promote) ]] || fail "nothing may be pushed"
  run_gp "$dir" -- new --group webshop --app cart --tag 5.0.0 --timeout 0s
  expect_eq "$RC" 2 "--timeout 0s is a usage error"
  expect_contains "$ERR" "--timeout" "the usage error names the flag"
}

# Several `new` runs for the same app at once: whatever order their requests land in, the one PR
# describes the commit its branch holds, and a re-run of any of them converges.
scenario_concurrency() {
  new_repo
  step_new cart 1.1.0 dev
  local first=$PR n pids=() tag
  for n in 1 2 3 4; do
    lf_ci_checkout "$PROVIDER" "$OWNER" "$REPO" "$WORK/ci-race-$n" || fatal "clone failed"
  done
  # Two of the PR updates are slow, so other runs push between a run's push and its update.
  local update=$CALL_UPDATE
  lf_admin POST faults "{\"path_regex\":\"$update\",\"method\":\"$UPDATE_METHOD\",\"body_contains\":\"\\\"title\\\"\",\"count\":2,\"action\":\"delay\",\"delay_ms\":400}" \
    >/dev/null || fatal "cannot inject the delay"
  for n in 1 2 3 4; do
    (
      run_gp "$WORK/ci-race-$n" -- new --group webshop --app cart --tag "2.0.$n"
      echo "$RC" >"$WORK/rc.$n"
      printf '%s\n%s\n' "$OUT" "$ERR" >"$WORK/run.$n.log"
    ) &
    pids+=($!)
  done
  wait "${pids[@]}"
  local outcomes=""
  for n in 1 2 3 4; do
    outcomes+="run $n: exit $(cat "$WORK/rc.$n"): $(tail -n 2 "$WORK/run.$n.log")"$'\n'
  done
  echo "$outcomes"
  # Every run either made the PR describe its commit, saw it superseded (exit 0), or failed
  # naming the race.
  for n in 1 2 3 4; do
    if [[ $(cat "$WORK/rc.$n") != 0 ]]; then
      expect_contains "$(cat "$WORK/run.$n.log")" "another run" "run $n failed for another reason"
    fi
  done
  expect_eq "$(open_prs | wc -l)" 1 "one open PR"
  tag=$(tag_at promote/webshop-cart cart dev)
  # A run that lost a race and could not repair the PR says so; a re-run of it converges.
  if [[ $(pr_field "$first" title) != "$(title cart "$tag" dev)" ]]; then
    app_pipeline cart "$tag"
    expect_eq "$RC" 0 "a re-run converges"
  fi
  expect_eq "$(pr_field "$first" title)" "$(title cart "$tag" dev)" "the PR describes its branch"
  pr_pipeline promote/webshop-cart
  expect_eq "$RC" 0 "the required check agrees"
}

# check_describes NUMBER ENV: the PR's metadata names the version its branch holds for ENV.
check_describes() {
  local body tag
  body=$(pr_field "$1" body)
  tag=$(tag_at promote/webshop-cart cart "$2")
  expect_contains "$body" "\"tag\":\"$tag\"" "PR $1 describes what its branch holds ($2 $tag)"
}

# Every forge call of `new` and `promote` × {500, 502, 503, 429, secondary limit, cut connection},
# twice in a row (retries win) and, for 500, for good (the run fails): each run ends in success or
# a clear error, the re-run converges, and the PR always describes its branch; what merges is what
# the next environment gets.
scenario_fault_matrix() {
  new_repo
  step_new cart 1.0.1 dev
  local first=$PR n=1 call action count calls
  case $PROVIDER in
  # (Creating the PR under faults: scenario fault_rerun.)
  github) calls=("GET .*/pulls$" "PATCH .*/pulls/[0-9]+$" "POST /graphql$") ;;
  azdo) calls=("GET .*/pullrequests$" "PATCH .*/pullrequests/[0-9]+$") ;;
  gitea) calls=("GET .*/pulls$" "PATCH .*/pulls/[0-9]+$" "POST .*/pulls/[0-9]+/merge$") ;;
  gitlab) calls=("GET .*/merge_requests$" "PUT .*/merge_requests/[0-9]+$" "PUT .*/merge_requests/[0-9]+/merge$") ;;
  esac
  for call in "${calls[@]}"; do
    for action in 500 502 503 429 403-secondary drop 500-for-good; do
      count=2
      [[ $action == 500-for-good ]] && count=50 action=500
      n=$((n + 1))
      lf_admin POST faults "{\"path_regex\":\"${call#* }\",\"method\":\"${call%% *}\",\"count\":$count,\"action\":\"$action\",\"retry_after\":1}" \
        >/dev/null || fatal "cannot inject $action on $call"
      app_pipeline cart "1.0.$n"
      lf_admin DELETE faults >/dev/null
      # A fault for good proves the call is made.
      [[ $count -eq 50 && $RC -eq 0 ]] && fail "new did not meet the fault on $call"
      if [[ $RC -ne 0 ]]; then
        expect_eq "$RC" 1 "new under $action x$count on $call: exit code"
        expect_contains "$ERR" "Application failed with error:" "new under $action x$count on $call: message"
        app_pipeline cart "1.0.$n"
        expect_eq "$RC" 0 "the re-run after $action x$count on $call converges"
      fi
      expect_eq "$(open_prs | wc -l)" 1 "one PR after $action x$count on $call"
      check_describes "$first" dev
      expect_eq "$(tag_at promote/webshop-cart cart dev)" "1.0.$n" "the branch holds the last version"
    done
  done
  step_gate_and_merge promote/webshop-cart "$first"
  expect_eq "$(tag_at "$MERGED" cart dev)" "1.0.$n" "dev runs what the PR said"
  step_flux "$MERGED" dev
  # promote's lookup of the merged PR, then its own PR calls, under faults.
  local lookup=$CALL_LOOKUP
  for call in "$lookup" "${calls[@]}"; do
    for action in 503 500-for-good; do
      count=2
      [[ $action == 500-for-good ]] && count=50 action=500
      lf_admin POST faults "{\"path_regex\":\"${call#* }\",\"method\":\"${call%% *}\",\"count\":$count,\"action\":\"$action\"}" \
        >/dev/null || fatal "cannot inject $action on $call"
      main_pipeline "$MERGED"
      lf_admin DELETE faults >/dev/null
      [[ $count -eq 50 && $RC -eq 0 && $call == "$lookup" ]] && fail "promote did not meet the fault on $call"
      if [[ $RC -ne 0 ]]; then
        expect_contains "$ERR" "Application failed with error:" "promote under $action x$count on $call"
        [[ $OUT != *skipping* ]] || fail "a failed promote must not be a skip: $OUT"
        main_pipeline "$MERGED"
        expect_eq "$RC" 0 "promote re-run after $action x$count on $call"
      fi
      expect_eq "$(pr_field "$PR" title)" "$(title cart "1.0.$n" qa)" "qa gets what dev runs"
      check_describes "$PR" qa
    done
  done
}

scenario_upstream_pr() {
  new_repo
  # What upstream's Go tool leaves behind: its branch, commit and PR (body bytes of §4).
  local dir="$WORK/upstream" base head body api number
  lf_ci_checkout "$PROVIDER" "$OWNER" "$REPO" "$dir" || fatal "clone failed"
  base=$(git -C "$dir" rev-parse HEAD)
  git -C "$dir" checkout -q -b promote/webshop-cart
  sed -i 's|cart:1.0.0 #|cart:1.3.0 #|' "$dir/webshop/dev/cart/deployment.yaml"
  GIT_AUTHOR_NAME=gitops-promotion GIT_AUTHOR_EMAIL=gitops-promotion@xenit.se \
    git -C "$dir" commit -q -am "$(title cart 1.3.0 dev)"
  git -C "$dir" push -q -f "$(lf_auth_url "$PROVIDER" "$OWNER" "$REPO")" promote/webshop-cart ||
    fatal "push failed"
  head=$(git -C "$dir" rev-parse HEAD)
  body=$(printf '<!-- metadata = {"group":"webshop","app":"cart","tag":"1.3.0","env":"dev","sha":"%s","feature":"","type":"promote"} -->\n\tENV: dev\n\tAPP: cart\n\tTAG: 1.3.0' "$base")
  api=$(lf_repo_api "$PROVIDER" "$OWNER" "$REPO")
  lf_post_status "$PROVIDER" "$OWNER" "$REPO" "$head" gitops-promotion status success >/dev/null
  case $PROVIDER in
  github)
    number=$(lf_api POST "$api/pulls" "$(jq -cn --arg t "$(title cart 1.3.0 dev)" --arg b "$body" \
      '{head: "promote/webshop-cart", base: "main", title: $t, body: $b}')" | jq -r .number)
    lf_api PUT "$api/pulls/$number/merge" '{"merge_method":"merge"}' >/dev/null ||
      fatal "merging the upstream PR failed"
    ;;
  azdo)
    number=$(lf_api POST "$api/pullrequests?api-version=7.1" "$(jq -cn \
      --arg t "$(title cart 1.3.0 dev)" --arg b "$body" '{sourceRefName: "refs/heads/promote/webshop-cart",
       targetRefName: "refs/heads/main", title: $t, description: $b}')" | jq -r .pullRequestId)
    lf_api PATCH "$api/pullrequests/$number?api-version=7.1" \
      "{\"status\":\"completed\",\"lastMergeSourceCommit\":{\"commitId\":\"$head\"}}" >/dev/null ||
      fatal "completing the upstream PR failed"
    ;;
  gitlab)
    number=$(lf_api POST "$api/merge_requests" "$(jq -cn --arg t "$(title cart 1.3.0 dev)" --arg b "$body" \
      '{source_branch: "promote/webshop-cart", target_branch: "main", title: $t, description: $b}')" |
      jq -r .iid)
    lf_api PUT "$api/merge_requests/$number/merge" "{\"sha\":\"$head\"}" >/dev/null ||
      fatal "merging the upstream MR failed"
    ;;
  gitea)
    number=$(lf_api POST "$api/pulls" "$(jq -cn --arg t "$(title cart 1.3.0 dev)" --arg b "$body" \
      '{head: "promote/webshop-cart", base: "main", title: $t, body: $b}')" | jq -r .number)
    lf_api POST "$api/pulls/$number/merge" "{\"Do\":\"merge\",\"head_commit_id\":\"$head\"}" \
      >/dev/null || fatal "merging the upstream PR failed"
    ;;
  esac
  expect_eq "$(pr_field "$number" body)" "$body" "the upstream PR's body bytes"
  MERGED=$(lf_wait_merged "$OWNER" "$REPO" "$number") || fatal "upstream PR did not merge"
  step_flux "$MERGED" dev
  step_promote "$MERGED" cart 1.3.0 qa
  expect_eq "$(pr_field "$PR" body)" "$(printf '<!-- metadata = {"group":"webshop","app":"cart","tag":"1.3.0","env":"qa","sha":"%s","feature":"","type":"promote"} -->\n\tENV: qa\n\tAPP: cart\n\tTAG: 1.3.0' "$MERGED")" \
    "our qa PR's body bytes"
  expect_eq "$(tag_at promote/webshop-cart cart qa)" 1.3.0 "qa PR's change"
  step_gate_and_merge promote/webshop-cart "$PR" dev
  expect_eq "$(tag_at main cart qa)" 1.3.0 "qa on main"
}

scenario_squash_only() {
  new_repo "merge_method: squash
status_timeout_minutes: 30s
status:
  poll_interval: 1s" "$(jq -c '. + {allow_merge_commit: false, allow_rebase_merge: false,
    allow_squash_merge: true}' <<<"$(lf_default_settings)")"
  MERGE_METHOD=squash walk cart 1.1.0
  local merged
  merged=$(lf_state | jq -r --arg k "$OWNER/$REPO" \
    '[.pull_requests[] | select(.repo == $k and .merged) | .merge_method] | join(" ")')
  expect_eq "$merged" "squash squash" "both automated PRs were squashed"
  expect_eq "$(bare rev-list --merges --count main)" 0 "no merge commit on main"
  expect_eq "$(pr_field "$PR" state)" open "the prod PR waits for a person"
}

# feature_repo: the sample with kustomizations for each environment and cart's feature selector.
feature_repo() {
  rm -rf "$WORK/sample"
  lf_sample_repo "$WORK/sample" "status_timeout_minutes: 30s
status:
  poll_interval: 1s
groups:
  webshop:
    applications:
      cart:
        featureLabelSelector:
          app: cart"
  local env
  for env in dev qa prod; do
    printf 'resources:\n- cart\n- webui\n' >"$WORK/sample/webshop/$env/kustomization.yaml"
    printf 'resources:\n- deployment.yaml\ncommonLabels:\n  app: cart\n' \
      >"$WORK/sample/webshop/$env/cart/kustomization.yaml"
  done
  lf_create_repo "$PROVIDER" "$OWNER" "$REPO" "$WORK/sample" "$(lf_default_settings)" ||
    fatal "cannot create $OWNER/$REPO"
}

# feature_pipeline TAG: `feature` for cart from a fresh clone of main; sets PR.
feature_pipeline() {
  local dir="$WORK/ci-feature"
  lf_ci_checkout "$PROVIDER" "$OWNER" "$REPO" "$dir" || fatal "clone failed"
  run_gp "$dir" -- feature --group webshop --app cart --tag "$1" --feature "PR-42"
  [[ $RC -eq 0 ]] || fatal "feature $1 failed (exit $RC): $ERR"
  PR=$(pr_number_of "$OUT")
}

# A review feature: opened, updated by a re-run, merged, never promoted.
scenario_feature() {
  feature_repo
  local branch=feature/webshop-cart-pr-42 copy=webshop/dev/cart-pr-42 first
  feature_pipeline 2.0.0
  first=$PR
  expect_contains "$ERR" "rendering webshop/dev with" "feature says which kustomize it used"
  expect_eq "$(pr_field "$PR" title)" "Review webshop/cart feature pr-42 in environment dev" "title"
  expect_contains "$(pr_field "$PR" body)" '"feature":"pr-42","type":"feature"' "metadata"
  expect_contains "$(bare show "$branch:$copy/apps_v1_Deployment--cart.yaml")" \
    "image: registry.example.com/webshop/cart:2.0.0" "the copy runs the feature's tag"
  expect_contains "$(bare show "$branch:$copy/kustomization.yaml")" "nameSuffix:" "copy's kustomization"
  # A re-run with another tag updates the same branch and PR, with one resources entry.
  feature_pipeline 2.0.1
  expect_eq "$PR" "$first" "the re-run updates the same PR"
  expect_contains "$(bare show "$branch:$copy/apps_v1_Deployment--cart.yaml")" "cart:2.0.1" "updated tag"
  expect_eq "$(bare show "$branch:webshop/dev/kustomization.yaml")" "resources:
- cart
- webui
- cart-pr-42" "one resources entry, every other byte kept"
  expect_eq "$(open_prs | wc -l)" 1 "one open PR"
  # The required check skips feature PRs; dev is automated, so it merges; promote skips it.
  pr_pipeline "$branch"
  [[ $RC -eq 0 ]] || fail "status on the feature PR failed: $OUT $ERR"
  MERGED=$(lf_wait_merged "$OWNER" "$REPO" "$first") || fatal "the feature PR did not merge"
  main_pipeline "$MERGED"
  expect_eq "$RC" 0 "promote after the feature merged"
  expect_contains "$OUT" "skipping promotion of feature" "promote skips a feature"
  expect_eq "$(open_prs | wc -l)" 0 "no promotion PR for a feature"
}

# feature-stale: nothing stale, then a copy whose last commit is old is removed in one PR.
scenario_feature_stale() {
  feature_repo
  feature_pipeline 2.0.0
  pr_pipeline feature/webshop-cart-pr-42
  MERGED=$(lf_wait_merged "$OWNER" "$REPO" "$PR") || fatal "the feature PR did not merge"
  local dir="$WORK/ci-stale"
  lf_ci_checkout "$PROVIDER" "$OWNER" "$REPO" "$dir" || fatal "clone failed"
  run_gp "$dir" -- feature-stale
  expect_eq "$RC" 0 "feature-stale with nothing stale"
  expect_eq "$OUT" "No stale application to remove, exiting early." "upstream's message"
  expect_eq "$(open_prs | wc -l)" 0 "nothing stale opens no PR"
  # The copy's last change lands on main with a commit authored long ago.
  printf '# touched\n' >>"$dir/webshop/dev/cart-pr-42/kustomization.yaml"
  git -C "$dir" add -A
  GIT_AUTHOR_DATE=2020-01-01T00:00:00Z git -C "$dir" -c user.name=dev -c user.email=dev@example.com \
    commit -q -m "an old change" || fatal "commit failed"
  git -C "$dir" push -q "$(lf_auth_url "$PROVIDER" "$OWNER" "$REPO")" HEAD:main || fatal "push failed"
  lf_ci_checkout "$PROVIDER" "$OWNER" "$REPO" "$dir" || fatal "clone failed"
  run_gp "$dir" -- feature-stale --max-age 720h
  [[ $RC -eq 0 ]] || fatal "feature-stale failed (exit $RC): $ERR"
  expect_contains "$ERR" "removing webshop/dev/cart-pr-42 (feature pr-42 of webshop/cart" "what it removes"
  PR=$(pr_number_of "$OUT")
  [[ -n $PR ]] || fatal "no PR from feature-stale: $OUT"
  expect_eq "$(pr_field "$PR" title)" "Remove stale review features" "stale PR title"
  expect_eq "$(pr_field "$PR" head)" "remove/stale-feature" "stale PR branch"
  expect_eq "$(bare ls-tree --name-only remove/stale-feature webshop/dev/)" "webshop/dev/cart
webshop/dev/kustomization.yaml
webshop/dev/webui" "the copy is gone"
  expect_eq "$(bare show remove/stale-feature:webshop/dev/kustomization.yaml)" "resources:
- cart
- webui" "its resources entry is gone"
  # A re-run converges on the same PR.
  run_gp "$dir" -- feature-stale --max-age 720h
  expect_eq "$(pr_number_of "$OUT")" "$PR" "a re-run updates the same PR"
}

# --- GitHub App authentication (GitHub only) ----------------------------------------------------

# app_secrets: every secret of the App run, one per line: the key's body lines, the installation
# tokens the simulator minted, and the base64 of x-access-token:<token> (git's Basic header).
app_secrets() {
  local t
  for f in "$WORK"/app*.pem; do
    grep -v -- '-----' "$f"
  done
  for t in $(lf_admin GET github-apps | jq -r '.tokens[]'); do
    echo "$t"
    printf 'x-access-token:%s' "$t" | base64 -w0
    echo
  done
}
# expect_no_app_secret FILE...: none of app_secrets (nor a JWT) is in FILE.
expect_no_app_secret() {
  local secret f
  while IFS= read -r secret; do
    [[ -n $secret ]] || continue
    for f in "$@"; do
      [[ -f $f ]] || continue
      if grep -qF -- "$secret" "$f"; then
        fail "a GitHub App secret appears in $f after: ${LAST_CMD[*]}"
        return
      fi
    done
  done < <(app_secrets)
  for f in "$@"; do
    [[ -f $f ]] || continue
    if grep -qE 'eyJ[A-Za-z0-9_-]{10,}\.eyJ' "$f"; then
      fail "a JSON web token appears in $f after: ${LAST_CMD[*]}"
    fi
  done
}
tokens_minted() { lf_admin GET github-apps | jq -r '.tokens_minted'; }
# refs_and_prs: what a failed command must leave as it was.
refs_and_prs() {
  bare for-each-ref --format='%(refname) %(objectname)'
  lf_state | jq -c --arg k "$OWNER/$REPO" '[.pull_requests[] | select(.repo == $k) | [.number, .state, .head_sha]]'
}
# app_failure WHAT EXPECTED_RC EXPECTED_TEXT [VAR=VALUE ...]: `new` with a broken App set-up fails
# with its own message, pushes nothing and opens nothing.
app_failure() {
  local what=$1 rc=$2 text=$3
  shift 3
  local before dir="$WORK/ci-app-failure"
  before=$(refs_and_prs)
  [[ -d $dir ]] || lf_ci_checkout "$PROVIDER" "$OWNER" "$REPO" "$dir" || fatal "clone failed"
  run_gp "$dir" "$@" -- new --group webshop --app cart --tag 9.9.9
  expect_eq "$RC" "$rc" "$what: exit code"
  expect_contains "$ERR" "$text" "$what: message"
  expect_eq "$(refs_and_prs)" "$before" "$what: nothing pushed, no PR"
  expect_no_app_secret "$WORK/out" "$WORK/err"
}

scenario_github_app() {
  [[ $PROVIDER == github ]] || fatal "GitHub Apps are GitHub's"
  # Flux reports dev 9 s after the merge, so the qa PR's status waits through token renewals.
  new_repo "status_timeout_minutes: 1m
status:
  poll_interval: 1s" "$(jq -c '.flux[0].delay_ms = 9000' <<<"$(lf_default_settings)")"
  # Keys as GitHub hands them out: PKCS#1 PEM files.
  openssl genrsa -traditional -out "$WORK/app.pem" 2048 2>/dev/null || fatal "openssl genrsa failed"
  openssl genrsa -traditional -out "$WORK/app-other.pem" 2048 2>/dev/null || fatal "openssl genrsa failed"
  local all='{"contents":"write","pull_requests":"write","statuses":"read","checks":"read","metadata":"read"}'
  lf_admin POST github-apps "$(jq -cn --rawfile k <(openssl rsa -in "$WORK/app.pem" -pubout 2>/dev/null) \
    '{id: 31337, slug: "gitops-promotion", public_key: $k}')" >/dev/null || fatal "cannot register the App"
  lf_admin POST github-apps "$(jq -cn --rawfile k <(openssl rsa -in "$WORK/app-other.pem" -pubout 2>/dev/null) \
    '{id: 555, slug: "other", public_key: $k}')" >/dev/null || fatal "cannot register the other App"
  lf_admin POST github-apps/installations "$(jq -cn --arg o "$OWNER" --arg r "$REPO" --argjson p "$all" \
    '{id: 4242, app_id: 31337, account: $o, repositories: [$r], permissions: $p}')" >/dev/null ||
    fatal "cannot install the App"
  APP_ID=31337
  APP_KEY=$WORK/app.pem

  # The walk as the App: new, the first gate, promote.
  step_new cart 1.1.0 dev
  expect_contains "$ERR" "authenticated as GitHub App 31337 (installation 4242) on $OWNER/$REPO" \
    "new says who it is"
  step_gate_and_merge promote/webshop-cart "$PR"
  local dev_merge=$MERGED
  step_promote "$dev_merge" cart 1.1.0 qa
  expect_eq "$(pr_field "$PR" auto_merge.merge_method)" merge "auto-merge of the qa PR"

  # A long status: tokens that live 6 s, Flux's dev report 9 s away. Each expired token is
  # refused by the simulator and the git server, so only renewals get the gate through.
  lf_admin POST github-apps/settings '{"token_lifetime_seconds":6}' >/dev/null
  local minted=$(tokens_minted)
  pr_pipeline promote/webshop-cart
  expect_eq "$RC" 0 "status as the App across token renewals: $ERR"
  expect_contains "$OUT" "successful reconciliation for webshop-dev found on" "status on the qa PR"
  local renewed=$(($(tokens_minted) - minted))
  ((renewed >= 2)) || fail "status minted $renewed token(s); expected the first and at least one renewal"
  MERGED=$(lf_wait_merged "$OWNER" "$REPO" "$PR") || fatal "the qa PR did not merge"
  step_flux "$MERGED" qa
  step_promote "$MERGED" cart 1.1.0 prod
  expect_eq "$(pr_field "$PR" auto_merge)" null "prod is manual: no auto-merge"
  lf_admin POST github-apps/settings '{"token_lifetime_seconds":3600}' >/dev/null

  # What the pipeline receives in GitHub Actions, and what the clones keep, hold no secret.
  run_gp "$WORK/ci-main-$MERGED" GITHUB_ACTIONS=true "GITHUB_OUTPUT=$WORK/gh-out" \
    "GITHUB_STEP_SUMMARY=$WORK/gh-sum" -- promote --output json
  expect_eq "$RC" 0 "promote re-run in Actions"
  expect_eq "$(jq -r .pull_request <<<"$OUT")" "$PR" "the JSON report names the prod PR"
  expect_no_app_secret "$WORK/out" "$WORK/err" "$WORK/gh-out" "$WORK/gh-sum" "$WORK"/ci-*/.git/config
  # The check can fail: a file holding a minted token, a line of the key, or a JWT is caught.
  local probe="$WORK/probe" counted=$FAILURES caught
  for caught in "$(lf_admin GET github-apps | jq -r '.tokens[0]')" "$(sed -n 5p "$WORK/app.pem")" \
    "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.sig"; do
    echo "log line $caught" >"$probe"
    expect_no_app_secret "$probe" 2>/dev/null
  done
  if ((FAILURES == counted + 3)); then
    FAILURES=$counted
  else
    FAILURES=$counted
    fail "the secret check missed a planted secret"
  fi

  # Each broken set-up: its own message, nothing pushed.
  app_failure "a key that is no PEM" 2 "the GitHub App private key (GITHUB_APP_PRIVATE_KEY) is not a PEM key" \
    "GITHUB_APP_PRIVATE_KEY=not-a-key-at-all"
  APP_KEY=$WORK/app-other.pem
  app_failure "another App's key" 1 "the key does not belong to GitHub App 31337"
  APP_KEY=$WORK/app.pem
  APP_ID=999
  app_failure "a wrong App id" 1 "the key does not belong to GitHub App 999"
  APP_ID=555
  APP_KEY=$WORK/app-other.pem
  app_failure "an App not installed" 1 "GitHub App 555 is not installed on $OWNER/$REPO"
  lf_admin POST github-apps/installations "$(jq -cn --arg o "$OWNER" \
    '{id: 4343, app_id: 555, account: $o, permissions: {contents: "read", pull_requests: "write", statuses: "read"}}')" \
    >/dev/null || fatal "cannot install the other App"
  app_failure "an installation without permissions" 1 \
    "the installation 4343 of GitHub App 555 lacks contents: write (has read), checks: read"
  APP_ID=31337
  APP_KEY=$WORK/app.pem
  APP_INSTALLATION=7
  app_failure "an unknown installation id" 1 "GitHub App 31337 has no installation 7"
  APP_INSTALLATION=""
  lf_admin POST github-apps/settings '{"clock_offset_seconds":-600}' >/dev/null
  app_failure "a clock 10 minutes ahead" 1 "this machine's clock is 600 seconds ahead of GitHub's"
  lf_admin POST github-apps/settings '{"clock_offset_seconds":0}' >/dev/null
  app_failure "a token and an App" 2 "both a token (GITOPS_PROMOTION_TOKEN) and GitHub App credentials" \
    "GITOPS_PROMOTION_TOKEN=$TOKEN"
  # Back to a good set-up, with the installation named: it works again.
  APP_INSTALLATION=4242
  step_new webui 2.0.0 dev
  expect_no_app_secret "$WORK/out" "$WORK/err"
}

declare -F "scenario_$SCENARIO" >/dev/null || fatal "unknown scenario $SCENARIO"
"scenario_$SCENARIO"
if [[ -n $PRISM_PID ]] && grep -qiE 'violation|error' "$WORK/prism.log"; then
  fail "Prism reported contract violations: $(grep -iE 'violation|error' "$WORK/prism.log" | head -20)"
fi
if [[ $FAILURES -ne 0 ]]; then
  echo "e2e $PROVIDER $SCENARIO: $FAILURES failure(s)" >&2
  exit 1
fi
echo "e2e $PROVIDER $SCENARIO: ok"
