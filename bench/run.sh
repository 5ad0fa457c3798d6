#!/usr/bin/env bash
# Measures the promotion path on a repository made by bench/generate-repo.sh, side by side with
# upstream's first step (`cp -a` of the checkout) and the floor for reading one environment
# (`git grep -l '"$imagepolicy"' HEAD -- GROUP/ENV`), in one run, and prints a table: median wall
# time, peak RSS, ratios, and a verdict for the issue's targets (>= 10x faster than the copy,
# within 3x of the floor).
#
# usage: bench/run.sh DIR [BUILD_DIR=build] [REPEATS=5] [GROUP=group07] [APP=app123]
#   (`make bench` calls `bench/run.sh $(BENCH_DIR) $(BUILD)`)
# environment:
#   ENV=dev          the environment (`new` promotes into the first one, dev)
#   COPY_REPEATS=1   runs of `cp -a` (one copy takes minutes on a slow disk); SKIP_COPY=1 leaves it out
#   UPSTREAM_ADD=1   also measure `cp -a` + `git add -A` (what upstream does before its commit)
#   GP_CLI=PATH      the gitops-promotion binary (default BUILD_DIR/gitops-promotion; the
#                    `new --dry-run` row is left out when it is missing)
#
# The commit + push goes over smart HTTP: a lighttpd + git http-backend on a free 127.0.0.1 port
# with Basic auth (user x-access-token, a random password), serving a bare copy of DIR/origin.git.
# The server, the scratch directory and the `gp-bench-http` remote added to DIR/work are removed
# on exit, also when interrupted.
#
# Every row is whole processes, measured the same way: wall time from the shell around
# `/usr/bin/time -f %M` (peak RSS of the measured process and its waited-for children, KiB).
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 DIR [BUILD_DIR] [REPEATS] [GROUP] [APP]" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "$1" && pwd)
build=${2:-$root/build}
mkdir -p "$build"
build=$(cd "$build" && pwd) # absolute: the CLI is run from inside the repository
repeats=${3:-5}
group=${4:-group07}
app=${5:-app123}
env=${ENV:-dev}
work=$dir/work
cli=${GP_CLI:-$build/gitops-promotion}
lighttpd=/usr/sbin/lighttpd
http_backend=/usr/lib/git-core/git-http-backend
remote=gp-bench-http
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com

for f in "$work/.git" "$dir/origin.git" "$lighttpd" "$http_backend" /usr/bin/time; do
  if [ ! -e "$f" ]; then
    echo "$0: $f is missing (generate the repository with bench/generate-repo.sh $1)" >&2
    exit 1
  fi
done

# bench_git is a target of the project's build (CMakeLists.txt), so it is built with the binary.
bench_git=$build/bench_git
if [ ! -x "$bench_git" ]; then
  cmake --build "$build" --target bench_git
fi

scratch=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  git -C "$work" remote remove "$remote" >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- the smart-HTTP server ------------------------------------------------------------------
srv=$scratch/server
mkdir -p "$srv/repos" "$srv/www" "$srv/tmp"
git clone -q --bare "$dir/origin.git" "$srv/repos/bench.git" # local clone: hard-linked objects
git -C "$srv/repos/bench.git" config http.receivepack true
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
(umask 077 && printf 'x-access-token:%s\n' "$token" >"$srv/users")

# start_server PORT: starts lighttpd on 127.0.0.1:PORT; fails when it does not come up (port taken).
start_server() {
  cat >"$srv/lighttpd.conf" <<EOF
server.modules = ( "mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi" )
server.bind = "127.0.0.1"
server.port = $1
server.document-root = "$srv/www"
server.upload-dirs = ( "$srv/tmp" )
server.errorlog = "$srv/error.log"
auth.backend = "plain"
auth.backend.plain.userfile = "$srv/users"
alias.url = ( "/git/" => "$http_backend/" )
\$HTTP["url"] =~ "^/git/" {
  auth.require = ( "" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )
  cgi.assign = ( "" => "" )
  setenv.set-environment = ( "GIT_PROJECT_ROOT" => "$srv/repos", "GIT_HTTP_EXPORT_ALL" => "1" )
}
EOF
  "$lighttpd" -D -f "$srv/lighttpd.conf" </dev/null >/dev/null 2>&1 &
  server_pid=$!
  local i
  for i in $(seq 100); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      wait "$server_pid" 2>/dev/null || true
      server_pid=
      return 1
    fi
    # Any HTTP answer (401 without credentials) means it serves.
    if curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/git/bench.git/info/refs" |
      grep -q 401; then
      return 0
    fi
    sleep 0.05
  done
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  return 1
}
# A random port from the ephemeral range; lighttpd fails to bind a taken one, then try another.
port=
for _ in $(seq 20); do
  candidate=$((32768 + (RANDOM * 32768 + RANDOM) % 28000))
  if start_server "$candidate"; then
    port=$candidate
    break
  fi
done
if [ -z "$port" ]; then
  echo "$0: lighttpd did not start: $(cat "$srv/error.log" 2>/dev/null)" >&2
  exit 1
fi
url="http://127.0.0.1:$port/git/bench.git"
git -C "$work" remote remove "$remote" >/dev/null 2>&1 || true
git -C "$work" remote add "$remote" "$url"

# --- measuring --------------------------------------------------------------------------------
# measure NAME RUNS CMD...: runs the executable CMD RUNS times under /usr/bin/time (stdout to
# $scratch/NAME.out.<i>, stderr kept for errors) and records "<median wall ms> <max peak RSS KiB>"
# in $scratch/result-NAME. $before, when set, runs (unmeasured) before each run.
measure() {
  local name=$1 n=$2 i start end
  shift 2
  : >"$scratch/$name.runs"
  for i in $(seq "$n"); do
    ${before:-true}
    start=$(date +%s%N)
    if ! /usr/bin/time -o "$scratch/time" -f '%M' "$@" >"$scratch/$name.out.$i" \
      2>"$scratch/$name.err"; then
      echo "$0: '$*' failed:" >&2
      cat "$scratch/$name.err" >&2
      exit 1
    fi
    end=$(date +%s%N)
    echo "$(((end - start) / 1000000)) $(tail -n 1 "$scratch/time")" >>"$scratch/$name.runs"
  done
  local ms rss
  ms=$(cut -d' ' -f1 "$scratch/$name.runs" | sort -n | sed -n "$(((n + 1) / 2))p")
  rss=$(cut -d' ' -f2 "$scratch/$name.runs" | sort -n | tail -n 1)
  echo "$ms $rss" >"$scratch/result-$name"
}
remove_copy() {
  rm -rf "$scratch/copy"
}

files=$(git -C "$work" ls-files | wc -l)
commits=$(git -C "$work" rev-list --count HEAD)
echo "repository: $work ($files files, $commits commits); $group/$app in $env"
echo "machine:    $(nproc) cores, $(uname -sr), $(git --version), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server:     lighttpd + git http-backend at http://127.0.0.1:$port/git/bench.git (Basic auth)"
echo "runs:       median of $repeats (cp -a: ${COPY_REPEATS:-1}); peak RSS = max over the runs"

measure floor "$repeats" git -C "$work" grep -l '"$imagepolicy"' HEAD -- "$group/$env"
if [ "$(wc -l <"$scratch/floor.out.1")" -eq 0 ]; then
  echo "$0: git grep found no manifest under $group/$env" >&2
  exit 1
fi
have_cli=
if [ -x "$cli" ]; then
  have_cli=1
  (cd "$work" && measure dryrun "$repeats" "$cli" new --dry-run --group "$group" --app "$app" \
    --tag v9.9.9)
  # Reference: the same binary doing nothing but start (loading its shared libraries) and exit.
  measure start "$repeats" "$cli" --version
  if ! grep -q "$app" "$scratch/dryrun.out.1"; then
    echo "warning:    new --dry-run did not mention $app; its output:" >&2
    cat "$scratch/dryrun.out.1" >&2
  fi
else
  echo "note:       $cli not found: the new --dry-run row is left out (set GP_CLI)"
fi
# The token reaches bench_git through its environment only (not argv, which `ps` shows).
export GP_BENCH_TOKEN=$token
measure push "$repeats" "$bench_git" "$work" "$group" "$env" "$app" commit-push "$remote"
unset GP_BENCH_TOKEN
# Reference: git's own push over the same server of the same kind of commit (APP's manifest with
# one line appended). The commit is made unmeasured before each run, in a scratch index; the
# measured command is `bash -c` + `git push`.
target=$(git -C "$work" grep -l "\"$group:$app\"" HEAD -- "$group/$env" | head -n 1)
target=${target#HEAD:}
cli_commit() {
  local blob tree
  blob=$( (git -C "$work" cat-file blob "HEAD:$target"
    printf '# bench %s\n' "$(date +%s%N)") | git -C "$work" hash-object -w --stdin)
  tree=$(export GIT_INDEX_FILE=$scratch/index && git -C "$work" read-tree HEAD &&
    git -C "$work" update-index --cacheinfo "100644,$blob,$target" && git -C "$work" write-tree)
  git -C "$work" commit-tree -p HEAD -m "bench" "$tree" >"$scratch/cli-commit"
}
(umask 077 && printf 'url=%s\nusername=x-access-token\npassword=%s\n' "$url" "$token" \
  >"$scratch/cred")
before=cli_commit measure gitpush "$repeats" bash -c \
  'git -C "$1" -c credential.helper="!f() { cat \"$2\"; }; f" push -q -f "$3" \
    "$(cat "$4"):refs/heads/gp-bench-git-push"' gitpush "$work" "$scratch/cred" "$url" \
  "$scratch/cli-commit"
pushed=$(git -C "$srv/repos/bench.git" rev-parse "refs/heads/promote/$group-$app")
if [ "$pushed" != "$(git -C "$work" rev-parse "refs/gitops-promotion/heads/promote/$group-$app")" ]; then
  echo "$0: the server's promote/$group-$app is not the commit bench_git made" >&2
  exit 1
fi
measure reads 1 "$bench_git" "$work" "$group" "$env" "$app" reads "$repeats"
measure grepall 1 git -C "$work" grep -l '"$imagepolicy"' HEAD
have_copy=
if [ -z "${SKIP_COPY:-}" ]; then
  have_copy=1
  before=remove_copy measure copy "${COPY_REPEATS:-1}" cp -a "$work" "$scratch/copy"
  if [ -n "${UPSTREAM_ADD:-}" ]; then
    before=remove_copy measure copyadd "${COPY_REPEATS:-1}" \
      bash -c 'cp -a "$1" "$2" && git -C "$2" add -A' copyadd "$work" "$scratch/copy"
  fi
  rm -rf "$scratch/copy"
fi

# --- table ------------------------------------------------------------------------------------
floor_ms=$(cut -d' ' -f1 "$scratch/result-floor")
copy_ms=$( [ -n "$have_copy" ] && cut -d' ' -f1 "$scratch/result-copy" || echo "")
# row LABEL NAME: one table line with the ratios against the copy and the floor.
row() {
  local runs
  runs=$(cut -d' ' -f1 "$scratch/$2.runs" | paste -sd' ')
  awk -v label="$1" -v copy="$copy_ms" -v floor="$floor_ms" -v runs="$runs" '{
    ms = $1; rss = $2
    vs_copy = (copy == "" ? "n/a" : sprintf("%.1fx faster", copy / (ms > 0 ? ms : 1)))
    printf "| %-58s | %9d | %8.1f | %15s | %10s | %s |\n", label, ms, rss / 1024, vs_copy, \
      sprintf("%.2fx", ms / (floor > 0 ? floor : 1)), runs
  }' "$scratch/result-$2"
}
echo
printf '| %-58s | %9s | %8s | %15s | %10s | %s |\n' "step (whole processes)" "median ms" \
  "peak MiB" "vs cp -a" "vs floor" "runs, ms (in order)"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 60))" "----------:" "---------:" \
  "----------------:" "-----------:" "---"
[ -n "$have_cli" ] && row "gitops-promotion new --dry-run (read, rewrite, diff)" dryrun
[ -n "$have_cli" ] && row "gitops-promotion --version (process start only, ref.)" start
row "bench_git commit + push over HTTP (open,read,commit,push)" push
row "git push (git CLI) of the same kind of commit (ref.)" gitpush
row "git grep -l '\"\$imagepolicy\"' HEAD -- $group/$env (floor)" floor
row "git grep -l '\"\$imagepolicy\"' HEAD (whole tree, 1 run)" grepall
[ -n "$have_copy" ] && row "cp -a of the checkout (upstream's first step)" copy
[ -n "${UPSTREAM_ADD:-}" ] && [ -n "$have_copy" ] && row "cp -a + git add -A (upstream before its commit)" copyadd

# The in-process split of the commit + push runs (medians over the runs) and the reads mode.
echo
cat "$scratch"/push.out.* | awk -v n="$repeats" '
  { for (i = 2; i <= 7; i++) v[i, NR] = $i }
  function med(col,    a, k, j, t) {
    for (k = 1; k <= NR; k++) a[k] = v[col, k]
    for (k = 1; k <= NR; k++) for (j = k + 1; j <= NR; j++) if (a[j] < a[k]) { t = a[k]; a[k] = a[j]; a[j] = t }
    return a[int((NR + 1) / 2)]
  }
  END {
    printf "inside bench_git commit + push (median of %d fresh processes):\n", NR
    printf "  open + HEAD %.2f ms; read_files %.2f ms; create_commit + stage_branch %.2f ms; push (HTTP, Basic auth) %.2f ms\n", med(2), med(3), med(4), med(5)
    printf "  process peak RSS (getrusage ru_maxrss): %.1f MiB after read_files, %.1f MiB at the end\n", med(6) / 1024, med(7) / 1024
  }'
awk '{ printf "bench_git reads (in-process, median of %s): open + HEAD %.2f ms; read_files %s %.2f ms (%d manifests); whole tree %.2f ms (%d manifests); peak RSS %.1f MiB\n", n, $2, dir, $3, $4, $5, $6, $7 / 1024 }' \
  n="$repeats" dir="$group/$env" "$scratch/reads.out.1"

# --- verdict ----------------------------------------------------------------------------------
echo
verdict() {
  local label=$1 name=$2
  awk -v label="$label" -v copy="$copy_ms" -v floor="$floor_ms" '{
    ms = ($1 > 0 ? $1 : 1)
    if (copy == "") { c = "n/a (SKIP_COPY)" } else {
      c = sprintf("%s (%.1fx faster than cp -a; target >= 10x)", copy / ms >= 10 ? "PASS" : "FAIL", copy / ms)
    }
    f = sprintf("%s (%.2fx the floor; target <= 3x)", $1 / floor <= 3 ? "PASS" : "FAIL", $1 / floor)
    printf "verdict %-22s copy: %s; floor: %s\n", label, c, f
  }' "$scratch/result-$name"
}
[ -n "$have_cli" ] && verdict "new --dry-run" dryrun
verdict "commit + push" push
