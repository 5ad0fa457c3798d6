#!/usr/bin/env bash
# Runs scripts/demo.sh ($1) against the built binary ($2; forge-sim from the same build directory)
# and checks it shows the whole walk: the three PRs, the gate's verdicts, the merges, the manual
# prod PR left open, and nothing left behind.
set -euo pipefail
before=$(ls -d "${TMPDIR:-/tmp}"/gitops-promotion-demo.* 2>/dev/null | sort || true)
out=$(bash "$1" "$2")
for needle in \
  "with pull request 1 on commit" \
  'PR #1 "Promote webshop/cart version 1.1.0 to environment dev"' \
  "+          image: registry.example.com/webshop/cart:1.1.0" \
  '"dev" is the first environment so status check is skipped' \
  "The forge auto-merges PR #1; Flux applies dev" \
  "Flux: kustomization/webshop-dev = success" \
  'PR #2 "Promote webshop/cart version 1.1.0 to environment qa"' \
  "successful reconciliation for webshop-dev found on" \
  "The forge auto-merges PR #2; Flux applies qa" \
  'PR #3 "Promote webshop/cart version 1.1.0 to environment prod"' \
  "successful reconciliation for webshop-qa found on" \
  "Production waits for a person" \
  "branch promote/webshop-cart -> main, auto-merge off" \
  "state: open, not merged" \
  "main has cart 1.1.0 in qa and 1.0.0 in prod"; do
  if [[ "$out" != *"$needle"* ]]; then
    echo "demo output lacks: $needle"
    echo "$out"
    exit 1
  fi
done
if [[ "$out" == *"verdict: failure"* || "$out" == *"Application failed"* ]]; then
  echo "demo reported a failure"
  echo "$out"
  exit 1
fi
after=$(ls -d "${TMPDIR:-/tmp}"/gitops-promotion-demo.* 2>/dev/null | sort || true)
if [[ "$after" != "$before" ]]; then
  echo "demo left its work directory behind: $after"
  exit 1
fi
echo "demo ok"
