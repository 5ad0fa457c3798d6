#!/usr/bin/env bash
# The container image, for real: builds the Dockerfile with buildah (scripts/image.sh, from the
# context .dockerignore leaves) and runs the image with podman.
#
#   container_test.sh FORGE_SIM
#
# 1. `--version` through the image's own ENTRYPOINT.
# 2. new → promote → status through the Action's entrypoint, started the way the GitHub runner starts
#    a Docker action (as root; workspace, file-commands and home mounted; INPUT_*, GITHUB_OUTPUT,
#    GITHUB_STEP_SUMMARY), against the local forge (forge-sim + lighttpd git server on loopback),
#    for a workspace owned by uid 1001 (hosted runners), 1000 (a self-hosted runner) and root, each
#    on a full clone and on a `--depth 1` clone. Every run must succeed, write the outputs and the
#    summary, and leave every file it created owned by the workspace's owner.
# 3. By hand: a container started with another --user than the repository's owner gets the error
#    that names the cause and the fix, never "no git repository".
#
# The podman flags below (vfs storage, runc, cgroups, ulimits, host network) are what this build
# machine's sandbox needs to run a container; a runner's Docker needs none of them.
set -uo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 FORGE_SIM" >&2
  exit 2
fi
SIM=$1
if [[ $(id -u) -ne 0 ]]; then
  # Handing workspaces to uid 1000 and 1001 and the container storage need root (CI runs as root).
  echo "container_test: skipped, needs root" >&2
  exit 77
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../../scripts/lib/local-forge.sh
source "$ROOT/scripts/lib/local-forge.sh"
# shellcheck source=../support/expect.sh
source "$ROOT/tests/support/expect.sh"

VERSION=$(sed -n 's/^project(gitops-promotion VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
IMAGE=gitops-promotion:$VERSION
TOKEN="ctr-token-$RANDOM$RANDOM-secret"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gp-container.XXXXXX")
chmod 0755 "$WORK"
PODMAN=(podman --storage-driver "${GP_STORAGE_DRIVER:-vfs}")
RUN_FLAGS=(--rm --runtime runc --cgroups enabled --network host
  --ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
lf_isolate "$WORK" ci

cleanup() {
  lf_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the image -------------------------------------------------------------------------------------
echo "building $IMAGE (scripts/image.sh)"
start=$SECONDS
if ! bash "$ROOT/scripts/image.sh" "$IMAGE" >"$WORK/image.log" 2>&1; then
  tail -n 40 "$WORK/image.log" >&2
  fatal "the image did not build"
fi
echo "image built in $((SECONDS - start)) s"

out=$("${PODMAN[@]}" run "${RUN_FLAGS[@]}" "$IMAGE" --version 2>&1)
expect_eq "$out" "gitops-promotion $VERSION" "docker run IMAGE --version"

# The Action's entrypoint and args are what action.yml says; this test starts the image with them.
expect_eq "$(sed -n 's/^  entrypoint: *//p' "$ROOT/action.yml")" /usr/bin/tini "action.yml entrypoint"
expect_eq "$(sed -n '/^  args:/,/^[^ ]/s/^    - *//p' "$ROOT/action.yml" | tr -d '"' | tr '\n' ' ')" \
  "-- /usr/local/bin/run-as-owner /usr/local/bin/action-entrypoint.sh " "action.yml args"

lf_start "$WORK/forge" "$SIM" "$TOKEN" || fatal "local forge did not start"
OWNER=acme
# The forge the Action talks to (its provider and api-url inputs); walk() is run on each.
FORGE=github
FORGE_API=$LF_API

# action RUN_DIR UID ACTION [VAR=VALUE ...]: the runner's `docker run` of the Action for the
# workspace RUN_DIR/workspace; sets RC, OUT (stdout + stderr) and OUTPUTS (the outputs file).
action() {
  local run=$1 uid=$2 what=$3
  shift 3
  local id=$RANDOM$RANDOM
  local outputs="$run/file_commands/set_output_$id" summary="$run/file_commands/step_summary_$id"
  # The runner creates both files before the step, as its own user.
  : >"$outputs"
  : >"$summary"
  chown "$uid:$uid" "$outputs" "$summary"
  local envs=(-e GITHUB_ACTIONS=true -e CI=true -e GITHUB_WORKSPACE=/github/workspace
    -e HOME=/github/home -e "GITHUB_OUTPUT=/github/file_commands/set_output_$id"
    -e "GITHUB_STEP_SUMMARY=/github/file_commands/step_summary_$id"
    -e "INPUT_ACTION=$what" -e "INPUT_PROVIDER=$FORGE" -e "INPUT_API-URL=$FORGE_API"
    -e "INPUT_TOKEN=$TOKEN" -e INPUT_DRY-RUN=false -e INPUT_SOURCEDIR=)
  local var
  for var in "$@"; do
    envs+=(-e "$var")
  done
  "${PODMAN[@]}" run "${RUN_FLAGS[@]}" --workdir /github/workspace \
    -v "$run/workspace:/github/workspace" -v "$run/file_commands:/github/file_commands" \
    -v "$run/home:/github/home" "${envs[@]}" --entrypoint /usr/bin/tini "$IMAGE" \
    -- /usr/local/bin/run-as-owner /usr/local/bin/action-entrypoint.sh >"$WORK/out" 2>"$WORK/err"
  RC=$?
  OUT="$(cat "$WORK/out" "$WORK/err")"
  OUTPUTS=$(cat "$outputs")
  if grep -q "$TOKEN" "$WORK/out" "$WORK/err" "$outputs" "$summary"; then
    fail "the token appears in the output of the $what action"
  fi
  [[ -s $summary ]] || fail "$what action ($run): the step summary is empty"
}

output_of() { sed -n "/^$1<</{n;p;}" <<<"$OUTPUTS"; }

# checkout RUN_DIR UID full|shallow BRANCH REPO [detach]: the runner's checkout of BRANCH into
# RUN_DIR/workspace (its tip detached, as pull-request and push pipelines check out, with
# "detach"), owned by UID like everything the runner makes.
checkout() {
  local run=$1 uid=$2 depth=$3 branch=$4 repo=$5 detach=${6:-}
  rm -rf "$run"
  mkdir -p "$run/file_commands" "$run/home"
  local args=(-q)
  [[ $depth == shallow ]] && args+=(--depth 1)
  git clone "${args[@]}" --branch "$branch" "$(lf_auth_url "$FORGE" "$OWNER" "$repo")" \
    "$run/workspace" || fatal "clone of $repo ($branch) failed"
  git -C "$run/workspace" remote set-url origin "$(lf_remote_url "$FORGE" "$OWNER" "$repo")"
  if [[ $detach == detach ]]; then
    git -C "$run/workspace" checkout -q --detach
  fi
  chown -R "$uid:$uid" "$run"
}

# Every file under RUN_DIR belongs to UID (what the runner and the tool wrote alike).
expect_owned_by() {
  local foreign
  foreign=$(find "$1" \( ! -uid "$2" -o ! -gid "$2" \) -printf '%u:%g %p\n' | head -n 5)
  [[ -z $foreign ]] || fail "files not owned by $2 after $3: $foreign"
}

# (The test itself runs as root: reading a workspace it handed to another uid needs
# `-c safe.directory=*`, as git would tell it.)

# gate RUN_DIR UID DEPTH REPO WHAT EXPECTED: the PR pipeline's `status` on promote/webshop-cart
# (detached, GITHUB_HEAD_REF set), which must pass with EXPECTED in its output.
gate() {
  local run=$1 uid=$2 depth=$3 repo=$4 what=$5 expected=$6
  checkout "$run" "$uid" "$depth" promote/webshop-cart "$repo" detach
  action "$run" "$uid" status GITHUB_HEAD_REF=promote/webshop-cart
  [[ $RC -eq 0 ]] || fatal "$what exited $RC: $OUT"
  expect_contains "$OUT" "$expected" "$what"
  expect_owned_by "$run" "$uid" "$what"
}

# One walk: dev PR by `new`, its gate, the merge, Flux, the qa PR by `promote`, its gate.
walk() {
  local uid=$1 depth=$2 repo="webshop-$FORGE-u$1-$2" run
  rm -rf "$WORK/sample"
  lf_sample_repo "$WORK/sample" "status_timeout_minutes: 30s
status:
  poll_interval: 1s"
  lf_create_repo "$FORGE" "$OWNER" "$repo" "$WORK/sample" "$(lf_default_settings)" ||
    fatal "cannot create $repo"
  local what="$FORGE, uid $uid, $depth clone"

  run="$WORK/run-$repo-new"
  checkout "$run" "$uid" "$depth" main "$repo"
  action "$run" "$uid" new INPUT_GROUP=webshop INPUT_APP=cart INPUT_TAG=1.1.0
  [[ $RC -eq 0 ]] || fatal "new ($what) exited $RC: $OUT"
  local pr
  pr=$(output_of pr-number)
  [[ -n $pr ]] || fatal "new ($what): no pr-number output: $OUTPUTS"
  expect_eq "$(output_of branch)" promote/webshop-cart "new ($what): branch output"
  expect_eq "$(output_of commit)" "$(git --git-dir="$WORK/forge/repos/$OWNER/$repo.git" rev-parse \
    refs/heads/promote/webshop-cart)" "new ($what): commit output"
  expect_owned_by "$run" "$uid" "new ($what)"

  run="$WORK/run-$repo-gate-dev"
  gate "$run" "$uid" "$depth" "$repo" "status on the dev PR ($what)" \
    "is the first environment so status check is skipped"
  lf_post_status "$FORGE" "$OWNER" "$repo" \
    "$(git -c safe.directory="*" -C "$run/workspace" rev-parse HEAD)" \
    gitops-promotion status success >/dev/null || fatal "cannot report the check"
  local merged
  merged=$(lf_wait_merged "$OWNER" "$repo" "$pr") || fatal "the dev PR ($what) did not merge"
  lf_wait_status "$OWNER" "$repo" "$merged" kustomization/webshop-dev >/dev/null ||
    fatal "no Flux status for dev ($what)"

  run="$WORK/run-$repo-promote"
  checkout "$run" "$uid" "$depth" main "$repo" detach
  expect_eq "$(git -c safe.directory="*" -C "$run/workspace" rev-parse HEAD)" "$merged" "main after the merge ($what)"
  action "$run" "$uid" promote
  [[ $RC -eq 0 ]] || fatal "promote ($what) exited $RC: $OUT"
  local qa
  qa=$(output_of pr-number)
  [[ -n $qa && $qa != "$pr" ]] || fatal "promote ($what): pr-number output [$qa]: $OUTPUTS"
  expect_owned_by "$run" "$uid" "promote ($what)"

  gate "$WORK/run-$repo-gate-qa" "$uid" "$depth" "$repo" "status on the qa PR ($what)" \
    "successful reconciliation for webshop-dev found on"
  expect_eq "$(output_of pr-number)" "$qa" "status ($what): pr-number output"
  echo "ok: new → promote → status, $what"
}

for uid in 1001 1000 0; do
  for depth in full shallow; do
    walk "$uid" "$depth"
  done
done
# The same Action with provider gitlab (a project in a subgroup; a full clone pushes) and gitea (a
# shallow clone commits through the API).
FORGE=gitlab FORGE_API=$LF_API/api/v4 OWNER=team/platform walk 1001 full
FORGE=gitea FORGE_API=$LF_API/api/v1 walk 1000 shallow

# The Action's `feature` with the kubectl the image ships (Debian's, kustomize v2.0.3: directories
# under `bases:`), then `feature-stale` with its max-age input.
rm -rf "$WORK/sample"
lf_sample_repo "$WORK/sample" "groups:
  webshop:
    applications:
      cart:
        featureLabelSelector:
          app: cart"
printf 'bases:\n- cart\n' >"$WORK/sample/webshop/dev/kustomization.yaml"
printf 'resources:\n- deployment.yaml\ncommonLabels:\n  app: cart\n' \
  >"$WORK/sample/webshop/dev/cart/kustomization.yaml"
lf_create_repo github "$OWNER" webshop-feature "$WORK/sample" "$(lf_default_settings)" ||
  fatal "cannot create webshop-feature"
run="$WORK/run-feature"
checkout "$run" 1001 full main webshop-feature
action "$run" 1001 feature INPUT_GROUP=webshop INPUT_APP=cart INPUT_TAG=2.0.0 INPUT_FEATURE=PR-42
[[ $RC -eq 0 ]] || fatal "feature exited $RC: $OUT"
expect_contains "$OUT" "rendering webshop/dev with kubectl kustomize (/usr/bin/kubectl)" "feature in the image"
expect_eq "$(output_of branch)" feature/webshop-cart-pr-42 "feature: branch output"
[[ -n $(output_of pr-number) ]] || fail "feature: no pr-number output: $OUTPUTS"
expect_contains "$(git --git-dir="$WORK/forge/repos/$OWNER/webshop-feature.git" show \
  feature/webshop-cart-pr-42:webshop/dev/cart-pr-42/apps_v1_Deployment--cart.yaml)" \
  "image: registry.example.com/webshop/cart:2.0.0" "feature: the copy's image"
expect_owned_by "$run" 1001 "feature"
action "$run" 1001 feature-stale INPUT_MAX-AGE=1h
[[ $RC -eq 0 ]] || fatal "feature-stale exited $RC: $OUT"
expect_contains "$OUT" "No stale application to remove, exiting early." "feature-stale in the image"

# The Action as a GitHub App (app-id and app-private-key; the token input is then left out): the
# image signs the App's JWT with its libcrypto and pushes with the installation token.
openssl genrsa -traditional -out "$WORK/app.pem" 2048 2>/dev/null || fatal "openssl genrsa failed"
lf_admin POST github-apps "$(jq -cn --rawfile k <(openssl rsa -in "$WORK/app.pem" -pubout 2>/dev/null) \
  '{id: 1234, public_key: $k}')" >/dev/null || fatal "cannot register the App"
lf_admin POST github-apps/installations "$(jq -cn --arg o "$OWNER" '{id: 99, app_id: 1234, account: $o,
  permissions: {contents: "write", pull_requests: "write", statuses: "read", checks: "read"}}')" \
  >/dev/null || fatal "cannot install the App"
rm -rf "$WORK/sample"
lf_sample_repo "$WORK/sample" "status_timeout_minutes: 30s"
lf_create_repo github "$OWNER" webshop-app "$WORK/sample" "$(lf_default_settings)" ||
  fatal "cannot create webshop-app"
run="$WORK/run-app"
checkout "$run" 1001 full main webshop-app
action "$run" 1001 new INPUT_GROUP=webshop INPUT_APP=cart INPUT_TAG=3.0.0 INPUT_APP-ID=1234 \
  "INPUT_APP-PRIVATE-KEY=$(cat "$WORK/app.pem")"
[[ $RC -eq 0 ]] || fatal "new as a GitHub App exited $RC: $OUT"
expect_contains "$OUT" "authenticated as GitHub App 1234 (installation 99) on $OWNER/webshop-app" \
  "new as a GitHub App in the image"
[[ -n $(output_of pr-number) ]] || fail "new as a GitHub App: no pr-number output: $OUTPUTS"
expect_eq "$(lf_admin GET github-apps | jq -r .tokens_minted)" 1 "installation tokens minted by the image"
while IFS= read -r line; do
  if grep -qF -- "$line" - "$WORK/out" "$WORK/err" <<<"$OUTPUTS"; then
    fail "a line of the App's key appears in the Action's output"
    break
  fi
done < <(grep -v -- ----- "$WORK/app.pem")

# By hand, as another user than the repository's owner: the cause and the fix, not "no repository".
run="$WORK/run-foreign"
checkout "$run" 1000 full main webshop-github-u1000-full
"${PODMAN[@]}" run "${RUN_FLAGS[@]}" --user 1001:1001 -v "$run/workspace:/repo" -w /repo \
  "$IMAGE" new --dry-run --group webshop --app cart --tag 9.9.9 >"$WORK/out" 2>"$WORK/err"
rc=$?
expect_eq "$rc" 1 "new --dry-run as uid 1001 on a repository of uid 1000"
expect_contains "$(cat "$WORK/err")" "the git repository at /repo belongs to uid 1000, but this process runs as uid 1001" \
  "new --dry-run as another user"
expect_contains "$(cat "$WORK/err")" "safe.directory /repo" "new --dry-run as another user"
# And the plain `docker run -v "$PWD:/repo" -w /repo IMAGE …` of the README: root drops to the owner.
"${PODMAN[@]}" run "${RUN_FLAGS[@]}" -v "$run/workspace:/repo" -w /repo "$IMAGE" \
  new --dry-run --group webshop --app cart --tag 9.9.9 >"$WORK/out" 2>"$WORK/err"
expect_eq "$?" 0 "docker run -w /repo IMAGE new --dry-run on a repository of uid 1000: $(cat "$WORK/err")"
expect_owned_by "$run" 1000 "docker run -w /repo IMAGE new --dry-run"

if [[ $FAILURES -gt 0 ]]; then
  echo "container_test: $FAILURES failure(s)" >&2
  exit 1
fi
echo "container_test: ok"
