#!/usr/bin/env bash
# How the cost of gitops-promotion grows with the repository, measured side by side in one run
# against git's own floors, at several sizes made by bench/generate-repo.sh:
#   new --dry-run (reading one environment)   vs  git grep -l '"$imagepolicy"' HEAD -- GROUP/dev
#   new (commit, push, PR on the local forge) vs  git plumbing (read-tree, hash-object,
#                                                 update-index, write-tree, commit-tree) + git push
#   git push alone (client side) of such a commit, and cp -a of the checkout (upstream's first step)
#   --version                                 vs  git --version
#   what loading each library at start-up costs: an empty C++ program linked with nothing more,
#   with libgit2, libcurl or libcrypto (the three the binary opens with dlopen when first needed)
# The forge is scripts/lib/local-forge.sh: the forge simulator and lighttpd + git http-backend on
# loopback. CPU is user + system time of the whole process tree (GNU time), taken over a batch of
# BATCH runs and divided, REPEATS batches per figure: min / median / max. Peak RSS is the largest
# of all runs.
#
# usage: bench/scaling.sh [BUILD_DIR=build]
# environment:
#   SIZES="1000 10000 30000 100000"  manifests (3 environments x groups x apps)
#   REPEATS=5 BATCH=5                batches per figure, runs per batch
#   FAST_BATCH=20                    runs per batch of new --dry-run and git grep (x5 for --version)
#   BENCH_DIR=/tmp/gp-scaling        where the generated repositories are kept (reused when there)
#   COPY_AT=30000                    the size at which `cp -a` of the checkout is measured (1 run)
#   LARGE=1                          also a 20 000-file environment and a 50 MB file (0: skip)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
cli=$build/gitops-promotion
sim=$build/tools/forge-sim/forge-sim
sizes=${SIZES:-"1000 10000 30000 100000"}
repeats=${REPEATS:-5}
batch=${BATCH:-5}
fast_batch=${FAST_BATCH:-20}
bench_dir=${BENCH_DIR:-/tmp/gp-scaling}
copy_at=${COPY_AT:-30000}
for f in "$cli" "$sim" /usr/bin/time "$(command -v c++ || echo c++)"; do
  [ -x "$f" ] || {
    echo "$0: $f is missing (build the project first: make build)" >&2
    exit 1
  }
done
# shellcheck source=../scripts/lib/local-forge.sh
source "$root/scripts/lib/local-forge.sh"

scratch=$(mktemp -d)
cleanup() {
  lf_stop >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
lf_isolate "$scratch" bench
token="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
lf_start "$scratch/forge" "$sim" "$token" >/dev/null || {
  echo "$0: the local forge did not start" >&2
  exit 1
}

# cpu_batch FILE CMD [N]: runs the shell snippet CMD (with $i = run number) N (default BATCH) times
# in one measured shell; appends "<cpu ms per run> <peak RSS KiB>" to FILE. GNU time counts CPU in
# 10 ms steps, so commands of a few ms run in batches of FAST_BATCH.
cpu_batch() {
  local file=$1 snippet=$2 n=${3:-$batch}
  /usr/bin/time -o "$scratch/time" -f '%U %S %M' bash -c "
    set -e
    for i in \$(seq $n); do $snippet; done" >/dev/null 2>"$scratch/err" || {
    echo "$0: failed: $snippet" >&2
    cat "$scratch/err" >&2
    exit 1
  }
  awk -v b="$n" '{ printf "%.1f %d\n", ($1 + $2) * 1000 / b, $3 }' "$scratch/time" >>"$file"
}
# measure NAME SNIPPET [N]: REPEATS batches of N runs; prints "min median max peakKiB" into
# $scratch/NAME.
measure() {
  local name=$1 snippet=$2 n=${3:-$batch} r
  : >"$scratch/$name.runs"
  for r in $(seq "$repeats"); do
    run_id=$r cpu_batch "$scratch/$name.runs" "$snippet" "$n"
  done
  sort -n "$scratch/$name.runs" | awk -v n="$repeats" '
    { cpu[NR] = $1; if ($2 > rss) rss = $2 }
    END { printf "%.1f %.1f %.1f %d\n", cpu[1], cpu[int((n + 1) / 2)], cpu[n], rss }' \
    >"$scratch/$name"
}
fig() { cut -d' ' -f"$2" "$scratch/$1"; }
cell() { printf '%s (%s–%s)' "$(fig "$1" 2)" "$(fig "$1" 1)" "$(fig "$1" 3)"; }
mib() { awk -v k="$(fig "$1" 4)" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$(fig "$1" 2)" -v b="$(fig "$2" 2)" 'BEGIN { printf "%.2f", a / b }'; }

echo "machine: $(nproc) cores, $(uname -sr), $(git --version), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "CPU ms per run, median (min–max) of $repeats batches of $batch ($fast_batch for dry runs and git grep, $((fast_batch * 5)) for --version); peak RSS in MiB"
echo
echo "| manifests | new --dry-run | git grep floor | new (commit, push, PR) | plumbing + git push | git push alone | new peak MiB | dry-run peak MiB |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
group=group01
app=app001
declare -A new_cpu
for n in $sizes; do
  apps=250
  groups=$(((n + 3 * apps - 1) / (3 * apps)))
  if [ "$groups" -lt 2 ]; then
    groups=2
    apps=$(((n + 5) / 6))
  fi
  repo_dir=$bench_dir/scale-$n
  if [ ! -d "$repo_dir/origin.git" ]; then
    bash "$root/bench/generate-repo.sh" "$repo_dir" "$groups" "$apps" 300 >/dev/null
  fi
  name=scale-$n
  lf_admin POST repos "{\"owner\":\"o\",\"repo\":\"$name\"}" >/dev/null
  lf_admin POST settings "{\"owner\":\"o\",\"repo\":\"$name\",\"allow_auto_merge\":true}" >/dev/null
  git -C "$repo_dir/origin.git" push -q "$(lf_auth_url github o "$name")" main
  work=$scratch/work-$n
  lf_ci_checkout github o "$name" "$work" >/dev/null
  auth=$(lf_auth_url github o "$name")
  file=$group/dev/$app/deployment.yaml
  cd "$work"

  measure "dry-$n" "'$cli' new --dry-run --group $group --app $app --tag v9.9.\$i" "$fast_batch"
  measure "grep-$n" "git grep -l '\"\$imagepolicy\"' HEAD -- $group/dev >/dev/null" "$fast_batch"
  measure "new-$n" "GITHUB_TOKEN=$token '$cli' new --provider github --api-url '$LF_API' \
    --group $group --app $app --tag v9.\$run_id.\$i"
  # The floor for the commit: git's plumbing on a scratch index, then git push of that commit.
  measure "floor-$n" "export GIT_INDEX_FILE=$scratch/index; git read-tree HEAD;
    b=\$(sed 's/v1\\.[0-9.]*/v8.\$run_id.\$i/' $file | git hash-object -w --stdin);
    git update-index --cacheinfo 100644,\$b,$file; t=\$(git write-tree);
    c=\$(git commit-tree \$t -p HEAD -m floor); git push -q -f '$auth' \$c:refs/heads/floor"
  # git push alone: the commit is made unmeasured before each batch run.
  : >"$scratch/push-$n.runs"
  for r in $(seq "$repeats"); do
    for i in $(seq "$batch"); do
      b=$(sed "s/v1\.[0-9.]*/v7.$r.$i/" "$file" | git hash-object -w --stdin)
      GIT_INDEX_FILE=$scratch/index git read-tree HEAD
      GIT_INDEX_FILE=$scratch/index git update-index --cacheinfo "100644,$b,$file"
      t=$(GIT_INDEX_FILE=$scratch/index git write-tree)
      git commit-tree "$t" -p HEAD -m push >"$scratch/commit-$i"
    done
    cpu_batch "$scratch/push-$n.runs" "git push -q -f '$auth' \$(cat $scratch/commit-\$i):refs/heads/push"
  done
  sort -n "$scratch/push-$n.runs" | awk -v n="$repeats" '
    { cpu[NR] = $1; if ($2 > rss) rss = $2 }
    END { printf "%.1f %.1f %.1f %d\n", cpu[1], cpu[int((n + 1) / 2)], cpu[n], rss }' \
    >"$scratch/push-$n"
  if [ "$n" = "$copy_at" ]; then
    start=$(date +%s%N)
    /usr/bin/time -o "$scratch/copy-time" -f '%U %S' cp -a "$work" "$scratch/copy"
    end=$(date +%s%N)
    rm -rf "$scratch/copy"
    copy_ms=$(((end - start) / 1000000))
    copy_cpu=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$scratch/copy-time")
    new_wall_start=$(date +%s%N)
    GITHUB_TOKEN=$token "$cli" new --provider github --api-url "$LF_API" --group $group --app $app \
      --tag v6.0.0 >/dev/null 2>&1
    new_wall=$((($(date +%s%N) - new_wall_start) / 1000000))
  fi
  cd "$root"
  echo "| $n | $(cell "dry-$n") | $(cell "grep-$n") | $(cell "new-$n") | $(cell "floor-$n") | $(cell "push-$n") | $(mib "new-$n") | $(mib "dry-$n") |"
  new_cpu[$n]=$(fig "new-$n" 2)
done

# A 20 000-file environment (1 group x 3 environments x 20 000 apps) and a 50 MB file of 123 000
# documents with one marker each: for 123 000 apps ("one of many": one value changes), and all for
# one app ("all one app": every value changes). The floor for the file is git cat-file | sed |
# git hash-object -w. Each of these runs long enough to be timed alone (batches of 1).
if [ "${LARGE:-1}" = 1 ]; then
  env_dir=$bench_dir/env-20000
  if [ ! -d "$env_dir/origin.git" ]; then
    bash "$root/bench/generate-repo.sh" "$env_dir" 1 20000 100 >/dev/null
  fi
  # Two groups, so that each case reads only its own file.
  file_dir=$bench_dir/file-50mb
  if [ ! -d "$file_dir/work" ]; then
    rm -rf "$file_dir"
    mkdir -p "$file_dir/work/many/dev" "$file_dir/work/one/dev"
    git -C "$file_dir/work" init -q -b main
    printf 'environments:\n  - name: dev\n    auto: true\n' >"$file_dir/work/gitops-promotion.yaml"
    for variant in many one; do
      awk -v variant=$variant 'BEGIN {
        for (i = 1; i <= 123000; i++) {
          app = variant == "many" ? "app-" i : "app"
          group = variant
          printf "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-%d\n", i
          printf "  namespace: big-dev\nspec:\n  replicas: 2\n  template:\n    spec:\n"
          printf "      containers:\n        - name: app\n"
          printf "          image: registry.example.com/%s/%s:v1.0.0 # {\"$imagepolicy\": \"%s:%s\"}\n", group, app, group, app
          printf "          ports:\n            - containerPort: 8080\n          resources:\n"
          printf "            requests:\n              cpu: 50m\n              memory: 64Mi\n"
        }
      }' >"$file_dir/work/$variant/dev/all.yaml"
    done
    git -C "$file_dir/work" add -A
    git -C "$file_dir/work" -c user.name=bench -c user.email=bench@example.com commit -qm init
  fi
  for spec in "env-20000:$env_dir/work:group01:app10000" "file-many:$file_dir/work:many:app-61000" \
    "file-one:$file_dir/work:one:app"; do
    IFS=: read -r name dir grp ap <<<"$spec"
    cd "$dir"
    measure "dry-$name" "'$cli' new --dry-run --group $grp --app $ap --tag v9.9.\$i" 1
  done
  cd "$env_dir/work"
  measure "grep-env-20000" "git grep -l '\"\$imagepolicy\"' HEAD -- group01/dev >/dev/null" 1
  cd "$file_dir/work"
  measure "sed-file-many" "git cat-file blob HEAD:many/dev/all.yaml |
    sed 's/app-61000:v1.0.0/app-61000:v9.9.\$i/' | git hash-object -w --stdin >/dev/null" 1
  measure "sed-file-one" "git cat-file blob HEAD:one/dev/all.yaml |
    sed 's/app:v1.0.0/app:v9.9.\$i/' | git hash-object -w --stdin >/dev/null" 1
  cd "$root"
fi

measure version "'$cli' --version >/dev/null" $((fast_batch * 5))
measure git-version "git --version >/dev/null" $((fast_batch * 5))
# What each library would cost every command if it were linked: an empty program linked with the
# libraries the binary links (yaml-cpp, the C++ runtime), then with one more.
printf 'int main() { return 0; }\n' >"$scratch/empty.cpp"
startup_libs="base: libgit2:-lgit2 libcurl:-lcurl libcrypto:-lcrypto"
for spec in $startup_libs; do
  lib=${spec%%:*}
  c++ -O2 "$scratch/empty.cpp" -o "$scratch/empty-$lib" -Wl,--no-as-needed -lyaml-cpp ${spec#*:}
  measure "startup-$lib" "'$scratch/empty-$lib'" $((fast_batch * 5))
done
first=${sizes%% *}
last=${sizes##* }
echo
echo "ratios (medians of this run):"
echo "- new CPU, $last ÷ $first manifests: $(awk -v a="${new_cpu[$last]}" -v b="${new_cpu[$first]}" 'BEGIN { printf "%.2f", a / b }')x"
echo "- new --dry-run ÷ git grep floor: $(for n in $sizes; do printf '%s: %sx  ' "$n" "$(ratio "dry-$n" "grep-$n")"; done)"
echo "- new (commit, push, PR) ÷ plumbing + git push: $(for n in $sizes; do printf '%s: %sx  ' "$n" "$(ratio "new-$n" "floor-$n")"; done)"
echo "- new (commit, push, PR) ÷ git push alone: $(for n in $sizes; do printf '%s: %sx  ' "$n" "$(ratio "new-$n" "push-$n")"; done)"
echo "- --version ÷ git --version CPU: $(ratio version git-version)x ($(fig version 2) vs $(fig git-version 2) ms)"
echo "- start-up of an empty program linked with yaml-cpp and the C++ runtime: $(fig startup-base 2) ms; one more library adds: $(for spec in $startup_libs; do
  lib=${spec%%:*}
  [ "$lib" = base ] || printf '%s %s ms  ' "$lib" "$(awk -v a="$(fig "startup-$lib" 2)" -v b="$(fig startup-base 2)" 'BEGIN { printf "%.1f", a - b }')"
done)"
if [ "${LARGE:-1}" = 1 ]; then
  echo
  echo "| case | new --dry-run CPU ms | peak MiB | floor | floor CPU ms | ratio |"
  echo "|---|---:|---:|---|---:|---:|"
  echo "| 20 000-file environment (60 000 manifests) | $(cell dry-env-20000) | $(mib dry-env-20000) | git grep | $(cell grep-env-20000) | $(ratio dry-env-20000 grep-env-20000)x |"
  echo "| 50 MB file, one of 123 000 apps | $(cell dry-file-many) | $(mib dry-file-many) | cat-file \\| sed \\| hash-object | $(cell sed-file-many) | $(ratio dry-file-many sed-file-many)x |"
  echo "| 50 MB file, 123 000 markers of one app | $(cell dry-file-one) | $(mib dry-file-one) | cat-file \\| sed \\| hash-object | $(cell sed-file-one) | $(ratio dry-file-one sed-file-one)x |"
fi
if [ -n "${copy_ms:-}" ]; then
  echo "- cp -a of the $copy_at-manifest checkout: $copy_cpu ms CPU, $copy_ms ms wall; new (commit, push, PR): ${new_cpu[$copy_at]} ms CPU (median above), $new_wall ms wall (one run, the forge's and git http-backend's work included): $(awk -v a="$copy_cpu" -v b="${new_cpu[$copy_at]}" 'BEGIN { printf "%.1f", a / b }')x less CPU, $(awk -v a="$copy_ms" -v b="$new_wall" 'BEGIN { printf "%.1f", a / b }')x less wall time"
fi
