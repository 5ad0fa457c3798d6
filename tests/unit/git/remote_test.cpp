// Push and fetch against a real smart-HTTP git server (lighttpd + git http-backend, Basic auth).
#include "support/cutting_proxy.hpp"
#include "support/git_sandbox.hpp"
#include "support/git_server.hpp"
#include "support/temp_dir.hpp"

#include "gitops/git/repository.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

namespace {

namespace fs = std::filesystem;
using gitops::git::Credentials;
using gitops::git::Identity;
using gitops::git::Repository;
using namespace gitops::test;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::map<std::string, std::string> k_files = {
    {"README.md", "# gitops\n"},
    {"apps/dev/app1/deployment.yaml", "image: reg/app1:v1 # {\"$imagepolicy\": \"apps:app1\"}\n"},
    {"apps/qa/app1/deployment.yaml", "image: reg/app1:v0 # {\"$imagepolicy\": \"apps:app1\"}\n"},
};
const Identity k_author{"GitOps Promotion", "gitops@example.com"};
const std::string k_branch = "promote/dev-app1";
const std::string k_title = "Promote apps/app1 version v2 to environment dev";

// Counts the requests libgit2 made that the server answered with `status` (lighttpd's access log:
// `... "GET ..." 401 ... "git/2.0 (libgit2 1.5.1)"`), leaving out the git CLI's set-up requests.
int count_libgit2_status(const std::string &access_log, int status) {
  const std::string needle = "\" " + std::to_string(status) + " ";
  int n = 0;
  size_t start = 0;
  while (start < access_log.size()) {
    size_t end = access_log.find('\n', start);
    if (end == std::string::npos) {
      end = access_log.size();
    }
    const std::string_view line(access_log.data() + start, end - start);
    if (line.find("libgit2") != std::string_view::npos &&
        line.find(needle) != std::string_view::npos) {
      ++n;
    }
    start = end + 1;
  }
  return n;
}

class RemoteTest : public ::testing::Test {
protected:
  RemoteTest() {
    m_bare = m_server.create_bare_repo("gitops");
    // Seed the server's repository over its path, then clone it the way CI does (over HTTP).
    const fs::path seed = m_tmp / "seed";
    init_repo(seed);
    write_files(seed, k_files);
    m_base = commit_all(seed, "Initial commit");
    git(seed, {"push", "-q", m_bare.string(), "main"});
    m_work = m_tmp / "work";
    clone(m_server.url_with_credentials("gitops"), m_work);
    // Like actions/checkout without persisted credentials: the remote URL has none.
    git(m_work, {"remote", "set-url", "origin", m_server.url("gitops")});
  }

  [[nodiscard]] Credentials token(std::string user = "x-access-token") const {
    return Credentials{Credentials::Mode::userpass, std::move(user), m_server.password(),
                       Credentials::Scheme::bearer, nullptr};
  }

  // Commits `content` to apps/dev/app1/deployment.yaml on top of HEAD and points k_branch at it.
  std::string prepare(Repository &repo, const std::string &content) {
    const std::string commit = repo.create_commit(
        repo.head_commit(), {{"apps/dev/app1/deployment.yaml", content}}, k_title, k_author);
    repo.stage_branch(k_branch, commit);
    return commit;
  }

  // The access log once the server has stopped (lighttpd flushes it only from time to time).
  std::string stopped_server_log() {
    m_server.stop();
    return m_server.access_log();
  }

  [[nodiscard]] std::optional<std::string> server_branch(const std::string &branch) const {
    return rev_parse(m_bare, "refs/heads/" + branch);
  }

  // Runs `f`, expecting a GitError, and returns its message.
  template <class F> std::string git_error_of(F &&f) {
    try {
      f();
    } catch (const gitops::GitError &e) {
      return e.what();
    }
    ADD_FAILURE() << "expected a GitError";
    return "";
  }

  GitServer m_server;
  TempDir m_tmp;
  fs::path m_bare;
  fs::path m_work;
  std::string m_base;
};

TEST_F(RemoteTest, PushPutsExactlyOneNewCommitOnTopOfTheBase) {
  Repository repo = Repository::open(m_work);
  const std::string commit = prepare(repo, "image: reg/app1:v2\n");
  const Repository::PushReport report = repo.push("origin", k_branch, token());
  // Only what the base lacks: the commit, the trees on apps/dev/app1 (root, apps, apps/dev,
  // apps/dev/app1) and the changed blob.
  EXPECT_TRUE(report.new_objects_only);
  EXPECT_EQ(report.objects, 6U);

  EXPECT_EQ(server_branch(k_branch), commit);
  EXPECT_EQ(git(m_bare, {"log", "--format=%H %P|%s", "refs/heads/" + k_branch}),
            commit + " " + m_base + "|" + k_title + "\n" + m_base + " |Initial commit");
  EXPECT_EQ(git(m_bare, {"diff", "--name-only", m_base, commit}), "apps/dev/app1/deployment.yaml");
  EXPECT_EQ(git(m_bare, {"show", commit + ":apps/dev/app1/deployment.yaml"}), "image: reg/app1:v2");
  EXPECT_EQ(server_branch("main"), m_base);
  // The receive-pack exchange sends the credentials with its first request: no 401 round trip.
  EXPECT_EQ(count_libgit2_status(stopped_server_log(), 401), 0) << m_server.access_log();
}

TEST_F(RemoteTest, AnyUserNameWorksForAzureDevOpsStylePats) {
  Repository repo = Repository::open(m_work);
  const std::string commit = prepare(repo, "v2\n");
  repo.push("origin", k_branch, token("pat"));
  EXPECT_EQ(server_branch(k_branch), commit);
}

TEST_F(RemoteTest, LeavesWorkTreeIndexHeadConfigAndUntrackedFilesUntouched) {
  write_files(m_work, {{"untracked.txt", "mine\n"}, {"README.md", "local edit\n"}});
  const DirSnapshot before = snapshot_dir(m_work, {".git/objects", ".git/refs", ".git/logs"});
  ASSERT_TRUE(before.contains(".git/index"));
  ASSERT_TRUE(before.contains(".git/HEAD"));
  ASSERT_TRUE(before.contains(".git/config"));

  Repository repo = Repository::open(m_work);
  prepare(repo, "v2\n");
  repo.push("origin", k_branch, token());

  EXPECT_EQ(snapshot_dir(m_work, {".git/objects", ".git/refs", ".git/logs"}), before);
  EXPECT_EQ(git(m_work, {"status", "--porcelain"}), " M README.md\n?? untracked.txt");
}

TEST_F(RemoteTest, TokenNeverLandsInTheGitDirectory) {
  Repository repo = Repository::open(m_work);
  prepare(repo, "v2\n");
  repo.push("origin", k_branch, token());
  (void)repo.fetch("origin", "main", token());
  Credentials header = token();
  header.mode = Credentials::Mode::extra_header;
  header.scheme = Credentials::Scheme::basic;
  repo.push("origin", k_branch, header);
  EXPECT_THAT(files_containing(m_work / ".git", m_server.password()), IsEmpty());
  EXPECT_THAT(files_containing(m_work, m_server.password()), IsEmpty());
}

TEST_F(RemoteTest, ReRunReplacesTheBranch) {
  Repository repo = Repository::open(m_work);
  prepare(repo, "v2\n");
  repo.push("origin", k_branch, token());
  const std::string second = prepare(repo, "v3\n");
  repo.push("origin", k_branch, token());

  EXPECT_EQ(server_branch(k_branch), second);
  EXPECT_EQ(git(m_bare, {"rev-list", "--count", m_base + ".." + k_branch}), "1");
  EXPECT_EQ(git(m_bare, {"show", k_branch + ":apps/dev/app1/deployment.yaml"}), "v3");
}

TEST_F(RemoteTest, WrongTokenFailsAtOnceWithoutLeakingIt) {
  Repository repo = Repository::open(m_work);
  prepare(repo, "v2\n");
  Credentials wrong{Credentials::Mode::userpass, "x-access-token", "wrong-token-abc123",
                    Credentials::Scheme::bearer, nullptr};
  const std::string message = git_error_of([&] { repo.push("origin", k_branch, wrong); });

  EXPECT_THAT(message, HasSubstr("authentication failed for " + m_server.url("gitops")));
  EXPECT_THAT(message, Not(HasSubstr("wrong-token-abc123")));
  EXPECT_EQ(server_branch(k_branch), std::nullopt);
  // One anonymous request and one with the wrong token; no replay loop.
  EXPECT_EQ(count_libgit2_status(stopped_server_log(), 401), 2) << m_server.access_log();
}

TEST_F(RemoteTest, MissingTokenSaysSo) {
  Repository repo = Repository::open(m_work);
  prepare(repo, "v2\n");
  const std::string message = git_error_of([&] { repo.push("origin", k_branch, Credentials{}); });
  EXPECT_THAT(message, HasSubstr("authentication failed for " + m_server.url("gitops")));
  EXPECT_THAT(message, HasSubstr("no token was given"));
}

TEST_F(RemoteTest, BearerHeaderModeForAzurePipelines) {
  git(m_work, {"remote", "set-url", "origin", m_server.bearer_url("gitops")});
  Repository repo = Repository::open(m_work);
  const std::string commit = prepare(repo, "v2\n");
  Credentials bearer{Credentials::Mode::extra_header, "", m_server.password(),
                     Credentials::Scheme::bearer, nullptr};
  repo.push("origin", k_branch, bearer);
  EXPECT_EQ(server_branch(k_branch), commit);
  EXPECT_EQ(repo.fetch("origin", k_branch, bearer), commit);
  EXPECT_EQ(count_libgit2_status(stopped_server_log(), 401), 0) << m_server.access_log();
}

TEST_F(RemoteTest, WrongBearerTokenFailsAtOnce) {
  git(m_work, {"remote", "set-url", "origin", m_server.bearer_url("gitops")});
  Repository repo = Repository::open(m_work);
  prepare(repo, "v2\n");
  Credentials bearer{Credentials::Mode::extra_header, "", "not-the-token-xyz",
                     Credentials::Scheme::bearer, nullptr};
  const std::string message = git_error_of([&] { repo.push("origin", k_branch, bearer); });
  EXPECT_THAT(message, HasSubstr("authentication failed for " + m_server.bearer_url("gitops")));
  EXPECT_THAT(message, Not(HasSubstr("not-the-token-xyz")));
  EXPECT_EQ(count_libgit2_status(stopped_server_log(), 401), 1) << m_server.access_log();
  EXPECT_EQ(server_branch(k_branch), std::nullopt);
}

TEST_F(RemoteTest, BasicHeaderModeLikeActionsCheckout) {
  Repository repo = Repository::open(m_work);
  const std::string commit = prepare(repo, "v2\n");
  Credentials header{Credentials::Mode::extra_header, "x-access-token", m_server.password(),
                     Credentials::Scheme::basic, nullptr};
  repo.push("origin", k_branch, header);
  EXPECT_EQ(server_branch(k_branch), commit);
}

TEST_F(RemoteTest, DetachedHeadWorks) {
  git(m_work, {"checkout", "-q", "--detach", "HEAD"});
  Repository repo = Repository::open(m_work);
  ASSERT_EQ(repo.current_branch(), std::nullopt);
  const std::string commit = prepare(repo, "v2\n");
  repo.push("origin", k_branch, token());
  EXPECT_EQ(server_branch(k_branch), commit);
  EXPECT_EQ(git(m_bare, {"rev-parse", k_branch + "^"}), m_base);
}

TEST_F(RemoteTest, ShallowCloneGetsAnActionableMessage) {
  // A second commit so that depth 1 really cuts history off.
  const fs::path seed = m_tmp / "seed";
  write_files(seed, {{"README.md", "second\n"}});
  commit_all(seed, "second");
  git(seed, {"push", "-q", m_bare.string(), "main"});
  const fs::path shallow = m_tmp / "shallow";
  clone("file://" + m_bare.string(), shallow, {"--depth", "1"});
  git(shallow, {"remote", "set-url", "origin", m_server.url("gitops")});

  Repository repo = Repository::open(shallow);
  ASSERT_TRUE(repo.is_shallow());
  prepare(repo, "v2\n");
  const std::string message = git_error_of([&] { repo.push("origin", k_branch, token()); });
  EXPECT_THAT(message, HasSubstr("shallow"));
  EXPECT_THAT(message, HasSubstr("fetch-depth: 0"));
  EXPECT_THAT(message, HasSubstr("git fetch --unshallow"));
  EXPECT_THAT(message, Not(HasSubstr("object not found")));
  EXPECT_EQ(server_branch(k_branch), std::nullopt);
}

TEST_F(RemoteTest, MissingRemoteIsNamed) {
  Repository repo = Repository::open(m_work);
  prepare(repo, "v2\n");
  const std::string message = git_error_of([&] { repo.push("upstream", k_branch, token()); });
  EXPECT_THAT(message, HasSubstr("no git remote named 'upstream'"));
  EXPECT_THAT(git_error_of([&] { (void)repo.fetch("upstream", "main", token()); }),
              HasSubstr("no git remote named 'upstream'"));
}

TEST_F(RemoteTest, UnreachableHostIsReported) {
  const std::string url =
      "http://127.0.0.1:" + std::to_string(closed_loopback_port()) + "/git/gitops.git";
  git(m_work, {"remote", "set-url", "origin", url});
  Repository repo = Repository::open(m_work);
  prepare(repo, "v2\n");
  const std::string message = git_error_of([&] { repo.push("origin", k_branch, token()); });
  EXPECT_THAT(message, HasSubstr("cannot reach " + url));
  EXPECT_THAT(message, Not(HasSubstr(m_server.password())));
}

TEST_F(RemoteTest, UrlWithEmbeddedCredentialsIsRefused) {
  git(m_work, {"remote", "set-url", "origin", m_server.url_with_credentials("gitops")});
  Repository repo = Repository::open(m_work);
  prepare(repo, "v2\n");
  const std::string message = git_error_of([&] { repo.push("origin", k_branch, token()); });
  EXPECT_THAT(message, HasSubstr("contains credentials"));
  EXPECT_THAT(message, HasSubstr("--token"));
  EXPECT_THAT(message, HasSubstr(m_server.url("gitops")));
  EXPECT_THAT(message, Not(HasSubstr(m_server.password())));
  EXPECT_EQ(server_branch(k_branch), std::nullopt);
}

TEST_F(RemoteTest, UserNameWithoutPasswordInUrlIsFine) {
  const std::string url =
      "http://org@127.0.0.1:" + std::to_string(m_server.port()) + "/git/gitops.git";
  git(m_work, {"remote", "set-url", "origin", url});
  Repository repo = Repository::open(m_work);
  const std::string commit = prepare(repo, "v2\n");
  repo.push("origin", k_branch, token("git"));
  EXPECT_EQ(server_branch(k_branch), commit);
}

TEST_F(RemoteTest, MissingServerRepositoryIsReported) {
  git(m_work, {"remote", "set-url", "origin", m_server.url("no-such-repo")});
  Repository repo = Repository::open(m_work);
  prepare(repo, "v2\n");
  const std::string message = git_error_of([&] { repo.push("origin", k_branch, token()); });
  EXPECT_THAT(message, HasSubstr("repository not found at " + m_server.url("no-such-repo")));
  EXPECT_THAT(message, Not(HasSubstr(m_server.password())));
}

TEST_F(RemoteTest, ServerSideRejectionIsReportedPerRef) {
  const fs::path hook = m_bare / "hooks" / "pre-receive";
  write_file(hook, "#!/bin/sh\necho 'branch is protected' >&2\nexit 1\n");
  fs::permissions(hook, fs::perms::owner_all);
  Repository repo = Repository::open(m_work);
  prepare(repo, "v2\n");
  const std::string message = git_error_of([&] { repo.push("origin", k_branch, token()); });
  EXPECT_THAT(message,
              HasSubstr(m_server.url("gitops") + " rejected the push of refs/heads/" + k_branch));
  EXPECT_THAT(message, HasSubstr("pre-receive hook declined"));
  EXPECT_EQ(server_branch(k_branch), std::nullopt);
}

TEST_F(RemoteTest, NonFastForwardRejectionIsReported) {
  Repository repo = Repository::open(m_work);
  prepare(repo, "v2\n");
  repo.push("origin", k_branch, token());
  git(m_bare, {"config", "receive.denyNonFastForwards", "true"});
  const std::string replacement = prepare(repo, "v3\n"); // a sibling, not a descendant
  const std::string message = git_error_of([&] { repo.push("origin", k_branch, token()); });
  EXPECT_THAT(message, HasSubstr("rejected the push of refs/heads/" + k_branch));
  EXPECT_NE(server_branch(k_branch), replacement);
}

TEST_F(RemoteTest, PushRefusesBadBranchNamesAndMissingLocalBranches) {
  Repository repo = Repository::open(m_work);
  EXPECT_THROW(repo.push("origin", "bad..name", token()), gitops::StateError);
  EXPECT_THROW(repo.push("origin", "-f", token()), gitops::StateError);
  EXPECT_THAT(git_error_of([&] { repo.push("origin", "never-created", token()); }),
              HasSubstr("nothing was staged for it (refs/gitops-promotion/heads/never-created)"));
}

TEST_F(RemoteTest, FetchReturnsTheRemoteBranchHead) {
  const fs::path seed = m_tmp / "seed";
  write_files(seed, {{"README.md", "newer\n"}});
  const std::string newer = commit_all(seed, "newer");
  git(seed, {"push", "-q", m_bare.string(), "main"});

  Repository repo = Repository::open(m_work);
  EXPECT_EQ(repo.fetch("origin", "main", token()), newer);
  EXPECT_EQ(rev_parse(m_work, "refs/gitops-promotion/remotes/origin/main"), newer);
  EXPECT_EQ(repo.read_file(newer, "README.md"), "newer\n");
  EXPECT_EQ(repo.head_commit(), m_base);
}

TEST_F(RemoteTest, FetchOfMissingBranchOrWithWrongTokenFails) {
  Repository repo = Repository::open(m_work);
  EXPECT_THAT(git_error_of([&] { (void)repo.fetch("origin", "no-such-branch", token()); }),
              HasSubstr("no branch 'no-such-branch' on " + m_server.url("gitops")));
  Credentials wrong{Credentials::Mode::userpass, "x-access-token", "nope-nope-nope",
                    Credentials::Scheme::bearer, nullptr};
  const std::string message = git_error_of([&] { (void)repo.fetch("origin", "main", wrong); });
  EXPECT_THAT(message, HasSubstr("authentication failed for " + m_server.url("gitops")));
  EXPECT_THAT(message, Not(HasSubstr("nope-nope-nope")));
}

} // namespace

// A base the server does not have (an unpushed local commit): the new-objects pack would be
// incomplete, so libgit2 pushes everything the server lacks instead.
TEST_F(RemoteTest, BaseTheServerLacksFallsBackToAFullPush) {
  write_files(m_work, {{"README.md", "local only\n"}});
  const std::string local = commit_all(m_work, "not pushed");
  Repository repo = Repository::open(m_work);
  const std::string commit = prepare(repo, "v2\n");
  const Repository::PushReport report = repo.push("origin", k_branch, token());
  EXPECT_FALSE(report.new_objects_only);
  EXPECT_EQ(server_branch(k_branch), commit);
  EXPECT_EQ(git(m_bare, {"rev-parse", commit + "^"}), local);
  EXPECT_EQ(git(m_bare, {"fsck", "--connectivity-only", "--no-progress"}), "");
}

// Changes in two places of a deep tree: exactly the trees on both paths and the two blobs.
TEST_F(RemoteTest, NewObjectsFollowTheChangedPathsOnly) {
  Repository repo = Repository::open(m_work);
  const std::string commit = repo.create_commit(
      repo.head_commit(), {{"apps/dev/app1/deployment.yaml", "x: 1\n"}, {"deep/a/b/c.yaml", "c\n"}},
      k_title, k_author);
  repo.stage_branch(k_branch, commit);
  const Repository::PushReport report = repo.push("origin", k_branch, token());
  ASSERT_TRUE(report.new_objects_only);
  // commit, root, apps, apps/dev, apps/dev/app1, blob; deep, deep/a, deep/a/b, blob.
  EXPECT_EQ(report.objects, 10U);
  EXPECT_EQ(server_branch(k_branch), commit);
  EXPECT_EQ(git(m_bare, {"fsck", "--connectivity-only", "--no-progress"}), "");
  // The same commit again: the server already has it, nothing is sent.
  const Repository::PushReport again = repo.push("origin", k_branch, token());
  EXPECT_TRUE(again.new_objects_only);
  EXPECT_EQ(server_branch(k_branch), commit);
}

namespace {

// The push's POST is cut off before it reaches the server (a dropped connection): the push reads
// where the branch is, sees it has not moved, sends the same pack again and lands the same commit.
TEST_F(RemoteTest, PushCutOffInTransportIsRetried) {
  CuttingProxy proxy(m_server.port(), 1);
  const std::string direct = m_server.url("gitops");
  const std::string prefix = "http://127.0.0.1:" + std::to_string(m_server.port());
  ASSERT_TRUE(direct.starts_with(prefix));
  git(m_work, {"remote", "set-url", "origin",
               "http://127.0.0.1:" + std::to_string(proxy.port()) + direct.substr(prefix.size())});
  Repository repo = Repository::open(m_work);
  const std::string commit = prepare(repo, "v2\n");
  const Repository::PushReport report = repo.push("origin", k_branch, token());
  EXPECT_TRUE(report.new_objects_only);
  EXPECT_EQ(proxy.cut(), 1);
  EXPECT_EQ(proxy.receive_pack_posts(), 2);
  EXPECT_EQ(server_branch(k_branch), commit);
  EXPECT_EQ(git(m_bare, {"fsck", "--connectivity-only", "--no-progress"}), "");
}

// Every POST cut off: the push gives up after its attempts with a message naming the branch, and
// the server's branch does not exist.
TEST_F(RemoteTest, PushCutOffEveryTimeFailsClearly) {
  CuttingProxy proxy(m_server.port(), 1000);
  const std::string direct = m_server.url("gitops");
  const std::string prefix = "http://127.0.0.1:" + std::to_string(m_server.port());
  git(m_work, {"remote", "set-url", "origin",
               "http://127.0.0.1:" + std::to_string(proxy.port()) + direct.substr(prefix.size())});
  Repository repo = Repository::open(m_work);
  (void)prepare(repo, "v2\n");
  const std::string message = git_error_of([&] { (void)repo.push("origin", k_branch, token()); });
  EXPECT_THAT(message, HasSubstr(k_branch));
  EXPECT_THAT(message, Not(HasSubstr(m_server.password())));
  EXPECT_GT(proxy.cut(), 1);
  EXPECT_FALSE(server_branch(k_branch).has_value());
}

} // namespace
