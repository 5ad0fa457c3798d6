# shellcheck shell=bash
# Assertions of the shell test scripts (sourced): failures are counted in FAILURES and the script
# decides its exit status at the end; `fatal` ends it at once with what the last command printed
# ($WORK/out, $WORK/err) and the tail of the simulator's log ($WORK/forge/sim.log), when there.

FAILURES=${FAILURES:-0}

fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}

# A broken precondition: nothing after it can be meaningful.
fatal() {
  echo "FATAL: $*" >&2
  echo "--- last stdout:" >&2
  cat "$WORK/out" >&2 2>/dev/null
  echo "--- last stderr:" >&2
  cat "$WORK/err" >&2 2>/dev/null
  if [[ -f "$WORK/forge/sim.log" ]]; then
    echo "--- simulator log:" >&2
    tail -n 20 "$WORK/forge/sim.log" >&2
  fi
  exit 1
}

expect_eq() {
  [[ $1 == "$2" ]] || fail "$3: expected [$2], got [$1]"
}

expect_contains() {
  [[ $1 == *"$2"* ]] || fail "$3: [$2] not found in [$1]"
}
