#!/usr/bin/env bash
# Container entrypoint helper: run-as-owner COMMAND [ARGS...]
#
# The image starts as root (GitHub runs Docker actions as the image's user and documents root), but
# the repository it works on belongs to whoever owns the mounted workspace: uid 1001 on GitHub-hosted
# runners, often 1000 on self-hosted ones, or root. libgit2 refuses a repository owned by another
# user, and files root wrote into the workspace would be left behind for the runner's user. So when
# started as root, this drops to the owner (uid and gid) of the repository directory and runs
# COMMAND there; as any other user, or when the repository belongs to root, it runs COMMAND as it is.
#
# The repository directory is, in order: the value of --sourcedir in ARGS, $INPUT_SOURCEDIR (the
# Action's input), $GITHUB_WORKSPACE, the working directory.
#
# bash, not sh: dash drops variables whose names are not shell identifiers from the environment it
# passes on, and the runner's INPUT_API-URL and INPUT_DRY-RUN are such names.
set -eu

if [ "$#" -eq 0 ]; then
  echo "run-as-owner: usage: run-as-owner COMMAND [ARGS...]" >&2
  exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
  exec "$@"
fi

dir=""
previous=""
for arg in "$@"; do
  case $previous in --sourcedir) dir=$arg ;; esac
  case $arg in --sourcedir=*) dir=${arg#--sourcedir=} ;; esac
  previous=$arg
done
if [ -z "$dir" ]; then
  dir=$(printenv INPUT_SOURCEDIR || true)
fi
if [ -z "$dir" ]; then
  dir=${GITHUB_WORKSPACE:-$PWD}
fi

if ! owner=$(stat -c '%u:%g' -- "$dir" 2>/dev/null); then
  # Nothing to own: the tool itself reports the missing directory.
  exec "$@"
fi
uid=${owner%%:*}
gid=${owner#*:}
if [ "$uid" -eq 0 ]; then
  exec "$@"
fi
# HOME must be the new user's (libgit2 reads its global config there): the runner's mounted home
# is, root's is not.
if [ "$(stat -c %u -- "${HOME:-/}" 2>/dev/null || echo 0)" -ne "$uid" ]; then
  HOME=/tmp
  export HOME
fi
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all -- "$@"
