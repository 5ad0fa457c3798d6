#!/usr/bin/env bash
# Measures the promotion path on a repository made by bench/generate-repo.sh and prints a table
# (median wall time of REPEATS runs). Nothing is pushed anywhere but the repository's own file-path
# origin.
# usage: bench/run.sh DIR [BUILD_DIR=build] [REPEATS=5] [GROUP=group07] [APP=app123]
# The `cp -a` steps run COPY_REPEATS times (default 1): on a slow disk one copy takes minutes;
# SKIP_COPY=1 leaves them out.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "$1" && pwd)
build=${2:-$root/build}
mkdir -p "$build"
build=$(cd "$build" && pwd) # absolute: the CLI is run from inside the repository
repeats=${3:-5}
group=${4:-group07}
app=${5:-app123}
work=$dir/work
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com

# bench_git needs only the git layer: build it directly, so a half-built tree does not matter.
bench_git=$build/bench_git
if [ ! -x "$bench_git" ] || [ "$root/bench/bench_git.cpp" -nt "$bench_git" ]; then
  mkdir -p "$build"
  g++ -std=c++20 -O2 -I"$root/include" "$root/bench/bench_git.cpp" "$root"/src/git/*.cpp \
    $(pkg-config --cflags --libs libgit2) -o "$bench_git"
fi

# median_ms CMD...: runs CMD $runs times (default $repeats; output discarded) and prints the median
# in ms.
median_ms() {
  local times=() start end n=${runs:-$repeats}
  for _ in $(seq "$n"); do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    times+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((n + 1) / 2))p"
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
upstream_style() {
  # What upstream does before committing: copy the whole checkout, then stage everything.
  rm -rf "$scratch/copy"
  cp -a "$work" "$scratch/copy"
  git -C "$scratch/copy" add -A
}
copy_only() {
  rm -rf "$scratch/copy"
  cp -a "$work" "$scratch/copy"
}

files=$(git -C "$work" ls-files | wc -l)
commits=$(git -C "$work" rev-list --count HEAD)
echo "repository: $work ($files files, $commits commits); $group/$app; median of $repeats runs"
echo "machine:    $(nproc) cores, $(uname -sr), $(git --version)"
printf '%-52s %8s\n' "step" "ms"
cli=$build/gitops-promotion
if [ -x "$cli" ]; then
  printf '%-52s %8s\n' "gitops-promotion new --dry-run (read+rewrite+diff)" \
    "$(cd "$work" && median_ms "$cli" new --dry-run --group "$group" --app "$app" --tag v9.9.9)"
fi
printf '%-52s %8s\n' "git grep -l '\$imagepolicy' -- $group/dev" \
  "$(median_ms git -C "$work" grep -l '"$imagepolicy"' -- "$group/dev")"
printf '%-52s %8s\n' "git grep -l '\$imagepolicy' (whole tree)" \
  "$(median_ms git -C "$work" grep -l '"$imagepolicy"')"
if [ -z "${SKIP_COPY:-}" ]; then
  printf '%-52s %8s\n' "cp -a of the checkout (upstream's first step)" \
    "$(runs=${COPY_REPEATS:-1} median_ms copy_only)"
  printf '%-52s %8s\n' "cp -a + git add -A (upstream before its commit)" \
    "$(runs=${COPY_REPEATS:-1} median_ms upstream_style)"
fi
echo
echo "libgit2 layer (bench_git):"
"$bench_git" "$work" "$group" dev "$app" "$repeats"
