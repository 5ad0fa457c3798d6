// Push and fetch over the network with a token, with messages a person can act on.
#include "libgit2.hpp"

#include "gitops/git/receive_pack.hpp"
#include "gitops/git/repository.hpp"
#include "gitops/http/curl_http_client.hpp"
#include "gitops/http/retrying_http_client.hpp"
#include "gitops/util/deadline.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"
#include "gitops/util/url.hpp"

#include <git2.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <exception>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace gitops::git {

using namespace detail;

namespace {

// True when `url` carries a password (`scheme://user:secret@host/...`). A bare user name, as in
// Azure DevOps' `https://org@dev.azure.com/...`, is not a credential.
bool has_embedded_password(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) {
    return false;
  }
  const size_t authority = scheme + 3;
  size_t end = url.find_first_of("/?#", authority);
  if (end == std::string_view::npos) {
    end = url.size();
  }
  const std::string_view auth = url.substr(authority, end - authority);
  const size_t at = auth.rfind('@');
  return at != std::string_view::npos && auth.substr(0, at).find(':') != std::string_view::npos;
}

// The Authorization header value that carries a token: Bearer when the credentials ask for it in
// a header, Basic of `user:token` otherwise; `encoded` is that base64 text (empty for Bearer),
// which a server might echo and so is redacted like the token.
struct Authorization {
  std::string value;
  std::string encoded;
};

Authorization authorization(const Credentials &credentials) {
  if (credentials.mode == Credentials::Mode::extra_header &&
      credentials.scheme == Credentials::Scheme::bearer) {
    return {"Bearer " + credentials.token, ""};
  }
  std::string encoded = util::base64_encode(credentials.username + ":" + credentials.token);
  return {"Basic " + encoded, encoded};
}

// State shared with libgit2's callbacks during one push or fetch.
class Transfer {
public:
  Transfer(const Credentials &credentials, std::string url)
      : m_credentials(credentials), m_url(std::move(url)) {
    if (m_credentials.mode == Credentials::Mode::extra_header && !m_credentials.token.empty()) {
      Authorization auth = authorization(m_credentials);
      m_encoded = std::move(auth.encoded);
      m_header = "Authorization: " + auth.value;
      m_header_ptrs[0] = m_header.data();
    }
  }
  Transfer(const Transfer &) = delete;
  Transfer &operator=(const Transfer &) = delete;

  [[nodiscard]] git_remote_callbacks callbacks() {
    git_remote_callbacks cb;
    libgit2().git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
    cb.credentials = &Transfer::credentials_cb;
    cb.push_update_reference = &Transfer::update_reference_cb;
    cb.payload = this;
    return cb;
  }

  [[nodiscard]] git_strarray headers() {
    git_strarray headers{};
    if (!m_header.empty()) {
      headers.strings = m_header_ptrs.data();
      headers.count = 1;
    }
    return headers;
  }

  [[nodiscard]] const std::vector<std::string> &rejections() const { return m_rejections; }

  // Turns a failed libgit2 call into GitError: our own text for what the callbacks saw, else a
  // message chosen by the kind of failure. The token is scrubbed from whatever libgit2 said.
  [[noreturn]] void fail(int rc, const std::string &action) const {
    const int klass = last_error_class();
    std::string message;
    if (!m_auth_failure.empty()) {
      message = m_auth_failure;
    } else {
      const std::string lg2 = last_error_message();
      if (rc == GIT_EAUTH) {
        message = "authentication failed for " + m_url + " (" + lg2 + ")";
      } else if (lg2.find("failed to connect") != std::string::npos ||
                 lg2.find("failed to resolve address") != std::string::npos ||
                 lg2.find("Connection refused") != std::string::npos) {
        message = "cannot reach " + m_url + ": " + lg2;
      } else if (lg2.find("status code: 404") != std::string::npos) {
        message = "repository not found at " + m_url + " (HTTP 404): check the remote URL";
      } else if (lg2.find("status code: 403") != std::string::npos) {
        message =
            "access denied to " + m_url + " (HTTP 403): the token may lack permission to " + action;
      } else {
        message = action + " " + m_url + ": " + lg2;
      }
    }
    throw GitError(scrub(std::move(message)), rc, klass);
  }

  // True when the failed call `rc` broke off in transport (a cut connection, an early EOF, a
  // timeout), where trying again may succeed; never for authentication or HTTP refusals.
  [[nodiscard]] bool transient(int rc) const {
    if (!m_auth_failure.empty() || rc == GIT_EAUTH) {
      return false;
    }
    const std::string lg2 = last_error_message();
    if (lg2.find("status code: 4") != std::string::npos) {
      return false;
    }
    for (const char *sign : {"early EOF", "unexpected EOF", "Connection reset", "timed out",
                             "connection was closed"}) {
      if (lg2.find(sign) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  [[nodiscard]] std::string scrub(std::string text) const {
    text = util::replace_all(std::move(text), m_credentials.token, "***");
    text = util::replace_all(std::move(text), m_encoded, "***");
    return text;
  }

private:
  static int credentials_cb(git_credential **out, const char * /*url*/,
                            const char * /*username_from_url*/, unsigned int allowed_types,
                            void *payload) noexcept {
    auto *self = static_cast<Transfer *>(payload);
    try {
      return self->credentials(out, allowed_types);
    } catch (const std::exception &) {
      libgit2().git_error_set_str(GIT_ERROR_NET, "out of memory while choosing credentials");
      return GIT_EUSER;
    }
  }

  int credentials(git_credential **out, unsigned int allowed_types) {
    ++m_calls;
    // Whatever we send has been refused once we are asked again (or asked at all when the header
    // carries the token): stop now instead of letting libgit2 replay the request.
    if (m_calls > 1 ||
        (m_credentials.mode == Credentials::Mode::extra_header && !m_credentials.token.empty())) {
      return refuse("authentication failed for " + m_url +
                    ": check that the token is valid and may access the repository");
    }
    if (m_credentials.token.empty()) {
      return refuse("authentication failed for " + m_url +
                    ": the server asks for credentials but no token was given (--token)");
    }
    if ((allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) == 0) {
      return refuse("authentication failed for " + m_url +
                    ": only HTTPS remotes with a token are supported");
    }
    return libgit2().git_credential_userpass_plaintext_new(out, m_credentials.username.c_str(),
                                                           m_credentials.token.c_str());
  }

  int refuse(std::string message) {
    m_auth_failure = std::move(message);
    // libgit2 1.5 would otherwise report a stale, unrelated error text.
    libgit2().git_error_set_str(GIT_ERROR_NET, m_auth_failure.c_str());
    return GIT_EAUTH;
  }

  static int update_reference_cb(const char *refname, const char *status, void *payload) noexcept {
    if (status == nullptr) {
      return 0;
    }
    try {
      static_cast<Transfer *>(payload)->m_rejections.push_back(std::string(refname) + " (" +
                                                               status + ")");
      return 0;
    } catch (const std::exception &) {
      return GIT_EUSER;
    }
  }

  const Credentials &m_credentials;
  std::string m_url;
  std::string m_header;
  std::string m_encoded;
  std::array<char *, 1> m_header_ptrs{};
  int m_calls = 0;
  std::string m_auth_failure;
  std::vector<std::string> m_rejections;
};

// The remote `name` of `repo` and the URL to talk to, refusing what we must not use.
struct OpenedRemote {
  RemotePtr remote;
  std::string url;     // redacted, for messages
  std::string address; // the URL talked to (the push URL when pushing), never shown
};

OpenedRemote open_remote(git_repository *repo, const std::string &name, bool for_push) {
  git_remote *raw = nullptr;
  const int rc = libgit2().git_remote_lookup(&raw, repo, name.c_str());
  RemotePtr remote{raw};
  const char *workdir = libgit2().git_repository_workdir(repo);
  std::string where = workdir != nullptr ? workdir : libgit2().git_repository_path(repo);
  if (where.size() > 1 && where.back() == '/') {
    where.pop_back();
  }
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
    throw GitError("there is no git remote named '" + name + "' in " + where +
                       " (add it with `git remote add " + name + " <url>`)",
                   rc, last_error_class());
  }
  check(rc, "look up remote '" + name + "' in " + where);
  const char *push_url = for_push ? libgit2().git_remote_pushurl(remote.get()) : nullptr;
  const char *url = push_url != nullptr ? push_url : libgit2().git_remote_url(remote.get());
  if (url == nullptr) {
    throw GitError("remote '" + name + "' in " + where + " has no URL");
  }
  const std::string redacted = util::redact_url(url);
  if (has_embedded_password(url)) {
    throw GitError("the URL of remote '" + name + "' (" + redacted +
                   ") contains credentials: remove them (`git remote set-url " + name + " " +
                   redacted + "`) and pass the token with --token");
  }
  return OpenedRemote{std::move(remote), redacted, url};
}

// Waits before retry number `attempt` of a transfer: growing, and a little random so that
// concurrent runs spread apart.
void pause_before_retry(int attempt) {
  std::this_thread::sleep_for(
      std::chrono::milliseconds(50 * attempt + static_cast<int>(std::random_device{}() % 100U)));
}

constexpr int k_attempts = 5;

// Runs one libgit2 transfer, `call(transfer)` returning libgit2's code, with a fresh Transfer per
// attempt: a transient failure is tried again (k_attempts in all), any other throws GitError for
// `action` (Transfer::fail).
template <typename Call>
void run_transfer(const Credentials &credentials, const std::string &url, const std::string &action,
                  Call call) {
  for (int attempt = 1;; ++attempt) {
    Transfer transfer(credentials, url);
    const int rc = call(transfer);
    if (rc >= 0) {
      return;
    }
    if (attempt < k_attempts && transfer.transient(rc)) {
      pause_before_retry(attempt);
      continue;
    }
    transfer.fail(rc, action);
  }
}

// Points push or fetch options at `transfer`: its callbacks, its credentials header, and the
// system's proxy settings.
template <typename Options> void use_transfer(Options &options, Transfer &transfer) {
  options.callbacks = transfer.callbacks();
  options.custom_headers = transfer.headers();
  options.proxy_opts.type = GIT_PROXY_AUTO;
}

// The objects of `tree` that `base` (the same place in the parent's tree, or null) lacks: every
// tree on a changed path and every changed blob. Unchanged subtrees are never opened, so the cost
// follows the change, not the size of the tree.
void collect_new_objects(git_repository *repo, const git_tree *tree, const git_tree *base,
                         std::set<std::string> &seen, std::vector<git_oid> &out) {
  const size_t count = libgit2().git_tree_entrycount(tree);
  for (size_t i = 0; i < count; ++i) {
    const git_tree_entry *entry = libgit2().git_tree_entry_byindex(tree, i); // borrowed
    const git_oid *id = libgit2().git_tree_entry_id(entry);
    const git_tree_entry *old =
        base != nullptr
            ? libgit2().git_tree_entry_byname(base, libgit2().git_tree_entry_name(entry))
            : nullptr;
    if (old != nullptr && libgit2().git_oid_equal(libgit2().git_tree_entry_id(old), id) != 0) {
      continue;
    }
    const git_object_t type = libgit2().git_tree_entry_type(entry);
    if (type == GIT_OBJECT_COMMIT) {
      continue; // a submodule's commit lives in another repository
    }
    if (!seen.insert(to_hex(*id)).second) {
      continue;
    }
    out.push_back(*id);
    if (type != GIT_OBJECT_TREE) {
      continue;
    }
    git_tree *raw = nullptr;
    check(libgit2().git_tree_lookup(&raw, repo, id), "read a tree to push");
    TreePtr sub{raw};
    TreePtr old_sub;
    if (old != nullptr && libgit2().git_tree_entry_type(old) == GIT_OBJECT_TREE) {
      git_tree *raw_old = nullptr;
      check(libgit2().git_tree_lookup(&raw_old, repo, libgit2().git_tree_entry_id(old)),
            "read a tree of the parent");
      old_sub.reset(raw_old);
    }
    collect_new_objects(repo, sub.get(), old_sub.get(), seen, out);
  }
}

// A pack of `commit` and the objects its only parent lacks, or std::nullopt when the commit does
// not have exactly one parent. Sets `parent` and `objects`.
std::optional<std::string> pack_new_objects(git_repository *repo, const git_oid &commit_id,
                                            std::string &parent, std::size_t &objects) {
  git_commit *raw = nullptr;
  check(libgit2().git_commit_lookup(&raw, repo, &commit_id), "read the commit to push");
  CommitPtr commit{raw};
  if (libgit2().git_commit_parentcount(commit.get()) != 1) {
    return std::nullopt;
  }
  git_commit *raw_parent = nullptr;
  check(libgit2().git_commit_parent(&raw_parent, commit.get(), 0),
        "read the parent of the commit to push");
  CommitPtr parent_commit{raw_parent};
  parent = to_hex(*libgit2().git_commit_id(parent_commit.get()));

  std::vector<git_oid> ids{commit_id};
  git_tree *raw_tree = nullptr;
  check(libgit2().git_commit_tree(&raw_tree, commit.get()), "read the tree to push");
  TreePtr tree{raw_tree};
  git_tree *raw_base = nullptr;
  check(libgit2().git_commit_tree(&raw_base, parent_commit.get()), "read the parent's tree");
  TreePtr base{raw_base};
  if (libgit2().git_oid_equal(libgit2().git_tree_id(tree.get()),
                              libgit2().git_tree_id(base.get())) == 0) {
    ids.push_back(*libgit2().git_tree_id(tree.get()));
    std::set<std::string> seen;
    collect_new_objects(repo, tree.get(), base.get(), seen, ids);
  }

  git_packbuilder *raw_pb = nullptr;
  check(libgit2().git_packbuilder_new(&raw_pb, repo), "start a pack");
  PackbuilderPtr pb{raw_pb};
  libgit2().git_packbuilder_set_threads(pb.get(), 1);
  for (const git_oid &id : ids) {
    check(libgit2().git_packbuilder_insert(pb.get(), &id, nullptr), "add an object to the pack");
  }
  std::string pack;
  check(libgit2().git_packbuilder_foreach(
            pb.get(),
            [](void *buf, size_t size, void *payload) {
              static_cast<std::string *>(payload)->append(static_cast<const char *>(buf), size);
              return 0;
            },
            &pack),
        "write the pack");
  objects = ids.size();
  return pack;
}

// True when the server surely has `id`: it is an advertised tip, or an ancestor of a branch tip
// this repository also has.
bool server_has(git_repository *repo, const ReceivePackAdvertisement &ad, const std::string &id) {
  for (const auto &[name, tip] : ad.refs) {
    if (tip == id) {
      return true;
    }
  }
  git_oid wanted;
  git_odb *raw_odb = nullptr;
  if (libgit2().git_oid_fromstr(&wanted, id.c_str()) != 0 ||
      libgit2().git_repository_odb(&raw_odb, repo) != 0) {
    return false;
  }
  const std::unique_ptr<git_odb, Deleter<&Libgit2::git_odb_free>> odb{raw_odb};
  constexpr int k_max_checked = 16; // many branches: a full push beats long history walks
  int checked = 0;
  for (const auto &[name, tip] : ad.refs) {
    git_oid tip_id;
    if (!name.starts_with("refs/heads/") || libgit2().git_oid_fromstr(&tip_id, tip.c_str()) != 0 ||
        libgit2().git_odb_exists(odb.get(), &tip_id) == 0) {
      continue;
    }
    if (++checked > k_max_checked) {
      return false;
    }
    if (libgit2().git_graph_descendant_of(repo, &tip_id, &wanted) == 1) {
      return true;
    }
  }
  return false;
}

// The smart-HTTP URL of the repository at `url` without a trailing slash.
std::string repository_url(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

// Pushes `commit_id` to refs/heads/<branch> of the repository at `url` with git's receive-pack
// exchange over smart HTTP, sending only what its parent lacks. std::nullopt when that does not
// apply (not http(s), not one parent, a server that may lack the parent, or a server that does not
// answer as smart HTTP): the caller then lets libgit2 push, which also words any failure.
std::optional<Repository::PushReport> push_new_objects(git_repository *repo, const std::string &url,
                                                       const std::string &shown_url,
                                                       const std::string &branch,
                                                       const git_oid &commit_id,
                                                       const Credentials &credentials) {
  if (!url.starts_with("https://") && !url.starts_with("http://")) {
    return std::nullopt;
  }
  Repository::PushReport report;
  std::string parent;
  // Everything is packed before a connection opens: no connection idles while packing.
  const std::optional<std::string> pack = pack_new_objects(repo, commit_id, parent, report.objects);
  if (!pack) {
    return std::nullopt;
  }
  report.new_objects_only = true;

  http::ClientOptions options;
  options.total_timeout = std::chrono::minutes(5);
  http::Headers auth;
  if (!credentials.token.empty()) {
    const Authorization authorized = authorization(credentials);
    auth.emplace("Authorization", authorized.value);
    options.secrets = {credentials.token};
    if (!authorized.encoded.empty()) {
      options.secrets.push_back(authorized.encoded);
    }
  }
  http::RetryOptions retry;
  retry.secrets = options.secrets;
  http::CurlHttpClient transport(std::move(options));
  http::RetryingHttpClient client(transport, std::move(retry));
  const std::string base = repository_url(url);
  const std::string ref = "refs/heads/" + branch;
  const std::string new_id = to_hex(commit_id);

  for (int attempt = 1;; ++attempt) {
    http::Request get{"GET", base + "/info/refs?service=git-receive-pack", auth, "", {}};
    http::Response answer;
    try {
      answer = client.send(get);
    } catch (const HttpError &) {
      if (attempt == 1) {
        return std::nullopt;
      }
      throw;
    }
    if (answer.status != 200 || answer.header("Content-Type").value_or("") !=
                                    "application/x-git-receive-pack-advertisement") {
      if (attempt == 1) {
        return std::nullopt;
      }
      throw GitError(shown_url + " answered HTTP " + std::to_string(answer.status) +
                     " while pushing " + branch);
    }
    const ReceivePackAdvertisement ad = parse_receive_pack_advertisement(answer.body, shown_url);
    const auto current = ad.refs.find(ref);
    const std::string old_id = current == ad.refs.end() ? std::string(k_zero_id) : current->second;
    if (old_id == new_id) {
      return report; // already there (an earlier attempt landed)
    }
    if (attempt == 1 && !server_has(repo, ad, parent)) {
      return std::nullopt;
    }

    http::Request post{"POST", base + "/git-receive-pack", auth,
                       receive_pack_request(old_id, new_id, ref, *pack), false};
    post.headers.emplace("Content-Type", "application/x-git-receive-pack-request");
    post.headers.emplace("Accept", "application/x-git-receive-pack-result");
    http::Response result;
    try {
      result = client.send(post);
    } catch (const HttpError &e) {
      // Cut off in transport: the next attempt first reads where the ref is.
      if (attempt < k_attempts) {
        pause_before_retry(attempt);
        continue;
      }
      throw GitError("push " + branch + " to " + shown_url + ": " + e.what());
    }
    if (result.status == 401 || result.status == 403) {
      throw GitError("authentication failed for " + shown_url +
                     ": check that the token is valid and may push to the repository");
    }
    if (result.status != 200) {
      throw GitError(shown_url + " answered HTTP " + std::to_string(result.status) +
                     " to the push of " + branch);
    }
    const std::optional<std::string> reason = parse_report_status(result.body, ref);
    if (!reason) {
      return report;
    }
    if (reason->find("missing necessary objects") != std::string::npos) {
      return std::nullopt; // the server lacks more than the advertisement showed
    }
    const bool raced = reason->find("failed to update ref") != std::string::npos ||
                       reason->find("lock") != std::string::npos ||
                       reason->find("stale info") != std::string::npos ||
                       reason->find("fetch first") != std::string::npos;
    if (!raced) {
      throw GitError(shown_url + " rejected the push of " + ref + ": " + *reason);
    }
    if (attempt == k_attempts) {
      throw GitError(shown_url + " rejected the push of " + ref + ": " + *reason + " " +
                     std::to_string(k_attempts) +
                     " times: other pushes to the same branch kept it locked");
    }
    pause_before_retry(attempt);
  }
}

} // namespace

Credentials Credentials::current() const {
  Credentials now = *this;
  if (source) {
    now.token = source->token();
  }
  return now;
}

Repository::PushReport Repository::push(const std::string &remote_name, const std::string &branch,
                                        const Credentials &given) {
  const Credentials credentials = given.current();
  validate_branch_name(branch);
  git_repository *repo = m_repo.get();
  OpenedRemote remote = open_remote(repo, remote_name, true);
  if (is_shallow()) {
    throw GitError(
        "cannot push " + branch + " to " + remote.url + ": " + work_dir().string() +
        " is a shallow clone, and libgit2 1.5 cannot push from one; fetch the full history first "
        "(actions/checkout: `fetch-depth: 0`; elsewhere: `git fetch --unshallow`)");
  }
  const std::string ref = std::string(k_push_namespace) + branch;
  git_reference *raw_ref = nullptr;
  const int lrc = libgit2().git_reference_lookup(&raw_ref, repo, ref.c_str());
  ReferencePtr local{raw_ref};
  if (lrc == GIT_ENOTFOUND) {
    throw GitError("cannot push " + branch + ": nothing was staged for it (" + ref + ")", lrc);
  }
  check(lrc, "look up " + ref);

  std::string refspec = "+" + ref + ":refs/heads/" + branch;
  const util::ActivityScope activity("the push of " + branch + " to " + remote.url);
  if (const auto report =
          push_new_objects(repo, remote.address, remote.url, branch,
                           *libgit2().git_reference_target(local.get()), credentials)) {
    return *report;
  }
  // The server refuses a ref another push is updating at the same moment ("failed to update ref",
  // "cannot lock ref"). A force push of the same commit is idempotent, so that race is retried;
  // whichever push lands last decides, and the caller checks what the branch holds afterwards.
  for (int attempt = 1;; ++attempt) {
    std::vector<std::string> rejections;
    run_transfer(credentials, remote.url, "push " + branch + " to", [&](Transfer &transfer) {
      git_push_options options;
      check(libgit2().git_push_options_init(&options, GIT_PUSH_OPTIONS_VERSION),
            "initialise push options");
      use_transfer(options, transfer);
      char *refspec_ptr = refspec.data();
      const git_strarray refspecs{&refspec_ptr, 1};
      const int rc = libgit2().git_remote_push(remote.remote.get(), &refspecs, &options);
      for (const std::string &rejection : transfer.rejections()) {
        rejections.push_back(transfer.scrub(rejection));
      }
      return rc;
    });
    if (rejections.empty()) {
      return {};
    }
    const std::string list = util::join(rejections, ", ");
    const bool raced = std::all_of(rejections.begin(), rejections.end(), [](const std::string &r) {
      return r.find("failed to update ref") != std::string::npos ||
             r.find("lock") != std::string::npos;
    });
    if (!raced) {
      throw GitError(remote.url + " rejected the push of " + list);
    }
    if (attempt == k_attempts) {
      throw GitError(remote.url + " rejected the push of " + list + " " +
                     std::to_string(k_attempts) +
                     " times: other pushes to the same branch kept it locked");
    }
    pause_before_retry(attempt);
  }
}

std::optional<std::string> Repository::remote_branch(const std::string &remote_name,
                                                     const std::string &branch,
                                                     const Credentials &given) {
  const Credentials credentials = given.current();
  validate_branch_name(branch);
  OpenedRemote remote = open_remote(m_repo.get(), remote_name, false);
  const util::ActivityScope activity("the branches of " + remote.url);
  const std::string wanted = "refs/heads/" + branch;
  std::optional<std::string> found;
  run_transfer(credentials, remote.url, "list the branches of", [&](Transfer &transfer) {
    const git_remote_callbacks callbacks = transfer.callbacks();
    git_proxy_options proxy;
    check(libgit2().git_proxy_options_init(&proxy, GIT_PROXY_OPTIONS_VERSION),
          "initialise proxy options");
    proxy.type = GIT_PROXY_AUTO;
    const git_strarray headers = transfer.headers();
    int rc = libgit2().git_remote_connect(remote.remote.get(), GIT_DIRECTION_FETCH, &callbacks,
                                          &proxy, &headers);
    if (rc < 0) {
      return rc;
    }
    const git_remote_head **heads = nullptr;
    size_t count = 0;
    rc = libgit2().git_remote_ls(&heads, &count, remote.remote.get());
    for (size_t i = 0; rc == 0 && i < count; ++i) {
      if (wanted == heads[i]->name) {
        found = to_hex(heads[i]->oid);
      }
    }
    (void)libgit2().git_remote_disconnect(remote.remote.get());
    return rc;
  });
  return found;
}

std::string Repository::fetch(const std::string &remote_name, const std::string &branch,
                              const Credentials &given) {
  const Credentials credentials = given.current();
  validate_branch_name(branch);
  git_repository *repo = m_repo.get();
  OpenedRemote remote = open_remote(repo, remote_name, false);

  const std::string source = "refs/heads/" + branch;
  std::string refspec =
      "+" + source + ":" + std::string(k_fetch_namespace) + remote_name + "/" + branch;
  const util::ActivityScope activity("the fetch of " + branch + " from " + remote.url);
  // A fetch changes nothing on the server: a transport failure is tried again.
  run_transfer(credentials, remote.url, "fetch " + branch + " from", [&](Transfer &transfer) {
    git_fetch_options options;
    check(libgit2().git_fetch_options_init(&options, GIT_FETCH_OPTIONS_VERSION),
          "initialise fetch options");
    use_transfer(options, transfer);
    options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    char *refspec_ptr = refspec.data();
    const git_strarray refspecs{&refspec_ptr, 1};
    return libgit2().git_remote_fetch(remote.remote.get(), &refspecs, &options,
                                      "gitops-promotion: fetch");
  });
  // The advertised heads stay readable after the fetch disconnected; they, not a possibly stale
  // tracking ref, say what the remote holds now.
  const git_remote_head **heads = nullptr;
  size_t count = 0;
  check(libgit2().git_remote_ls(&heads, &count, remote.remote.get()),
        "list the refs of " + remote.url);
  for (size_t i = 0; i < count; ++i) {
    if (source == heads[i]->name) {
      return to_hex(heads[i]->oid);
    }
  }
  throw GitError("there is no branch '" + branch + "' on " + remote.url);
}

} // namespace gitops::git
