#pragma once

#include "support/temp_dir.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace gitops::test {

// A real smart-HTTP git server for tests: lighttpd running `git http-backend` on a random loopback
// port (the listening socket is bound to port 0 here and handed over by socket activation, so no
// other process can take the port in between). Bare repositories live in a private temp dir.
//   /git/<name>.git     Basic auth: users x-access-token, git and pat, all with password()
//   /bearer/<name>.git  `Authorization: Bearer <password>` (Azure Pipelines style), or Basic as
//   above
// The constructor returns once the port answers; the destructor stops the server (kill + waitpid).
class GitServer {
public:
  explicit GitServer(std::string password = "s3cr3t-t0ken-for-tests");
  ~GitServer();
  GitServer(const GitServer &) = delete;
  GitServer &operator=(const GitServer &) = delete;

  // Creates an empty bare repository `<name>.git` (HEAD → main) and returns its path.
  std::filesystem::path create_bare_repo(const std::string &name);

  // The on-disk path of repository `name` (which may not exist).
  [[nodiscard]] std::filesystem::path repo_path(const std::string &name) const;

  // `http://127.0.0.1:<port>/git/<name>.git`, without credentials.
  [[nodiscard]] std::string url(const std::string &name) const;

  // `http://127.0.0.1:<port>/bearer/<name>.git`, without credentials.
  [[nodiscard]] std::string bearer_url(const std::string &name) const;

  // url() with `user:password@` in it, for driving the git CLI in test set-up only.
  [[nodiscard]] std::string url_with_credentials(const std::string &name,
                                                 const std::string &user = "git") const;

  [[nodiscard]] const std::string &password() const { return m_password; }
  // The Basic-auth user file (`user:password` lines, read at every request), for a test that
  // lets forge-sim add GitHub App installation tokens (forge_sim::Options::git_users).
  [[nodiscard]] std::filesystem::path users_file() const { return m_dir.path() / "users"; }
  [[nodiscard]] int port() const { return m_port; }

  // Stops the server now (as the destructor does); logs are complete afterwards.
  void stop();

  // lighttpd's error log, for test failure messages.
  [[nodiscard]] std::string error_log() const;

  // lighttpd's access log (one line per request, with the status code), e.g. to count 401 answers.
  [[nodiscard]] std::string access_log() const;

private:
  TempDir m_dir{"gp-git-server-"};
  std::string m_password;
  int m_port = 0;
  pid_t m_pid = -1;
};

// A loopback TCP port that nothing listens on right now (bound, then closed), for "unreachable
// host".
int closed_loopback_port();

} // namespace gitops::test
