// The test fixture itself: the server really authenticates, and really stops.
#include "support/git_sandbox.hpp"
#include "support/git_server.hpp"
#include "support/temp_dir.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace gitops::test;
using ::testing::HasSubstr;
using ::testing::Not;

bool port_accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

TEST(GitServer, UrlsCarryNoCredentials) {
  GitServer server("pw-1234567");
  EXPECT_EQ(server.url("a"), "http://127.0.0.1:" + std::to_string(server.port()) + "/git/a.git");
  EXPECT_THAT(server.url("a"), Not(HasSubstr("pw-1234567")));
  EXPECT_THAT(server.bearer_url("a"), HasSubstr("/bearer/a.git"));
  EXPECT_THAT(server.url_with_credentials("a", "pat"), HasSubstr("pat:pw-1234567@"));
}

TEST(GitServer, ServesBareReposToEachUserWithThePasswordOnly) {
  GitServer server("pw-1234567");
  TempDir tmp;
  const auto bare = server.create_bare_repo("demo");
  ASSERT_TRUE(std::filesystem::exists(bare / "HEAD"));
  for (const char *user : {"x-access-token", "git", "pat"}) {
    SCOPED_TRACE(user);
    EXPECT_NO_THROW(git(tmp.path(), {"ls-remote", server.url_with_credentials("demo", user)}));
  }
  const std::string bad =
      "http://git:wrong@127.0.0.1:" + std::to_string(server.port()) + "/git/demo.git";
  EXPECT_THROW(git(tmp.path(), {"ls-remote", bad}), std::runtime_error);
  EXPECT_THROW(git(tmp.path(), {"ls-remote", server.url("demo")}), std::runtime_error);
}

TEST(GitServer, AcceptsPushesAndStopsWhenAsked) {
  auto server = std::make_unique<GitServer>();
  TempDir tmp;
  server->create_bare_repo("demo");
  init_repo(tmp / "w");
  write_files(tmp / "w", {{"a.txt", "a\n"}});
  const std::string head = commit_all(tmp / "w", "one");
  git(tmp / "w", {"push", "-q", server->url_with_credentials("demo"), "main"});
  EXPECT_EQ(rev_parse(server->repo_path("demo"), "main"), head);

  const int port = server->port();
  ASSERT_TRUE(port_accepts(port));
  server.reset();
  EXPECT_FALSE(port_accepts(port));
}

TEST(GitServer, ClosedLoopbackPortRefusesConnections) {
  EXPECT_FALSE(port_accepts(closed_loopback_port()));
}

} // namespace
