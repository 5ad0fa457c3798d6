#!/usr/bin/env bash
# Checks the Dockerfile without Docker (which cannot run here):
#   dockerfile_test.sh DOCKERFILE BINARY
#
# 1. Every package either stage installs exists in Debian bookworm (`apt-cache show`, offline from
#    the local package lists).
# 2. Every shared library `ldd BINARY` resolves (and libgit2, libcurl and libcrypto with their own,
#    which the binary opens with dlopen) belongs (`dpkg -S`) to a package P with
#      P in R                      R = the runtime stage's `apt-get install` list, or
#      P in closure(R)             what apt installs with them (Depends and Pre-Depends, recursively), or
#      P in closure(B)             B = the packages of debian:bookworm-slim: every bookworm package
#                                  with `Essential: yes` or `Priority: required`, plus `apt`
#                                  (debootstrap's minbase variant, which the slim image is built from).
#    The dynamic loader itself (ld-linux, no `=>` in ldd's output) and the vDSO are not files of
#    the image and are skipped.
# 3. "Exactly": every package in R other than ca-certificates, tini and kubernetes-client (the
#    kubectl `feature` renders with) owns at least one of those
#    libraries (no package is installed for nothing).
# 4. The runtime stage sets no USER (GitHub runs a Docker action as the image's user and documents
#    root; the workspace may belong to anyone), and its ENTRYPOINT runs tini, run-as-owner (which
#    drops to the repository's owner) and the binary.
#
# Then it checks itself: deliberately broken copies of the Dockerfile (a library package removed, a
# package that does not exist, an unneeded package, a USER, no run-as-owner) must each be rejected.
set -Eeuo pipefail
# A failure that set -e ends silently still says where (a flake in CI left no output at all).
trap 'echo "dockerfile_test: failed at line $LINENO (exit $?)" >&2' ERR

dockerfile=$1
binary=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# apt-cache with a private binary cache (this machine may keep none), built on the first call.
apt_cache() {
  apt-cache -o Dir::Cache::pkgcache="$work/pkgcache.bin" -o Dir::Cache::srcpkgcache="$work/srcpkgcache.bin" "$@"
}

die() {
  echo "dockerfile_test: $*" >&2
  exit 1
}

# The instructions of stage $2 (named by `FROM … AS $2`), one per line, continuations joined.
stage_instructions() {
  awk -v stage="$2" '
    { sub(/\r$/, "") }
    /^[[:space:]]*#/ { next }
    {
      line = $0
      if (line ~ /\\[[:space:]]*$/) { sub(/\\[[:space:]]*$/, " ", line); buf = buf line; next }
      buf = buf line
      if (buf ~ /^[[:space:]]*FROM[[:space:]]/) {
        n = split(buf, w, /[[:space:]]+/)
        current = ""
        for (i = 1; i < n; i++) { if (toupper(w[i]) == "AS") { current = w[i + 1] } }
      } else if (current == stage && buf !~ /^[[:space:]]*$/) {
        print buf
      }
      buf = ""
    }' "$1"
}

# The packages named by `apt-get install` in stage $2's RUN instructions, one per line.
stage_packages() {
  stage_instructions "$1" "$2" | awk '
    toupper($1) == "RUN" {
      collecting = 0
      for (i = 2; i <= NF; i++) {
        if ($i == "&&" || $i == "||" || $i == ";" || $i == "|") { collecting = 0; continue }
        if ($(i - 1) == "apt-get" && $i == "install") { collecting = 1; continue }
        if (collecting && $i !~ /^-/) { w = $i; sub(/;$/, "", w); print w; if ($i ~ /;$/) collecting = 0 }
      }
    }' | sort -u
}

# Every package apt would install for the packages given as arguments (Depends and Pre-Depends,
# recursively), the arguments included; virtual packages (<…>) are dropped.
depends_closure() {
  apt_cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "$@" 2>/dev/null | grep -v '^[[:space:]<]' | sed 's/:.*$//' | sort -u
}

# The package owning library file $1: dpkg knows it by the path it shipped (/usr/lib/… on a merged
# /usr, where ldd may print /lib/…).
owner_of() {
  local path=$1 candidate out
  for candidate in "$path" "/usr$path" "${path#/usr}" "$(readlink -f "$path")"; do
    if out=$(dpkg -S "$candidate" 2>/dev/null); then
      out=${out%%:*}
      echo "${out%%,*}"
      return 0
    fi
  done
  return 1
}

# The libraries ldd resolves for the binary and their packages ("package path" lines), computed once.
# libgit2, libcurl and libcrypto are opened with dlopen when first needed (src/git/libgit2_library.cpp,
# src/http/curl_library.cpp, src/providers/github/libcrypto.cpp), so they and what they link are
# counted as loaded too.
ldd "$binary" >"$work/ldd.txt" || die "ldd $binary failed"
for soname in libgit2.so.1.5 libcurl.so.4 libcrypto.so.3; do
  lib=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64/ { print $NF; exit }')
  [ -n "$lib" ] || die "ldconfig knows no $soname (the binary dlopens it)"
  {
    echo "$soname => $lib (0x0)"
    ldd "$lib"
  } >>"$work/ldd.txt" || die "ldd $lib failed"
done
: >"$work/owners.txt"
while read -r _ arrow path _; do
  [ "$arrow" = "=>" ] || continue
  [ "${path#/}" != "$path" ] || die "ldd cannot resolve a library of $binary: $_ $arrow $path"
  pkg=$(owner_of "$path") || die "no Debian package owns $path (dpkg -S)"
  echo "$pkg $path" >>"$work/owners.txt"
done <"$work/ldd.txt"
[ -s "$work/owners.txt" ] || die "ldd reported no shared libraries for $binary"

# B's closure, computed once (it does not depend on the Dockerfile).
apt_cache dumpavail |
  awk -v RS= '/\nPriority: required|\nEssential: yes/ { if (match($0, /^Package: [^\n]+/)) print substr($0, 10, RLENGTH - 9) }' |
  sort -u >"$work/base-seeds.txt"
grep -qx dpkg "$work/base-seeds.txt" || die "apt-cache dumpavail lists no required packages (no package lists?)"
echo apt >>"$work/base-seeds.txt"
# shellcheck disable=SC2046
depends_closure $(cat "$work/base-seeds.txt") >"$work/base.txt"

# Checks Dockerfile $1; prints the problems and returns 1 when there are any.
check() {
  local file=$1 problems=0 p pkg path
  local runtime build
  runtime=$(stage_packages "$file" runtime)
  build=$(stage_packages "$file" build)
  if [ -z "$runtime" ]; then
    echo "  the runtime stage (FROM … AS runtime) installs no packages"
    return 1
  fi
  [ -n "$build" ] || { echo "  the build stage (FROM … AS build) installs no packages"; problems=1; }
  # One `apt-cache show` for all: it prints a paragraph per package it knows.
  # shellcheck disable=SC2086
  apt_cache show --no-all-versions $runtime $build 2>/dev/null | sed -n 's/^Package: //p' | sort -u >"$work/known.txt" || true
  for p in $runtime $build; do
    if ! grep -qx -- "$p" "$work/known.txt"; then
      echo "  package $p does not exist in bookworm (apt-cache show)"
      problems=1
    fi
  done
  # shellcheck disable=SC2086
  depends_closure $runtime >"$work/runtime-closure.txt"
  while read -r pkg path; do
    if ! grep -qx "$pkg" "$work/runtime-closure.txt" && ! grep -qx "$pkg" "$work/base.txt"; then
      echo "  $path (package $pkg) is neither installed by the runtime stage nor in bookworm-slim"
      problems=1
    fi
  done <"$work/owners.txt"
  for p in $runtime; do
    case $p in ca-certificates | tini | kubernetes-client) continue ;; esac
    if ! awk -v p="$p" '$1 == p { found = 1 } END { exit !found }' "$work/owners.txt"; then
      echo "  the runtime stage installs $p, which owns no library the binary loads"
      problems=1
    fi
  done
  for p in ca-certificates tini kubernetes-client; do
    grep -qx "$p" <<<"$runtime" || { echo "  the runtime stage does not install $p"; problems=1; }
  done
  local user entrypoint
  user=$(stage_instructions "$file" runtime | awk 'toupper($1) == "USER" { u = $2 } END { print u }')
  if [ -n "$user" ]; then
    echo "  the runtime stage sets USER $user (the workspace's owner is known only at run time)"
    problems=1
  fi
  entrypoint=$(stage_instructions "$file" runtime | awk 'toupper($1) == "ENTRYPOINT"')
  if [[ $entrypoint != *tini*run-as-owner*gitops-promotion* ]]; then
    echo "  the runtime ENTRYPOINT is not tini + run-as-owner + gitops-promotion: $entrypoint"
    problems=1
  fi
  return $problems
}

echo "runtime packages: $(stage_packages "$dockerfile" runtime | tr '\n' ' ')"
echo "libraries: $(awk '{print $1}' "$work/owners.txt" | sort -u | tr '\n' ' ')"
if ! check "$dockerfile"; then
  die "$dockerfile does not match $binary"
fi

# Self-test: each broken variant must be rejected with the expected complaint.
expect_rejected() {
  local name=$1 pattern=$2 variant="$work/Dockerfile.$1" output
  if output=$(check "$variant"); then
    die "self-test '$name': the broken Dockerfile was accepted"
  fi
  grep -q -- "$pattern" <<<"$output" || die "self-test '$name': expected '$pattern', got: $output"
}
sed 's/libyaml-cpp0\.7 //' "$dockerfile" >"$work/Dockerfile.missing-lib"
cmp -s "$dockerfile" "$work/Dockerfile.missing-lib" && die "self-test: libyaml-cpp0.7 is not in $dockerfile"
expect_rejected missing-lib "libyaml-cpp.so.0.7 (package libyaml-cpp0.7) is neither"
sed 's/libcurl4-openssl-dev /libcurl4-openssl-dev libno-such-package9 /' "$dockerfile" >"$work/Dockerfile.no-such"
expect_rejected no-such "package libno-such-package9 does not exist"
sed 's/ca-certificates tini/ca-certificates tini libxml2/' "$dockerfile" >"$work/Dockerfile.unneeded"
expect_rejected unneeded "installs libxml2, which owns no library"
sed 's/^ENTRYPOINT /USER 1001:1001\nENTRYPOINT /' "$dockerfile" >"$work/Dockerfile.user"
expect_rejected user "sets USER 1001:1001"
sed 's|"/usr/local/bin/run-as-owner", ||' "$dockerfile" >"$work/Dockerfile.no-drop"
expect_rejected no-drop "is not tini + run-as-owner"
echo "dockerfile_test: ok"
