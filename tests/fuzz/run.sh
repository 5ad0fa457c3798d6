#!/usr/bin/env bash
# Builds the libFuzzer targets with clang++ and runs each one for a bounded time over a copy of its
# seed corpus, then runs every saved regression input once. Any crash, sanitizer report or broken
# invariant fails the script, which prints the path of the reproducer.
#
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
#   SECONDS  time per target (default 20; the environment variable GP_FUZZ_SECONDS overrides it)
#   TARGET   only these targets (default: all)
# Environment: GP_FUZZ_BUILD (build directory, default <repo>/build-fuzz), GP_FUZZ_JOBS (compile
# jobs, default 2), GP_FUZZ_ARTIFACTS (where crash inputs go, default <build>/artifacts).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${GP_FUZZ_SECONDS:-${1:-20}}"
[ $# -gt 0 ] && shift
all_targets=(fuzz_rewriter fuzz_image_ref fuzz_pr_state fuzz_remote_url fuzz_config fuzz_output_guard)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
build="${GP_FUZZ_BUILD:-$root/build-fuzz}"
jobs="${GP_FUZZ_JOBS:-2}"
artifacts="${GP_FUZZ_ARTIFACTS:-$build/artifacts}"

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "fuzz: SECONDS must be a positive whole number, got '$seconds'" >&2
  exit 2
fi

cxx="${GP_FUZZ_CXX:-clang++}"
if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "fuzz: $cxx not found; the fuzz targets need clang with libFuzzer." >&2
  echo "fuzz: run scripts/setup.sh (it installs the Debian package clang)." >&2
  exit 1
fi

echo "fuzz: building in $build with $cxx"
cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

work="$(mktemp -d "${TMPDIR:-/tmp}/gp-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
for t in "${targets[@]}"; do
  exe="$build/$t"
  corpus="$work/corpus/$t"
  mkdir -p "$corpus" "$artifacts/$t"
  if [ -d "$here/corpus/$t" ]; then
    cp "$here/corpus/$t"/* "$corpus/" 2>/dev/null || true
  fi
  dict=()
  [ -f "$here/dict/$t.dict" ] && dict=(-dict="$here/dict/$t.dict")
  log="$work/$t.log"

  # Saved crash inputs first: each must now pass (it stays here until the bug is fixed).
  if [ -d "$here/regressions/$t" ] && [ -n "$(ls -A "$here/regressions/$t" 2>/dev/null)" ]; then
    echo "fuzz: $t: replaying $(ls -A "$here/regressions/$t" | wc -l) regression input(s)"
    for f in "$here/regressions/$t"/*; do
      if ! "$exe" -runs=1 -timeout=25 -rss_limit_mb=2048 "$f" >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz: FAILED $t on regression input $f" >&2
        echo "fuzz: reproduce with: $exe $f" >&2
        failed+=("$t (regression $f)")
      fi
    done
  fi

  # GP_FUZZ_RUNS (with GP_FUZZ_SEED) bounds the work instead of the time: a fixed number of inputs
  # from a fixed seed, which is what the test suite uses, so a slow machine does the same amount of
  # fuzzing. The path still differs between runs and machines (libFuzzer reads seeds in directory
  # order, and address-dependent comparisons steer it), so a failure here is a real finding: the
  # reproducer is printed and belongs in regressions/. Without it the run is time-bounded, for
  # exploring (`make fuzz`).
  if [ -n "${GP_FUZZ_RUNS:-}" ]; then
    budget=(-runs="$GP_FUZZ_RUNS" -seed="${GP_FUZZ_SEED:-1}")
    echo "fuzz: $t: $GP_FUZZ_RUNS inputs from seed ${GP_FUZZ_SEED:-1} over $(ls -A "$corpus" | wc -l) seed file(s)"
  else
    budget=(-max_total_time="$seconds")
    echo "fuzz: $t: ${seconds}s over $(ls -A "$corpus" | wc -l) seed(s)"
  fi
  if ! "$exe" "$corpus" "${dict[@]}" "${budget[@]}" -timeout=25 -rss_limit_mb=2048 \
    -max_len=4096 -artifact_prefix="$artifacts/$t/" -print_final_stats=1 >"$log" 2>&1; then
    tail -n 80 "$log" >&2
    repro="$(grep -o "Test unit written to [^ ]*" "$log" | tail -n 1 | sed 's/Test unit written to //')"
    echo "fuzz: FAILED $t" >&2
    if [ -n "$repro" ]; then
      echo "fuzz: reproducer: $repro" >&2
      echo "fuzz: reproduce with: $exe $repro" >&2
    fi
    failed+=("$t")
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|cov: .* ft: " "$log" | tail -n 3 |
      sed "s/^/fuzz: $t: /"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} failure(s): ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} target(s) passed"
