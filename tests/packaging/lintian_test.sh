#!/usr/bin/env bash
# The Debian package as `make package` makes it (CPack from this build tree, its install rules),
# checked by lintian: no errors (warnings and notes are printed, not fatal).
#   lintian_test.sh BUILD_DIR
# Then it checks itself: the same package without its copyright file must be rejected.
set -euo pipefail

build=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/gp-lintian.XXXXXX")
trap 'rm -rf "$work"' EXIT

command -v lintian >/dev/null || { echo "lintian is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/out/*.deb)
echo "package: $(basename "$deb")"
dpkg-deb -c "$deb" | awk '{ print "  " $6 }'

# lintian warns about running as root; the findings are what matters.
if ! lintian --fail-on error --display-info "$deb" 2>/dev/null | tee "$work/lintian.txt"; then
  echo "lintian reports errors on $(basename "$deb")" >&2
  exit 1
fi
if grep -q '^E: ' "$work/lintian.txt"; then
  echo "lintian reports errors on $(basename "$deb")" >&2
  exit 1
fi

# Self-test: a copy without the copyright file is an error for lintian.
dpkg-deb -R "$deb" "$work/tree"
rm "$work/tree/usr/share/doc/gitops-promotion/copyright"
sed -i '\|usr/share/doc/gitops-promotion/copyright|d' "$work/tree/DEBIAN/md5sums"
dpkg-deb --root-owner-group -b "$work/tree" "$work/broken.deb" >/dev/null
if lintian --fail-on error "$work/broken.deb" >"$work/broken.txt" 2>/dev/null; then
  echo "self-test: lintian accepted a package without a copyright file" >&2
  exit 1
fi
grep -q 'no-copyright-file' "$work/broken.txt" || { echo "self-test: unexpected findings: $(cat "$work/broken.txt")" >&2; exit 1; }
echo "lintian_test: ok"
