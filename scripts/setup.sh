#!/usr/bin/env bash
# Installs every Debian package the build, the tests, the demo and the benchmarks need.
# Idempotent: does nothing (and needs no network) when everything is already installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libgit2-dev libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libgtest-dev libgmock-dev libcpp-httplib-dev
  lighttpd clang clang-format
  dpkg-dev zsh
  curl jq openssl
  ccache
  buildah podman runc debootstrap
  lintian help2man
)

# Node.js and npm run the contract oracles (Prism, GitHub's GraphQL schema); any Node >= 18 works, so a
# machine that already has one (e.g. Node 20 from NodeSource) keeps it and Debian's is installed otherwise.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

# `feature` renders with the user's kustomize: a kustomize or kubectl already on PATH is used, and
# Debian's kubectl (kubernetes-client) is installed when there is neither.
if ! command -v kustomize >/dev/null 2>&1 && ! command -v kubectl >/dev/null 2>&1; then
  packages+=(kubernetes-client)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# tests/packaging reads the package lists (apt-cache show) to check the Dockerfile's packages.
no_lists=false
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -print -quit 2>/dev/null)" ]; then
  no_lists=true
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if [ ${#missing[@]} -gt 0 ] || $no_lists; then
  $SUDO apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The tests also run `feature` with the oldest kustomize supported, Debian 12's kubectl 1.20
# (kustomize v2.0.3), unpacked into a cache beside whatever kubectl the machine has.
oldest_dir=/var/cache/gitops-promotion/kubectl-debian12
if [ ! -x "$oldest_dir/usr/bin/kubectl" ]; then
  echo "setup: unpacking Debian 12's kubernetes-client into $oldest_dir" >&2
  download=$(mktemp -d)
  (cd "$download" && apt-get download -qq kubernetes-client 2>/dev/null) || { $SUDO apt-get update -qq && (cd "$download" && apt-get download -qq kubernetes-client); }
  $SUDO mkdir -p "$oldest_dir"
  $SUDO dpkg-deb -x "$download"/kubernetes-client_*.deb "$oldest_dir"
  rm -rf "$download"
fi

# Node packages of the contract tests (Prism, GitHub's GraphQL schema), pinned by tools/contract/package-lock.json.
# Installed when missing or older than the lock file; needs only the npm registry.
contract_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/contract"
if [ -f "$contract_dir/package-lock.json" ] && command -v npm >/dev/null 2>&1; then
  if [ ! -d "$contract_dir/node_modules" ] || [ "$contract_dir/package-lock.json" -nt "$contract_dir/node_modules" ]; then
    echo "setup: npm ci in tools/contract" >&2
    npm ci --prefix "$contract_dir" --no-audit --no-fund >/dev/null
    touch "$contract_dir/node_modules"
  fi
elif [ -f "$contract_dir/package-lock.json" ]; then
  echo "setup: npm not found; the contract tests need node 20 and npm" >&2
fi
