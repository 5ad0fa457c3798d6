#!/usr/bin/env bash
# Builds the container image from the Dockerfile with buildah (`make image`), the way a user's
# `docker build .` would: from the context that .dockerignore leaves, nothing copied by hand.
#
#   scripts/image.sh [NAME]     NAME defaults to gitops-promotion:<version from CMakeLists.txt>;
#                               gitops-promotion:latest is tagged too.
#
# No registry is reachable on a build machine without internet, so when the base image
# (debian:bookworm-slim) is not in local storage it is made with debootstrap from the Debian
# mirror apt already uses, trimmed as the slim image is, and imported under that name; the
# Dockerfile stays unchanged. The root file system is kept as a tarball in GP_IMAGE_CACHE, so a
# re-run never bootstraps again. The compiler cache of the image's build stage (the Dockerfile's
# cache mount) lives there too, so a rebuild after a source change compiles only what changed.
#
# Environment: GP_IMAGE_CACHE (default /var/cache/gitops-promotion), GP_STORAGE_DRIVER (default
# vfs: works without overlay mounts, in containers and sandboxes), GP_ISOLATION (default chroot).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=$(sed -n 's/^project(gitops-promotion VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
name=${1:-gitops-promotion:$version}
cache=${GP_IMAGE_CACHE:-/var/cache/gitops-promotion}
driver=${GP_STORAGE_DRIVER:-vfs}
isolation=${GP_ISOLATION:-chroot}
base=docker.io/library/debian:bookworm-slim

for tool in buildah podman; do
  command -v "$tool" >/dev/null || {
    echo "image: $tool is not installed (scripts/setup.sh installs it)" >&2
    exit 1
  }
done
mkdir -p "$cache"

# The mirror and suites apt uses here, so the image installs what this machine would.
mirror() {
  local uri
  uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
  if [ -z "$uri" ]; then
    uri=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  fi
  printf '%s' "${uri:-http://deb.debian.org/debian}"
}

make_base() {
  local tarball=$cache/bookworm-slim-rootfs.tar
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || {
      echo "image: debootstrap is not installed (scripts/setup.sh installs it)" >&2
      exit 1
    }
    local rootfs
    rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap 'rm -rf "$rootfs"' EXIT
    local uri
    uri=$(mirror)
    echo "image: bootstrapping $base from $uri (once; kept in $tarball)" >&2
    debootstrap --variant=minbase bookworm "$rootfs" "$uri" >"$cache/debootstrap.log" 2>&1 || {
      tail -n 20 "$cache/debootstrap.log" >&2
      exit 1
    }
    # What the slim image leaves out (its dpkg excludes): documentation, man pages, locales and
    # the package lists; apt's sources as the official image has them.
    rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
      "$rootfs"/usr/share/locale/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
      "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
    rm -f "$rootfs/etc/apt/sources.list"
    local security=${uri%/debian}/debian-security
    cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $uri
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    # mktemp made the root directory 0700; the image's / must be 0755 like any root file system,
    # or nobody but root can run anything in it.
    chmod 0755 "$rootfs"
    tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
    trap - EXIT
  fi
  podman --storage-driver "$driver" import --change 'CMD ["bash"]' "$tarball" "$base" >/dev/null
}

if ! podman --storage-driver "$driver" image exists "$base"; then
  make_base
fi

# buildah keeps RUN --mount=type=cache folders under $TMPDIR; point it at the cache folder so the
# compiler cache survives reboots and /tmp clean-ups.
mkdir -p "$cache/tmp"
echo "image: building $name" >&2
TMPDIR=$cache/tmp buildah --storage-driver "$driver" bud --isolation "$isolation" --layers \
  --pull-never -t "$name" -t gitops-promotion:latest -f "$root/Dockerfile" "$root"
