#!/usr/bin/env bash
# The files users hand to CI systems, checked against the official schemas and against each other:
#   ci_files_test.sh SOURCE_DIR NODE_TOOLS_DIR
#
# 1. action.yml against SchemaStore's github-action schema, .github/workflows/*.yml against its
#    github-workflow schema, azure-pipelines/*.yml against Microsoft's service-schema.json (every
#    scalar read as a string, as Azure Pipelines reads them), and likewise the workflows and pipelines
#    the documentation shows (docs/github.md, docs/azure-devops.md). The schemas are vendored in
#    tests/data/schemas/ (SOURCE.md); the validator is tools/contract/validate-schemas.mjs (ajv).
# 2. One release everywhere: the version of CMakeLists.txt is the tag of the image action.yml runs,
#    of the templates' default image and of the template repository the example pipelines pin.
# 3. What Azure Repos and secrets need: no persistCredentials (it leaves the token in .git/config)
#    and no YAML `pr:` trigger but `pr: none` (Azure Repos ignores it; build validation is a branch
#    policy).
# Then it checks itself: broken copies must be rejected.
set -euo pipefail

src=$1
tools=$2
schemas=$src/tests/data/schemas
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

validate() {
  node "$tools/validate-schemas.mjs" "$@"
}

shopt -s nullglob
workflows=("$src"/.github/workflows/*.yml "$src"/.github/workflows/*.yaml)
pipelines=("$src"/azure-pipelines/*.yml)
[[ ${#workflows[@]} -gt 0 ]] || fail "no workflow files in .github/workflows"
[[ ${#pipelines[@]} -gt 0 ]] || fail "no pipeline files in azure-pipelines"

validate "$schemas/github-action.json" "$src/action.yml" || fail "action.yml does not match the github-action schema"
validate "$schemas/github-workflow.json" "${workflows[@]}" || fail "a workflow does not match the github-workflow schema"
validate --strings "$schemas/azure-pipelines-service-schema.json" "${pipelines[@]}" ||
  fail "a pipeline file does not match Azure Pipelines' service-schema.json"

# doc_blocks DOC KEY NAME: the fenced yaml blocks of DOC with a top-level KEY, as $work/NAME-<n>.yml.
doc_blocks() {
  awk -v dir="$work" -v key="$2" -v name="$3" '
    /^```yaml/ { inside = 1; n++; text = ""; next }
    inside && /^```/ {
      inside = 0
      if (text ~ ("(^|\n)" key ":")) { f = dir "/" name "-" n ".yml"; printf "%s", text > f; close(f) }
      next
    }
    inside { text = text $0 "\n" }' "$1"
}
# The workflows and pipelines the documentation shows are checked like the files themselves.
doc_blocks "$src/docs/github.md" jobs doc-workflow
doc_workflows=("$work"/doc-workflow-*.yml)
[[ ${#doc_workflows[@]} -ge 3 ]] || fail "found ${#doc_workflows[@]} workflows in docs/github.md, expected the three"
validate "$schemas/github-workflow.json" "${doc_workflows[@]}" ||
  fail "a workflow shown in docs/github.md does not match the github-workflow schema"
doc_blocks "$src/docs/azure-devops.md" steps doc-pipeline
doc_pipelines=("$work"/doc-pipeline-*.yml)
[[ ${#doc_pipelines[@]} -ge 3 ]] || fail "found ${#doc_pipelines[@]} pipelines in docs/azure-devops.md, expected at least three"
validate --strings "$schemas/azure-pipelines-service-schema.json" "${doc_pipelines[@]}" ||
  fail "a pipeline shown in docs/azure-devops.md does not match Azure Pipelines' service-schema.json"

version=$(sed -n 's/^project(gitops-promotion VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[[ -n $version ]] || fail "no project VERSION in CMakeLists.txt"
image=$(sed -n 's|^  image: docker://\(.*\)$|\1|p' "$src/action.yml")
[[ $image == */gitops-promotion:"$version" ]] ||
  fail "action.yml runs image '$image', not the published image of version $version"
for f in new promote status steps-install; do
  grep -qx "    default: $image" "$src/azure-pipelines/$f.yml" ||
    fail "azure-pipelines/$f.yml: the default image is not $image"
done
for f in "${pipelines[@]}"; do
  if grep -q 'persistCredentials' <(grep -v '^ *#' "$f"); then
    fail "$f uses persistCredentials"
  fi
  if grep -E '^pr:' "$f" | grep -qv '^pr: none$'; then
    fail "$f has a YAML pr: trigger, which Azure Repos ignores"
  fi
  if grep -v '^ *#' "$f" | grep -q '@gitops-promotion'; then
    grep -qx "      ref: refs/tags/v$version" "$f" || fail "$f does not pin the templates to v$version"
  fi
done

# Self-test: each broken copy is rejected by its schema.
expect_rejected() {
  local what=$1
  shift
  if validate "$@" >"$work/out" 2>&1; then
    fail "self-test '$what': the broken file was accepted"
  fi
}
sed 's/using: docker/using: dockr/' "$src/action.yml" >"$work/action.yml"
expect_rejected "action runs.using" "$schemas/github-action.json" "$work/action.yml"
sed 's/runs-on:/runs-onn:/' "${workflows[0]}" >"$work/workflow.yml"
expect_rejected "workflow runs-on" "$schemas/github-workflow.json" "$work/workflow.yml"
sed 's/^  - checkout: self/  - checkoutt: self/' "$src/azure-pipelines/pipeline-promote.yml" >"$work/pipeline.yml"
expect_rejected "pipeline step" --strings "$schemas/azure-pipelines-service-schema.json" "$work/pipeline.yml"

if [[ $failures -gt 0 ]]; then
  exit 1
fi
echo "ci_files_test: ok (version $version, image $image)"
