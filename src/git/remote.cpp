// Push and fetch over the network with a token, with messages a person can act on.
#include "libgit2.hpp"

#include "gitops/git/repository.hpp"
#include "gitops/util/deadline.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <git2.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <exception>
#include <optional>
#include <random>
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

// State shared with libgit2's callbacks during one push or fetch.
class Transfer {
public:
  Transfer(const Credentials &credentials, std::string url)
      : m_credentials(credentials), m_url(std::move(url)) {
    if (m_credentials.mode == Credentials::Mode::extra_header && !m_credentials.token.empty()) {
      if (m_credentials.scheme == Credentials::Scheme::bearer) {
        m_header = "Authorization: Bearer " + m_credentials.token;
      } else {
        m_encoded = util::base64_encode(m_credentials.username + ":" + m_credentials.token);
        m_header = "Authorization: Basic " + m_encoded;
      }
      m_header_ptrs[0] = m_header.data();
    }
  }
  Transfer(const Transfer &) = delete;
  Transfer &operator=(const Transfer &) = delete;

  [[nodiscard]] git_remote_callbacks callbacks() {
    git_remote_callbacks cb;
    git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
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
      git_error_set_str(GIT_ERROR_NET, "out of memory while choosing credentials");
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
    return git_credential_userpass_plaintext_new(out, m_credentials.username.c_str(),
                                                 m_credentials.token.c_str());
  }

  int refuse(std::string message) {
    m_auth_failure = std::move(message);
    // libgit2 1.5 would otherwise report a stale, unrelated error text.
    git_error_set_str(GIT_ERROR_NET, m_auth_failure.c_str());
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
  std::string url; // redacted, for messages
};

OpenedRemote open_remote(git_repository *repo, const std::string &name, bool for_push) {
  git_remote *raw = nullptr;
  const int rc = git_remote_lookup(&raw, repo, name.c_str());
  RemotePtr remote{raw};
  const char *workdir = git_repository_workdir(repo);
  std::string where = workdir != nullptr ? workdir : git_repository_path(repo);
  if (where.size() > 1 && where.back() == '/') {
    where.pop_back();
  }
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
    throw GitError("there is no git remote named '" + name + "' in " + where +
                       " (add it with `git remote add " + name + " <url>`)",
                   rc, last_error_class());
  }
  check(rc, "look up remote '" + name + "' in " + where);
  const char *push_url = for_push ? git_remote_pushurl(remote.get()) : nullptr;
  const char *url = push_url != nullptr ? push_url : git_remote_url(remote.get());
  if (url == nullptr) {
    throw GitError("remote '" + name + "' in " + where + " has no URL");
  }
  const std::string redacted = redact_url(url);
  if (has_embedded_password(url)) {
    throw GitError("the URL of remote '" + name + "' (" + redacted +
                   ") contains credentials: remove them (`git remote set-url " + name + " " +
                   redacted + "`) and pass the token with --token");
  }
  return OpenedRemote{std::move(remote), redacted};
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

} // namespace

void Repository::push(const std::string &remote_name, const std::string &branch,
                      const Credentials &credentials) {
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
  const int lrc = git_reference_lookup(&raw_ref, repo, ref.c_str());
  ReferencePtr local{raw_ref};
  if (lrc == GIT_ENOTFOUND) {
    throw GitError("cannot push " + branch + ": nothing was staged for it (" + ref + ")", lrc);
  }
  check(lrc, "look up " + ref);

  std::string refspec = "+" + ref + ":refs/heads/" + branch;
  const util::ActivityScope activity("the push of " + branch + " to " + remote.url);
  // The server refuses a ref another push is updating at the same moment ("failed to update ref",
  // "cannot lock ref"). A force push of the same commit is idempotent, so that race is retried;
  // whichever push lands last decides, and the caller checks what the branch holds afterwards.
  for (int attempt = 1;; ++attempt) {
    std::vector<std::string> rejections;
    run_transfer(credentials, remote.url, "push " + branch + " to", [&](Transfer &transfer) {
      git_push_options options;
      check(git_push_options_init(&options, GIT_PUSH_OPTIONS_VERSION), "initialise push options");
      use_transfer(options, transfer);
      char *refspec_ptr = refspec.data();
      const git_strarray refspecs{&refspec_ptr, 1};
      const int rc = git_remote_push(remote.remote.get(), &refspecs, &options);
      for (const std::string &rejection : transfer.rejections()) {
        rejections.push_back(transfer.scrub(rejection));
      }
      return rc;
    });
    if (rejections.empty()) {
      return;
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
                                                     const Credentials &credentials) {
  validate_branch_name(branch);
  OpenedRemote remote = open_remote(m_repo.get(), remote_name, false);
  const util::ActivityScope activity("the branches of " + remote.url);
  const std::string wanted = "refs/heads/" + branch;
  std::optional<std::string> found;
  run_transfer(credentials, remote.url, "list the branches of", [&](Transfer &transfer) {
    const git_remote_callbacks callbacks = transfer.callbacks();
    git_proxy_options proxy;
    check(git_proxy_options_init(&proxy, GIT_PROXY_OPTIONS_VERSION), "initialise proxy options");
    proxy.type = GIT_PROXY_AUTO;
    const git_strarray headers = transfer.headers();
    int rc =
        git_remote_connect(remote.remote.get(), GIT_DIRECTION_FETCH, &callbacks, &proxy, &headers);
    if (rc < 0) {
      return rc;
    }
    const git_remote_head **heads = nullptr;
    size_t count = 0;
    rc = git_remote_ls(&heads, &count, remote.remote.get());
    for (size_t i = 0; rc == 0 && i < count; ++i) {
      if (wanted == heads[i]->name) {
        found = to_hex(heads[i]->oid);
      }
    }
    (void)git_remote_disconnect(remote.remote.get());
    return rc;
  });
  return found;
}

std::string Repository::fetch(const std::string &remote_name, const std::string &branch,
                              const Credentials &credentials) {
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
    check(git_fetch_options_init(&options, GIT_FETCH_OPTIONS_VERSION), "initialise fetch options");
    use_transfer(options, transfer);
    options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    char *refspec_ptr = refspec.data();
    const git_strarray refspecs{&refspec_ptr, 1};
    return git_remote_fetch(remote.remote.get(), &refspecs, &options, "gitops-promotion: fetch");
  });
  // The advertised heads stay readable after the fetch disconnected; they, not a possibly stale
  // tracking ref, say what the remote holds now.
  const git_remote_head **heads = nullptr;
  size_t count = 0;
  check(git_remote_ls(&heads, &count, remote.remote.get()), "list the refs of " + remote.url);
  for (size_t i = 0; i < count; ++i) {
    if (source == heads[i]->name) {
      return to_hex(heads[i]->oid);
    }
  }
  throw GitError("there is no branch '" + branch + "' on " + remote.url);
}

} // namespace gitops::git
