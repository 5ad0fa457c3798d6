#!/usr/bin/env bash
# Generates a large GitOps repository for benchmarks, fast (git fast-import, no work-tree writes):
#   <group>/<env>/kustomization.yaml and <group>/<env>/<app>/deployment.yaml (one $imagepolicy marker
#   each), gitops-promotion.yaml at the root, then COMMITS promotion-like commits that each bump one
#   app's tag in one environment.
# usage: bench/generate-repo.sh DIR [GROUPS=40] [APPS=250] [COMMITS=3000]
# Creates DIR/origin.git (bare) and DIR/work (a full clone with `origin` pointing at DIR/origin.git).
# Defaults: 40 groups x 3 environments x 250 apps = 30 000 manifests.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 DIR [GROUPS] [APPS] [COMMITS]" >&2
  exit 2
fi
dir=$1
groups=${2:-40}
apps=${3:-250}
commits=${4:-3000}

if [ -e "$dir/origin.git" ] || [ -e "$dir/work" ]; then
  echo "$0: $dir/origin.git or $dir/work exists already; use a fresh DIR" >&2
  exit 1
fi
mkdir -p "$dir"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
git init -q --bare -b main "$dir/origin.git"

# One awk program writes the whole fast-import stream; srand(42) keeps the history reproducible.
awk -v groups="$groups" -v apps="$apps" -v commits="$commits" '
function blob(content) {
  printf "data %d\n%s\n", length(content), content
}
function deployment(g, e, a, tag,    s) {
  s = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " a "\n  namespace: " g "-" e "\n"
  s = s "  labels:\n    app.kubernetes.io/name: " a "\n    app.kubernetes.io/part-of: " g "\n"
  s = s "spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: " a "\n"
  s = s "  template:\n    metadata:\n      labels:\n        app: " a "\n    spec:\n      containers:\n"
  s = s "        - name: " a "\n"
  s = s "          image: registry.example.com/" g "/" a ":" tag " # {\"$imagepolicy\": \"" g ":" a "\"}\n"
  s = s "          ports:\n            - containerPort: 8080\n          resources:\n"
  s = s "            requests:\n              cpu: 50m\n              memory: 64Mi\n"
  s = s "            limits:\n              memory: 128Mi\n"
  s = s "          readinessProbe:\n            httpGet:\n              path: /healthz\n              port: 8080\n"
  return s
}
function header(msg, t) {
  printf "commit refs/heads/main\n"
  printf "author Bench Author <bench@example.com> %d +0000\n", t
  printf "committer Bench Author <bench@example.com> %d +0000\n", t
  printf "data %d\n%s\n", length(msg), msg
}
BEGIN {
  srand(42)
  split("dev qa prod", envs, " ")
  t = 1700000000
  header("Initial GitOps repository", t)
  cfg = "prflow: per-app\nenvironments:\n  - name: dev\n    auto: true\n  - name: qa\n    auto: true\n  - name: prod\n    auto: false\n"
  printf "M 100644 inline gitops-promotion.yaml\n"; blob(cfg)
  for (g = 1; g <= groups; g++) {
    gn = sprintf("group%02d", g)
    for (ei = 1; ei <= 3; ei++) {
      e = envs[ei]
      k = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
      for (a = 1; a <= apps; a++) {
        an = sprintf("app%03d", a)
        k = k "  - " an "/deployment.yaml\n"
        printf "M 100644 inline %s/%s/%s/deployment.yaml\n", gn, e, an
        blob(deployment(gn, e, an, "v1.0.0"))
      }
      printf "M 100644 inline %s/%s/kustomization.yaml\n", gn, e
      blob(k)
    }
  }
  printf "\n"
  for (c = 1; c <= commits; c++) {
    g = int(rand() * groups) + 1; ei = int(rand() * 3) + 1; a = int(rand() * apps) + 1
    gn = sprintf("group%02d", g); e = envs[ei]; an = sprintf("app%03d", a)
    tag = "v1." c ".0"
    header("Promote " gn "/" an " version " tag " to environment " e, t + c * 60)
    printf "M 100644 inline %s/%s/%s/deployment.yaml\n", gn, e, an
    blob(deployment(gn, e, an, tag))
    printf "\n"
  }
}' | git --git-dir="$dir/origin.git" fast-import --quiet

git clone -q "$dir/origin.git" "$dir/work"
git -C "$dir/origin.git" gc -q
files=$(git -C "$dir/work" ls-files | wc -l)
count=$(git -C "$dir/work" rev-list --count HEAD)
echo "generated $dir/work: $files files, $count commits (groups=$groups apps=$apps)"
