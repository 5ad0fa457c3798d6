#!/usr/bin/env bash
# `cmake --install` of a configured, built tree ($1) into a temporary DESTDIR: exactly the expected
# files land under the prefix, the installed binary runs, the completion scripts and documents are
# the ones in the source tree ($2), and the installed gitops-promotion.yaml.example loads (lint on a
# sample repository). Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -uo pipefail

build=$1
src=$2
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

work=$(mktemp -d "${TMPDIR:-/tmp}/gp-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
dest=$work/dest
prefix=/usr

if ! DESTDIR=$dest cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
  cat "$work/install.log"
  echo "0 passed, 1 failed"
  exit 1
fi
root=$dest$prefix

cache_value() {
  sed -n -E "s/^$1:[A-Z]+=(.*)$/\1/p" "$build/CMakeCache.txt" | head -n 1
}
version=$(cache_value CMAKE_PROJECT_VERSION)
zsh_dir=$(cache_value GP_ZSH_COMPLETION_DIR)
[[ -n "$version" ]] || fail "no CMAKE_PROJECT_VERSION in $build/CMakeCache.txt"
[[ -n "$zsh_dir" ]] || fail "no GP_ZSH_COMPLETION_DIR in $build/CMakeCache.txt"

# Exactly these files, nothing else (no test binaries, no simulator, no headers).
expected=(
  "bin/gitops-promotion"
  "share/bash-completion/completions/gitops-promotion"
  "$zsh_dir/_gitops-promotion"
  "share/doc/gitops-promotion/README.md"
  "share/doc/gitops-promotion/gitops-promotion.yaml.example"
  "share/doc/gitops-promotion/copyright"
  "share/doc/gitops-promotion/changelog.gz"
  "share/man/man1/gitops-promotion.1.gz"
)
commands=(new promote status feature feature-stale set-image lint)
for c in "${commands[@]}"; do
  expected+=("share/man/man1/gitops-promotion-$c.1.gz")
done
while IFS= read -r doc; do
  expected+=("share/doc/gitops-promotion/docs/$doc")
done < <(cd "$src/docs" && find . -type f -name '*.md' | sed 's|^\./||')
want=$(printf '%s\n' "${expected[@]}" | sort)
got=$(cd "$root" && find . -type f -o -type l | sed 's|^\./||' | sort)
if [[ "$got" != "$want" ]]; then
  fail "installed files differ from the expected list"
  diff <(echo "$want") <(echo "$got") | sed 's/^/    /'
else
  echo "ok: $(echo "$got" | wc -l) files installed under $prefix"
fi
# Nothing outside the prefix.
outside=$(cd "$dest" && find . -type f | grep -v "^\.$prefix/" || true)
[[ -z "$outside" ]] || fail "files outside $prefix: $outside"

# The binary: executable, runs, and is the version this tree was configured with.
installed=$root/bin/gitops-promotion
if [[ ! -x "$installed" ]]; then
  fail "$installed is not executable"
else
  out=$("$installed" --version 2>&1)
  [[ "$out" == "gitops-promotion $version" ]] || fail "--version printed [$out], want [gitops-promotion $version]"
  "$installed" --help >/dev/null 2>&1 || fail "--help of the installed binary failed"
  echo "ok: installed binary runs ($out)"
fi

# The legal and history files: the copyright file as written, the changelog compressed as Debian
# wants it and naming this version first.
cmp -s "$root/share/doc/gitops-promotion/copyright" "$src/packaging/copyright" ||
  fail "the installed copyright file is not packaging/copyright"
if ! gzip -dc "$root/share/doc/gitops-promotion/changelog.gz" | cmp -s - "$src/packaging/changelog"; then
  fail "changelog.gz does not decompress to packaging/changelog"
fi
head -n 1 "$src/packaging/changelog" | grep -q "^gitops-promotion ($version) " ||
  fail "packaging/changelog does not start with version $version: $(head -n 1 "$src/packaging/changelog")"

# The man pages render, are named after their command and document its flags (from its --help).
for page in "$root"/share/man/man1/*.1.gz; do
  name=$(basename "$page" .1.gz)
  command=${name#gitops-promotion}
  command=${command#-}
  text=$(MANWIDTH=100 man -l "$page" 2>&1) || { fail "man -l $page failed: $text"; continue; }
  # man justifies the line, so the separator may have more than one space before it.
  [[ "$text" =~ $name\ +-\  ]] || fail "$name(1) has no NAME line for $name"
  for flag in $("$installed" $command --help | sed -n -E 's/^[[:space:]]+(-[A-Za-z],)?[[:space:]]*(--[a-z][a-z-]*).*/\2/p'); do
    [[ "$text" == *"$flag"* ]] || fail "$name(1) does not document $flag"
  done
done
echo "ok: ${#commands[@]} + 1 man pages render and document their flags"

# Installed copies are the source files, byte for byte.
same() {
  if ! cmp -s "$1" "$2"; then
    fail "$2 differs from $1"
  fi
}
same "$src/completion/gitops-promotion.bash" "$root/share/bash-completion/completions/gitops-promotion"
same "$src/completion/_gitops-promotion" "$root/$zsh_dir/_gitops-promotion"
same "$src/README.md" "$root/share/doc/gitops-promotion/README.md"
same "$src/gitops-promotion.yaml.example" "$root/share/doc/gitops-promotion/gitops-promotion.yaml.example"
while IFS= read -r doc; do
  same "$src/docs/$doc" "$root/share/doc/gitops-promotion/docs/$doc"
done < <(cd "$src/docs" && find . -type f -name '*.md' | sed 's|^\./||')
for f in "$root"/share/bash-completion/completions/gitops-promotion "$root/$zsh_dir/_gitops-promotion" \
  "$root"/share/doc/gitops-promotion/README.md; do
  perms=$(stat -c %a "$f")
  [[ "$perms" == 644 ]] || fail "$f has mode $perms, want 644"
done

# The installed example is a complete, valid configuration: every key known (no warnings), and it
# matches a repository with the groups and environments it names.
repo=$work/repo
mkdir -p "$repo"
cp "$root/share/doc/gitops-promotion/gitops-promotion.yaml.example" "$repo/gitops-promotion.yaml"
for env in dev qa prod; do
  mkdir -p "$repo/apps/$env"
  cat >"$repo/apps/$env/podinfo.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  template:
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.5.0 # {"$imagepolicy": "apps:podinfo"}
YAML
done
lint_out=$("$installed" lint --sourcedir "$repo" --output json 2>"$work/lint.err")
lint_rc=$?
if [[ $lint_rc -ne 0 ]]; then
  fail "lint of the example exited $lint_rc: $lint_out $(cat "$work/lint.err")"
elif [[ "$lint_out" != *'"errors": 0'* || "$lint_out" != *'"warnings": 0'* ]]; then
  fail "lint of the example reported findings: $lint_out"
else
  echo "ok: gitops-promotion.yaml.example lints clean"
fi
# ... and the check can fail: a misspelt key is a warning.
sed 's/^prflow:/prflwo:/' "$repo/gitops-promotion.yaml" >"$work/bad.yaml" && mv "$work/bad.yaml" "$repo/gitops-promotion.yaml"
lint_out=$("$installed" lint --sourcedir "$repo" 2>/dev/null)
[[ "$lint_out" == *'did you mean "prflow"'* ]] || fail "a misspelt key in the example was not reported: $lint_out"

if ((failures > 0)); then
  echo "0 passed, $failures failed"
  exit 1
fi
echo "install: all checks passed"
