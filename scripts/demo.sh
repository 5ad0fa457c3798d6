#!/usr/bin/env bash
# Offline demo of gitops-promotion: builds a small sample GitOps repository in a temp dir, lints it,
# and shows what `new` would do (diff, branch, pull request) without a token or network.
# Usage: scripts/demo.sh path/to/gitops-promotion
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 path/to/gitops-promotion" >&2
  exit 2
fi
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
if [[ ! -x "$bin" ]]; then
  echo "demo: $1 is not an executable (build it first: make build)" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/gitops-promotion-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
repo="$work/gitops"

# Keep the user's git configuration out of the demo.
export GIT_CONFIG_NOSYSTEM=1 HOME="$work" GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.com \
  GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.com

if [[ -t 1 ]]; then
  section() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
  section() { printf '\n==> %s\n' "$*"; }
fi

section "Creating a sample GitOps repository in $repo"
mkdir -p "$repo"
cd "$repo"
git init -q -b main

cat > gitops-promotion.yaml <<'YAML'
environments:
  - name: dev
    auto: true
  - name: qa
    auto: true
  - name: prod
    auto: false
YAML

for env in dev qa prod; do
  mkdir -p "webshop/$env/cart" "webshop/$env/webui"
  cat > "webshop/$env/cart/deployment.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: cart
          image: registry.example.com/webshop/cart:1.0.0 # {"$imagepolicy": "webshop:cart"}
          ports:
            - containerPort: 8080
YAML
  cat > "webshop/$env/webui/deployment.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: webui
spec:
  template:
    spec:
      containers:
        - name: webui
          image: webui
YAML
  cat > "webshop/$env/webui/kustomization.yaml" <<'YAML'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
images:
  - name: webui
    newName: registry.example.com/webshop/webui # {"$imagepolicy": "webshop:webui:name"}
    newTag: 1.0.0 # {"$imagepolicy": "webshop:webui:tag"}
YAML
done
git remote add origin https://github.com/example/webshop-gitops.git
git add -A
git commit -q -m "Sample GitOps repository"
find . -path ./.git -prune -o -type f -print | sort | sed 's|^\./|  |'

section "gitops-promotion lint"
"$bin" lint

section "gitops-promotion new --dry-run --group webshop --app cart --tag 1.1.0"
"$bin" new --dry-run --group webshop --app cart --tag 1.1.0

section "The same with --output json"
"$bin" new --dry-run --group webshop --app cart --tag 1.1.0 --output json

section "Nothing was changed"
git status --short
git log --oneline --all
echo "(work tree clean, one commit, no promote/ branch)"
