#!/usr/bin/env bash
# Runs scripts/demo.sh ($1) against the built binary ($2) and checks it shows the planned PR.
set -euo pipefail
out=$(bash "$1" "$2")
for needle in "lint: no problems found" "+          image: registry.example.com/webshop/cart:1.1.0" \
  "promote/webshop-cart" "Promote webshop/cart version 1.1.0 to environment dev" \
  '"auto_merge": true'; do
  if [[ "$out" != *"$needle"* ]]; then
    echo "demo output lacks: $needle"
    echo "$out"
    exit 1
  fi
done
echo "demo ok"
