#!/usr/bin/env bash
# Runs the gitops-promotion binary ($1) as a user would and checks exit codes, stdout and stderr.
set -uo pipefail

bin=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/gp-cli-e2e.XXXXXX")
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME="$work" GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com \
  GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
unset GITOPS_PROMOTION_TOKEN GITHUB_TOKEN GH_TOKEN SYSTEM_ACCESSTOKEN AZURE_DEVOPS_EXT_PAT
failures=0

# expect CODE DESCRIPTION -- ARGS...: runs the binary in $cwd, keeps stdout/stderr in $out/$err.
cwd=$work
expect() {
  local want=$1 what=$2
  shift 3
  (cd "$cwd" && "$bin" "$@" >"$work/out" 2>"$work/err")
  local got=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
  if [[ $got -ne $want ]]; then
    echo "FAIL: $what: exit $got, want $want (args: $*)"
    echo "  stdout: $out"
    echo "  stderr: $err"
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}
# check DESCRIPTION HAYSTACK NEEDLE
check() {
  if [[ "$2" != *"$3"* ]]; then
    echo "FAIL: $1: missing \"$3\" in: $2"
    failures=$((failures + 1))
  fi
}
check_not() {
  if [[ "$2" == *"$3"* ]]; then
    echo "FAIL: $1: unexpected \"$3\" in: $2"
    failures=$((failures + 1))
  fi
}

# Help and version work anywhere, without a config or a repository.
mkdir -p "$work/empty"
cwd=$work/empty
expect 0 "--version" -- --version
check "--version" "$out" "gitops-promotion "
expect 0 "--help" -- --help
check "--help" "$out" "Usage: gitops-promotion"
check "--help lists set-image" "$out" "set-image"
expect 0 "new --help" -- new --help
check "new --help" "$out" "--image"
expect 0 "lint --version" -- lint --version

# Usage errors: exit 2 with the usage on stderr and nothing on stdout.
expect 2 "no subcommand" --
check "no subcommand" "$err" "a command is required"
check "no subcommand help pointer" "$err" 'Run `gitops-promotion --help` for usage.'
expect 2 "unknown subcommand" -- deploy
check "unknown subcommand" "$err" 'unknown command "deploy"'
expect 2 "mistyped subcommand" -- stauts
check "mistyped subcommand" "$err" 'unknown command "stauts" (did you mean status?)'
expect 2 "unknown flag" -- new --group g --app a --tags 1
check "unknown flag" "$err" 'unknown flag "--tags" (did you mean --tag?)'
check "unknown flag usage" "$err" 'Run `gitops-promotion new --help` for usage.'
expect 2 "missing flag" -- set-image --group g --app a --tag 1
check "missing flag" "$err" "--path"
expect 2 "bad enum" -- lint --output yaml
expect 2 "bad provider" -- --provider bitbucket lint
check "bad provider" "$err" "github,azdo,gitea,gitlab"
expect 2 "bad duration" -- feature-stale --max-age 7d
# A feature name that sanitises to nothing is a usage error before anything is opened.
expect 2 "empty feature name" -- feature --group g --app a --tag t --feature '!!!'
check "empty feature name" "$err" '--feature: "!!!" ("" once sanitised) cannot name a review feature: it is empty'
expect 2 "bad token position" -- status --token
[[ -z "$out" ]] || { echo "FAIL: usage error wrote stdout: $out"; failures=$((failures + 1)); }

# The network commands outside a repository fail (exit 1) with a real error.
for args in "promote" "status" "new --group g --app a --tag 1" "feature --group g --app a --tag t --feature f" "feature-stale"; do
  # shellcheck disable=SC2086
  expect 1 "$args outside a repository" -- $args
  check "$args outside a repository" "$err" "Application failed with error: "
done
expect 1 "json error" -- promote --output json
check "json error" "$out" '"error":'

# lint outside a GitOps repository: the missing config is an error finding.
expect 1 "lint without config" -- lint
check "lint without config" "$out" "gitops-promotion.yaml"

# A GitOps repository.
repo=$work/repo
mkdir -p "$repo/apps/dev" "$repo/apps/prod"
printf 'environments:\n  - name: dev\n    auto: true\n  - name: prod\n    auto: false\n' \
  >"$repo/gitops-promotion.yaml"
for env in dev prod; do
  printf 'kind: Deployment\nspec:\n  image: ghcr.io/acme/api:1.0.0 # {"$imagepolicy": "apps:api"}\n' \
    >"$repo/apps/$env/api.yaml"
done
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" commit -q -m init
head=$(git -C "$repo" rev-parse HEAD)
cwd=$repo

expect 0 "lint clean" -- lint
check "lint clean" "$out" "no problems found"

expect 0 "new --dry-run" -- new --dry-run --group apps --app api --tag 1.2.0 --token SECRET-TOKEN
check "new --dry-run diff" "$out" "+  image: ghcr.io/acme/api:1.2.0"
check "new --dry-run branch" "$out" "promote/apps-api"
check "new --dry-run title" "$out" "Promote apps/api version 1.2.0 to environment dev"
check_not "new --dry-run token" "$out$err" "SECRET-TOKEN"
[[ $(git -C "$repo" rev-parse HEAD) == "$head" ]] || { echo "FAIL: HEAD moved"; failures=$((failures + 1)); }
[[ -z $(git -C "$repo" status --porcelain) ]] || { echo "FAIL: work tree changed"; failures=$((failures + 1)); }
[[ $(git -C "$repo" for-each-ref | wc -l) -eq 1 ]] || { echo "FAIL: refs changed"; failures=$((failures + 1)); }

GITHUB_TOKEN=ENV-SECRET expect 0 "new --dry-run json" -- new --dry-run --output json --group apps --app api --tag 1.2.0
check "json branch" "$out" '"branch": "promote/apps-api"'
check_not "json token" "$out$err" "ENV-SECRET"

# A tag that is already there: the dry run says what the real run does (skip), no branch or PR.
expect 0 "new --dry-run unchanged" -- new --dry-run --group apps --app api --tag 1.0.0
check "dry run skip" "$out" "dry run: skipping: apps/api in apps/dev is already at 1.0.0"
check_not "dry run skip has no PR" "$out" "pull request:"
expect 0 "new --dry-run unchanged json" -- new --dry-run --output json --group apps --app api --tag 1.0.0
[[ $(jq -r '.skipped' <<<"$out") == true && $(jq -r '.reason' <<<"$out") == *"already at 1.0.0" ]] ||
  { echo "FAIL: dry run skip json: $out"; failures=$((failures + 1)); }

expect 1 "new --dry-run no marker" -- new --dry-run --group apps --app web --tag 1
check "no marker" "$err" "apps/dev"

# A mistyped config key is said by every command, not only lint, and annotated in CI.
typo=$work/typo
cp -r "$repo" "$typo"
printf 'prflwo: per-env\n' >>"$typo/gitops-promotion.yaml"
git -C "$typo" commit -qam typo
cwd=$typo
expect 0 "new --dry-run with a typo" -- new --dry-run --group apps --app api --tag 1.2.0
check "typo warned" "$err" 'warn: gitops-promotion.yaml:6: prflwo: unknown key, ignored (did you mean "prflow"?)'
check "typo suggestion" "$err" 'prflow'
check "typo keeps per-app" "$out" "promote/apps-api"
GITHUB_ACTIONS=true expect 0 "new --dry-run with a typo in Actions" -- new --dry-run --group apps --app api --tag 1.2.0
check "typo annotated (GitHub)" "$out" '::warning::gitops-promotion.yaml:'
TF_BUILD=True expect 0 "new --dry-run with a typo in Azure" -- new --dry-run --group apps --app api --tag 1.2.0
check "typo annotated (Azure)" "$out" '##vso[task.logissue type=warning]gitops-promotion.yaml:'
GITHUB_TOKEN=t expect 1 "promote with a typo" -- promote --provider github --api-url http://127.0.0.1:1
check "typo warned by promote" "$err" 'prflwo: unknown key'

# libcurl (and the ~20 libraries it links) is opened on the first HTTP request, not at start-up.
loaded() { # LIBRARY ARGS...: "yes" when the run initialised LIBRARY (the dynamic loader says so)
  local library=$1 trace
  shift
  trace=$(cd "$cwd" && LD_DEBUG=libs "$bin" "$@" 2>&1 >/dev/null)
  if [[ $trace =~ calling\ init:\ [^[:space:]]*/${library//./\\.}($|[[:space:]]) ]]; then
    echo yes
  else
    echo no
  fi
}
# libgit2, libcurl and libcrypto are opened with dlopen when first needed.
for library in libgit2.so.1.5 libcurl.so.4 libcrypto.so.3; do
  check "--version leaves $library unloaded" "$(loaded $library --version)" no
  check "lint leaves $library unloaded" "$(loaded $library lint)" no
done
check "new --dry-run leaves libcurl unloaded" \
  "$(loaded libcurl.so.4 new --dry-run --group apps --app api --tag 1.2.0)" no
check "new --dry-run loads libgit2" \
  "$(loaded libgit2.so.1.5 new --dry-run --group apps --app api --tag 1.2.0)" yes
# A library that is there but cannot be loaded, or lacks a function, is named with its package.
mkdir -p "$work/badlib" "$work/emptylib"
echo "not a shared object" >"$work/badlib/libgit2.so.1.5"
LD_LIBRARY_PATH=$work/badlib expect 1 "libgit2 that cannot be loaded" -- new --dry-run --group apps --app api --tag 1.2.0
check "libgit2 that cannot be loaded: named" "$err" "cannot load libgit2.so.1.5 ("
check "libgit2 that cannot be loaded: package" "$err" "apt-get install libgit2-1.5"
printf 'int gp_nothing;\n' | cc -shared -fPIC -x c -o "$work/emptylib/libgit2.so.1.5" -
LD_LIBRARY_PATH=$work/emptylib expect 1 "libgit2 without its functions" -- new --dry-run --group apps --app api --tag 1.2.0
check "libgit2 without its functions: named" "$err" "libgit2.so.1.5 has no git_"
git clone -q "$repo" "$work/cloned" # promote needs an origin before it makes its client
cwd=$work/cloned
check "promote loads libcurl for its request" \
  "$(GITHUB_TOKEN=t loaded libcurl.so.4 promote --provider github --api-url http://127.0.0.1:1)" yes
cwd=$repo

# set-image on a plain directory.
cwd=$work
expect 0 "set-image" -- set-image --path repo/apps/prod --group apps --app api --tag 2.0.0
check "set-image output" "$out" "repo/apps/prod/api.yaml:3: ghcr.io/acme/api:1.0.0 -> ghcr.io/acme/api:2.0.0 (image)"
check "set-image wrote" "$(cat "$repo/apps/prod/api.yaml")" "api:2.0.0 #"
expect 0 "set-image again" -- set-image --path repo/apps/prod --group apps --app api --tag 2.0.0
check "set-image again" "$out" "already up to date"
expect 1 "set-image no marker" -- set-image --path repo/apps/prod --group apps --app web --tag 1
check "set-image no marker" "$err" "repo/apps/prod"
expect 2 "set-image bad tag" -- set-image --path repo/apps/prod --group apps --app api --tag 'a b'

# Outside text never starts a CI command (file names, manifest values, flag values): only the
# tool's own ::error:: / ##vso[task.logissue|setvariable] lines may, and what was neutralised stays
# visible, escaped.
injected() { # LABEL TEXT: fails on any line that would start a command the tool did not mean
  local label=$1 line
  while IFS= read -r line; do
    case $line in
    '##vso[task.logissue type=error]'* | '##vso[task.setvariable variable='[a-zA-Z]*';isOutput=true]'*) ;;
    *'##vso['* | *'##VSO['* | *'##['*)
      echo "FAIL: $label: injected Azure command: $line"
      failures=$((failures + 1))
      ;;
    esac
    if [[ $line =~ ^[[:space:]]*:: && $line != '::error::'* ]]; then
      echo "FAIL: $label: injected GitHub command: $line"
      failures=$((failures + 1))
    fi
  done <<<"$2"
}
evil=$work/evil
mkdir -p "$evil"
evil_name=$'a\n##vso[task.setvariable variable=pwned]yes\n::warning::pwned\n.yaml'
printf 'image: "1\\n::warning::pwned-value\\n##vso[task.complete result=Failed]x" # {"$imagepolicy": "apps:evil:tag"}\n' >"$evil/$evil_name"
printf 'image: x:1 # {"$imagepolicy": "apps:other"\n' >"$evil/broken.yaml"
for ci in TF_BUILD=True GITHUB_ACTIONS=true; do
  for format in text json; do
    cd "$work" || exit 1
    env "$ci" "$bin" set-image --output "$format" --path evil --group apps --app evil --tag 2 >"$work/out" 2>"$work/err"
    out=$(cat "$work/out") err=$(cat "$work/err")
    injected "set-image $ci $format" "$out"$'\n'"$err"
    check "set-image $ci $format changed" "$(cat "$evil/$evil_name")" 'image: "2"'
    if [[ $format == text ]]; then
      check "set-image $ci shows the escaped name" "$out" '\x23#vso[task.setvariable variable=pwned]yes'
      check "set-image $ci shows the escaped value" "$out" '\x3a:warning::pwned-value'
    else
      jq -e . "$work/out" >/dev/null || { echo "FAIL: set-image $ci json is not JSON: $out"; failures=$((failures + 1)); }
      [[ $(jq -r '.changes[0].file' "$work/out") == *"$evil_name" ]] ||
        { echo "FAIL: set-image $ci json file name changed: $out"; failures=$((failures + 1)); }
    fi
    printf 'image: "1\\n::warning::pwned-value\\n##vso[task.complete result=Failed]x" # {"$imagepolicy": "apps:evil:tag"}\n' >"$evil/$evil_name"
    env "$ci" "$bin" set-image --output "$format" --path evil --group apps --app evil --tag 'bad tag' >"$work/out" 2>"$work/err"
    injected "set-image bad tag $ci $format" "$(cat "$work/out" "$work/err")"
  done
  lrepo=$work/evil-repo
  rm -rf "$lrepo" && mkdir -p "$lrepo/apps/dev" && cp "$evil"/* "$lrepo/apps/dev/"
  printf 'environments:\n  - name: dev\n    auto: true\n' >"$lrepo/gitops-promotion.yaml"
  git -C "$lrepo" init -q . && git -C "$lrepo" add -A && git -C "$lrepo" commit -qm evil
  cd "$lrepo" || exit 1
  env "$ci" "$bin" lint >"$work/out" 2>"$work/err"
  injected "lint $ci" "$(cat "$work/out" "$work/err")"
  check "lint $ci found the broken marker" "$(cat "$work/out")" "broken.yaml"
  check "lint $ci shows the escaped name" "$(cat "$work/out")" '\x23#vso[task.setvariable'
  cd "$work" || exit 1
  # A flag value with a newline, echoed by the usage error.
  env "$ci" "$bin" set-image --path $'x\n::warning::flag' --group apps --app evil --tag $'1\n##vso[task.complete]' >"$work/out" 2>"$work/err"
  injected "usage error $ci" "$(cat "$work/out" "$work/err")"
  # Mistyped or doubled token flags: the value never appears, in CI or not.
  env "$ci" GITOPS_PROMOTION_TOKEN=ENV-SECRET-1 "$bin" lint --tokne FLAG-SECRET-2 >"$work/out" 2>"$work/err"
  check_not "mistyped token flag $ci" "$(cat "$work/out" "$work/err")" "FLAG-SECRET-2"
  env "$ci" "$bin" lint --token FLAG-SECRET-3 FLAG-SECRET-3 >"$work/out" 2>"$work/err"
  check_not "doubled token flag $ci" "$(cat "$work/out" "$work/err")" "FLAG-SECRET-3"
done

if [[ $failures -ne 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all checks passed"
