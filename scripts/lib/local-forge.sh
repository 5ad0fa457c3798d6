# shellcheck shell=bash
# Local forge for the demo, the end-to-end tests and the benchmark (sourced, not run): the forge
# simulator (tools/forge-sim) and a lighttpd + `git http-backend` git server on loopback, sharing
# one folder of bare repositories, plus the steps a CI system would take around gitops-promotion.
#
#   lf_start WORKDIR FORGE_SIM TOKEN   starts both; sets LF_API (simulator) and LF_GIT (git server)
#   lf_stop                            stops both (only the processes lf_start started, by pid)
#   lf_isolate DIR NAME                git identity NAME, HOME=DIR/home, no user git config, and
#                                      no tokens or CI variables from the caller's environment
#
# Repository URLs as the forges spell them, served by the one git server:
#   GitHub        $LF_GIT/<owner>/<repo>.git
#   Azure DevOps  $LF_GIT/<org>/<project>/_git/<repo>   (bare repository <org>/<repo>.git)
# Basic auth: users x-access-token, gitops-promotion, gitlab-ci-token and git, password TOKEN (each
# forge's git user, see src/providers/registry.cpp).
#
# Needs bash, curl, git, jq and lighttpd (scripts/setup.sh installs them).

LF_SIM_PID=""
LF_HTTPD_PID=""
LF_WORK=""
LF_TOKEN=""
LF_API=""
LF_GIT=""

lf_isolate() {
  export GIT_CONFIG_NOSYSTEM=1 HOME="$1/home" GIT_AUTHOR_NAME="$2" GIT_AUTHOR_EMAIL="$2@example.com" \
    GIT_COMMITTER_NAME="$2" GIT_COMMITTER_EMAIL="$2@example.com" GIT_TERMINAL_PROMPT=0
  mkdir -p "$HOME"
  # A token or CI variable of the machine running this would change what the tool does and prints.
  unset GITOPS_PROMOTION_TOKEN GITHUB_TOKEN GH_TOKEN SYSTEM_ACCESSTOKEN AZURE_DEVOPS_EXT_PAT \
    GITHUB_APP_PRIVATE_KEY \
    GITHUB_HEAD_REF SYSTEM_PULLREQUEST_SOURCEBRANCH GITHUB_ACTIONS TF_BUILD GITHUB_OUTPUT \
    GITHUB_STEP_SUMMARY
}

lf_die() {
  echo "local-forge: $*" >&2
  return 1
}

# Starts the simulator (port picked by itself) and lighttpd (a random free port, retried when it
# is taken by the time lighttpd binds it).
lf_start() {
  local work=$1 sim=$2 token=$3
  LF_WORK=$work
  LF_TOKEN=$token
  mkdir -p "$work/repos" "$work/httpd/www" "$work/httpd/tmp"
  "$sim" --repo-root "$work/repos" --token "$token" --git-users "$work/httpd/users" --port 0 \
    >"$work/sim.log" 2>&1 &
  LF_SIM_PID=$!
  local i line=""
  for ((i = 0; i < 200; i++)); do
    line=$(head -n 1 "$work/sim.log" 2>/dev/null || true)
    [[ $line == "listening on "* ]] && break
    kill -0 "$LF_SIM_PID" 2>/dev/null || lf_die "forge-sim did not start: $(cat "$work/sim.log")" ||
      return 1
    sleep 0.05
  done
  [[ $line == "listening on "* ]] || lf_die "forge-sim did not report its port" || return 1
  LF_API="http://${line#listening on }"

  local backend
  backend=$(git --exec-path)/git-http-backend
  [[ -x $backend ]] || lf_die "no git-http-backend at $backend" || return 1
  printf 'x-access-token:%s\ngitops-promotion:%s\ngitlab-ci-token:%s\ngit:%s\n' "$token" "$token" \
    "$token" "$token" \
    >"$work/httpd/users"
  local attempt port
  for ((attempt = 0; attempt < 20; attempt++)); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    cat >"$work/httpd/lighttpd.conf" <<CONF
server.modules = ( "mod_rewrite", "mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi" )
server.bind = "127.0.0.1"
server.port = $port
server.document-root = "$work/httpd/www"
server.upload-dirs = ( "$work/httpd/tmp" )
server.errorlog = "$work/httpd/error.log"
auth.backend = "plain"
auth.backend.plain.userfile = "$work/httpd/users"
# Azure DevOps path first (/org/project/_git/repo/...), then GitHub's (/owner/repo.git/...), whose
# owner may be a GitLab group path with subgroups (/group/subgroup/repo.git/...).
url.rewrite-once = ( "^/git/(.*)\$" => "/git/\$1",
                     "^/([^/]+)/([^/]+)/_git/([^/?]+)(.*)\$" => "/git/\$1/\$3.git\$4",
                     "^/(.+)/([^/]+)\\.git(.*)\$" => "/git/\$1/\$2.git\$3" )
alias.url = ( "/git/" => "$backend/" )
\$HTTP["url"] =~ "^/git/" {
  auth.require = ( "" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )
  cgi.assign = ( "" => "" )
  setenv.set-environment = ( "GIT_PROJECT_ROOT" => "$work/repos", "GIT_HTTP_EXPORT_ALL" => "1" )
}
CONF
    lighttpd -D -f "$work/httpd/lighttpd.conf" >"$work/httpd/stdout.log" 2>&1 &
    LF_HTTPD_PID=$!
    for ((i = 0; i < 100; i++)); do
      if ! kill -0 "$LF_HTTPD_PID" 2>/dev/null; then
        wait "$LF_HTTPD_PID" 2>/dev/null || true
        LF_HTTPD_PID=""
        break
      fi
      if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
        LF_GIT="http://127.0.0.1:$port"
        return 0
      fi
      sleep 0.05
    done
    if [[ -n $LF_HTTPD_PID ]]; then
      kill "$LF_HTTPD_PID" 2>/dev/null || true
      wait "$LF_HTTPD_PID" 2>/dev/null || true
      LF_HTTPD_PID=""
    fi
  done
  lf_die "lighttpd did not start: $(cat "$work/httpd/error.log" "$work/httpd/stdout.log" 2>/dev/null)"
}

lf_stop() {
  local pid
  for pid in "$LF_HTTPD_PID" "$LF_SIM_PID"; do
    if [[ -n $pid ]]; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  LF_HTTPD_PID=""
  LF_SIM_PID=""
}

# lf_admin METHOD PATH [JSON]: the simulator's admin API; prints the answer, fails on HTTP >= 400.
lf_admin() {
  local method=$1 path=$2 body=${3:-}
  # An empty POST without Content-Length is refused by the simulator's HTTP library.
  [[ -z $body && $method == POST ]] && body="{}"
  if [[ -n $body ]]; then
    curl -sS --fail-with-body -X "$method" -H 'Content-Type: application/json' --data "$body" \
      "$LF_API/_admin/$path"
  else
    curl -sS --fail-with-body -X "$method" "$LF_API/_admin/$path"
  fi
}

# lf_api METHOD URL [JSON]: a forge request with the token (Bearer for GitHub; Azure DevOps'
# Basic with the PAT is accepted by the simulator as Bearer too).
lf_api() {
  local method=$1 url=$2 body=${3:-}
  local args=(-sS --fail-with-body -X "$method" -H "Authorization: Bearer $LF_TOKEN"
    -H 'Accept: application/json')
  if [[ -n $body ]]; then
    args+=(-H 'Content-Type: application/json' --data "$body")
  fi
  curl "${args[@]}" "$url"
}

# lf_remote_url PROVIDER OWNER REPO: the clone URL the forge would show (Azure DevOps project: proj).
lf_remote_url() {
  case $1 in
  github | gitea | gitlab) echo "$LF_GIT/$2/$3.git" ;;
  azdo) echo "$LF_GIT/$2/proj/_git/$3" ;;
  *) lf_die "unknown provider $1" ;;
  esac
}

# The same URL with the token in it, for the git CLI of the CI steps (never printed).
lf_auth_url() {
  local url
  url=$(lf_remote_url "$@") || return 1
  echo "${url/http:\/\//http://git:$LF_TOKEN@}"
}

# lf_repo_api PROVIDER OWNER REPO: the REST base of that repository on the simulator.
lf_repo_api() {
  case $1 in
  github) echo "$LF_API/repos/$2/$3" ;;
  azdo) echo "$LF_API/$2/proj/_apis/git/repositories/$3" ;;
  gitea) echo "$LF_API/api/v1/repos/$2/$3" ;;
  gitlab) echo "$LF_API/api/v4/projects/${2//\//%2F}%2F$3" ;;
  esac
}

# lf_create_repo PROVIDER OWNER REPO SRC_DIR [SETTINGS_JSON]: a bare repository holding SRC_DIR's
# files as one commit on main (pushed through the git server), then the simulator's settings.
lf_create_repo() {
  local provider=$1 owner=$2 repo=$3 src=$4 settings=${5:-"{}"}
  lf_admin POST repos "{\"owner\":\"$owner\",\"repo\":\"$repo\"}" >/dev/null || return 1
  local tmp="$LF_WORK/seed-${owner//\//-}-$repo"
  rm -rf "$tmp"
  cp -r "$src" "$tmp"
  (
    cd "$tmp" &&
      git init -q -b main &&
      git add -A &&
      git commit -q -m "GitOps repository" &&
      git push -q "$(lf_auth_url "$provider" "$owner" "$repo")" main
  ) || return 1
  rm -rf "$tmp"
  lf_admin POST settings "$(jq -c --arg o "$owner" --arg r "$repo" '. + {owner: $o, repo: $r}' \
    <<<"$settings")" >/dev/null
}

# lf_state: the simulator's whole state (JSON).
lf_state() { lf_admin GET state; }

# lf_pr OWNER REPO BRANCH [STATE]: the newest PR (JSON) whose head is BRANCH ("null" if none),
# STATE open (default), closed or any.
lf_pr() {
  local want=${4:-open}
  lf_state | jq -c --arg k "$1/$2" --arg b "$3" --arg s "$want" \
    '[.pull_requests[] | select(.repo == $k and .head == $b and ($s == "any" or .state == $s))]
     | max_by(.number)'
}

# lf_wait JQ_FILTER [SECONDS]: waits until the filter, run on the simulator state, prints "true".
lf_wait() {
  local filter=$1 seconds=${2:-20} i
  for ((i = 0; i < seconds * 20; i++)); do
    [[ $(lf_state | jq -r "$filter") == true ]] && return 0
    sleep 0.05
  done
  lf_die "timed out waiting for: $filter"
}

# lf_wait_merged OWNER REPO NUMBER: waits for that PR to merge; prints its merge commit.
lf_wait_merged() {
  lf_wait "any(.pull_requests[]; .repo == \"$1/$2\" and .number == $3 and .merged)" || return 1
  lf_state | jq -r --arg k "$1/$2" --argjson n "$3" \
    '.pull_requests[] | select(.repo == $k and .number == $n) | .merge_commit_sha'
}

# lf_wait_status OWNER REPO SHA CONTEXT: waits for a status with that context on SHA; prints state.
lf_wait_status() {
  lf_wait "any(.statuses[]; .repo == \"$1/$2\" and .sha == \"$3\" and .context == \"$4\")" ||
    return 1
  lf_state | jq -r --arg k "$1/$2" --arg s "$3" --arg c "$4" \
    '[.statuses[] | select(.repo == $k and .sha == $s and .context == $c)] | last | .state'
}

# lf_post_status PROVIDER OWNER REPO SHA GENRE NAME STATE(success|failure|pending): what the CI
# system reports for a check (context GENRE/NAME), through the forge's API.
lf_post_status() {
  local provider=$1 owner=$2 repo=$3 sha=$4 genre=$5 name=$6 state=$7 api
  api=$(lf_repo_api "$provider" "$owner" "$repo")
  case $provider in
  github | gitea)
    lf_api POST "$api/statuses/$sha" \
      "{\"state\":\"$state\",\"context\":\"$genre/$name\",\"description\":\"gitops-promotion status\"}"
    ;;
  gitlab)
    local gitlab=$state
    [[ $state == failure ]] && gitlab=failed
    lf_api POST "$api/statuses/$sha" \
      "{\"state\":\"$gitlab\",\"name\":\"$genre/$name\",\"description\":\"gitops-promotion status\"}"
    ;;
  azdo)
    local azure=pending
    [[ $state == success ]] && azure=succeeded
    [[ $state == failure ]] && azure=failed
    lf_api POST "$api/commits/$sha/statuses?api-version=7.1" \
      "{\"state\":\"$azure\",\"context\":{\"genre\":\"$genre\",\"name\":\"$name\"},\"description\":\"gitops-promotion status\"}"
    ;;
  esac
}

# lf_ci_checkout PROVIDER OWNER REPO DIR [BRANCH]: a CI checkout (fresh clone of main, or of
# BRANCH's tip as a detached HEAD, the way pull-request pipelines check out).
lf_ci_checkout() {
  local provider=$1 owner=$2 repo=$3 dir=$4 branch=${5:-}
  rm -rf "$dir"
  git clone -q "$(lf_auth_url "$provider" "$owner" "$repo")" "$dir" || return 1
  git -C "$dir" remote set-url origin "$(lf_remote_url "$provider" "$owner" "$repo")"
  if [[ -n $branch ]]; then
    git -C "$dir" checkout -q --detach "origin/$branch" || return 1
  fi
}

# lf_sample_repo DIR [CONFIG_TAIL]: the sample GitOps repository (group webshop, apps cart and
# webui, environments dev and qa automated, prod manual) in DIR; CONFIG_TAIL is appended to
# gitops-promotion.yaml (prflow, timeouts, merge method ...).
lf_sample_repo() {
  local dir=$1 tail=${2:-} env
  mkdir -p "$dir"
  cat >"$dir/gitops-promotion.yaml" <<'YAML'
environments:
  - name: dev
    auto: true
  - name: qa
    auto: true
  - name: prod
    auto: false
YAML
  [[ -n $tail ]] && printf '%s\n' "$tail" >>"$dir/gitops-promotion.yaml"
  for env in dev qa prod; do
    mkdir -p "$dir/webshop/$env/cart" "$dir/webshop/$env/webui"
    cat >"$dir/webshop/$env/cart/deployment.yaml" <<'YAML'
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
YAML
    cat >"$dir/webshop/$env/webui/kustomization.yaml" <<'YAML'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
images:
  - name: webui
    newName: registry.example.com/webshop/webui # {"$imagepolicy": "webshop:webui:name"}
    newTag: 1.0.0 # {"$imagepolicy": "webshop:webui:tag"}
YAML
    cat >"$dir/webshop/$env/webui/deployment.yaml" <<'YAML'
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
  done
}

# The simulator settings of a repository run like the seed workflow: auto-merge allowed, the
# gitops-promotion status check required, Flux reporting every environment healthy.
LF_REQUIRED_CHECK="gitops-promotion/status"
lf_default_settings() {
  jq -cn --arg check "$LF_REQUIRED_CHECK" '{allow_auto_merge: true, required_contexts: [$check],
    flux: [{group: "webshop", env: "dev"}, {group: "webshop", env: "qa"},
           {group: "webshop", env: "prod"}]}'
}
