#include "support/git_sandbox.hpp"
#include "support/temp_dir.hpp"

#include "gitops/git/repository.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using gitops::git::Identity;
using gitops::git::Repository;
using gitops::git::TreeFile;
using namespace gitops::test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::map<std::string, std::string> k_files = {
    {"README.md", "# gitops\n"},
    {"apps/dev/app1/deployment.yaml", "image: reg/app1:v1 # {\"$imagepolicy\": \"apps:app1\"}\n"},
    {"apps/dev/app1/kustomization.yaml", "resources:\n- deployment.yaml\n"},
    {"apps/dev/app2/deployment.yml", "image: reg/app2:v1 # {\"$imagepolicy\": \"apps:app2\"}\n"},
    {"apps/dev/app2/notes.txt", "\"$imagepolicy\" but not yaml\n"},
    {"apps/dev/Kustomization", "# {\"$imagepolicy\": \"apps:x\"}\n"},
    {"apps/qa/app1/deployment.yaml", "image: reg/app1:v0 # {\"$imagepolicy\": \"apps:app1\"}\n"},
    {"other/x.yaml", "x: 1\n"},
};

bool is_manifest_name(std::string_view name) {
  return name.ends_with(".yaml") || name.ends_with(".yml") || name == "Kustomization";
}

bool has_marker(std::string_view content) {
  return content.find("\"$imagepolicy\"") != std::string_view::npos;
}

std::vector<std::string> paths_of(const std::vector<TreeFile> &files) {
  std::vector<std::string> paths;
  for (const auto &f : files) {
    paths.push_back(f.path);
  }
  return paths;
}

class RepositoryTest : public ::testing::Test {
protected:
  TempDir m_tmp;
  SandboxRepos m_repos = make_sandbox(m_tmp.path(), k_files);
};

TEST_F(RepositoryTest, OpensFromSubdirectoryAndReportsHeadAndBranch) {
  Repository repo = Repository::open(m_repos.work / "apps" / "dev");
  EXPECT_EQ(fs::canonical(repo.work_dir()), fs::canonical(m_repos.work));
  EXPECT_EQ(repo.work_dir().filename(), "work"); // no trailing slash
  EXPECT_EQ(repo.git_dir().filename(), ".git");
  EXPECT_EQ(fs::canonical(repo.git_dir()), fs::canonical(m_repos.work / ".git"));
  EXPECT_EQ(repo.head_commit(), m_repos.base_commit);
  EXPECT_EQ(repo.current_branch(), "main");
  EXPECT_FALSE(repo.is_shallow());
}

TEST_F(RepositoryTest, OpenFailsOutsideARepository) {
  TempDir elsewhere;
  try {
    (void)Repository::open(elsewhere.path());
    FAIL() << "expected GitError";
  } catch (const gitops::GitError &e) {
    EXPECT_THAT(e.what(), HasSubstr("no git repository at or above " + elsewhere.path().string()));
  }
  EXPECT_THROW((void)Repository::open(elsewhere / "does-not-exist"), gitops::GitError);
}

// A repository owned by another user (a container's workspace) is named as such, with the fix,
// never as "no git repository". Changing an owner needs root, which CI and the container tests
// have.
TEST_F(RepositoryTest, OpenNamesAForeignOwnerAndTheFix) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "chown to another uid needs root";
  }
  const uid_t other = 4242;
  for (const auto &entry : fs::recursive_directory_iterator(m_repos.work)) {
    ASSERT_EQ(::lchown(entry.path().c_str(), other, other), 0) << entry.path();
  }
  ASSERT_EQ(::lchown(m_repos.work.c_str(), other, other), 0);
  for (const fs::path &start : {m_repos.work, m_repos.work / "apps" / "dev"}) {
    try {
      (void)Repository::open(start);
      FAIL() << "expected GitError for " << start;
    } catch (const gitops::GitError &e) {
      const std::string dir = fs::absolute(m_repos.work).lexically_normal().string();
      EXPECT_THAT(e.what(), HasSubstr("the git repository at " + dir + " belongs to uid 4242"));
      EXPECT_THAT(e.what(), HasSubstr("this process runs as uid 0"));
      EXPECT_THAT(e.what(), HasSubstr("--user 4242"));
      EXPECT_THAT(e.what(), HasSubstr("git config --global --add safe.directory " + dir));
      EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("no git repository")));
    }
  }
}
TEST_F(RepositoryTest, DetachedHeadHasNoBranchButACommit) {
  write_files(m_repos.work, {{"second.txt", "2\n"}});
  const std::string second = commit_all(m_repos.work, "second");
  git(m_repos.work, {"checkout", "-q", "--detach", m_repos.base_commit});
  Repository repo = Repository::open(m_repos.work);
  EXPECT_EQ(repo.current_branch(), std::nullopt);
  EXPECT_EQ(repo.head_commit(), m_repos.base_commit);
  EXPECT_EQ(repo.resolve_commit("main"), second);
}

TEST_F(RepositoryTest, UnbornHeadHasBranchButNoCommit) {
  TempDir fresh;
  init_repo(fresh.path(), "trunk");
  Repository repo = Repository::open(fresh.path());
  EXPECT_EQ(repo.current_branch(), "trunk");
  try {
    (void)repo.head_commit();
    FAIL() << "expected GitError";
  } catch (const gitops::GitError &e) {
    EXPECT_THAT(e.what(), HasSubstr("has no commit yet"));
  }
}

TEST_F(RepositoryTest, RemoteUrlIsConfiguredUrlOrNullopt) {
  Repository repo = Repository::open(m_repos.work);
  EXPECT_EQ(repo.remote_url("origin"), m_repos.origin.string());
  EXPECT_EQ(repo.remote_url("upstream"), std::nullopt);
  EXPECT_EQ(repo.remote_url("bad name with spaces"), std::nullopt);
}

TEST_F(RepositoryTest, ResolveCommitRejectsUnknownRevisionsAndNonCommits) {
  Repository repo = Repository::open(m_repos.work);
  EXPECT_EQ(repo.resolve_commit("HEAD"), m_repos.base_commit);
  EXPECT_EQ(repo.resolve_commit(m_repos.base_commit.substr(0, 12)), m_repos.base_commit);
  try {
    (void)repo.resolve_commit("no-such-branch");
    FAIL() << "expected GitError";
  } catch (const gitops::GitError &e) {
    EXPECT_THAT(e.what(), HasSubstr("'no-such-branch'"));
  }
  const std::string blob = git(m_repos.work, {"rev-parse", "HEAD:README.md"});
  EXPECT_THROW((void)repo.resolve_commit(blob), gitops::GitError);
}

TEST_F(RepositoryTest, ReadFileReturnsBytesOrNullopt) {
  Repository repo = Repository::open(m_repos.work);
  EXPECT_EQ(repo.read_file("HEAD", "apps/dev/app1/kustomization.yaml"),
            "resources:\n- deployment.yaml\n");
  EXPECT_EQ(repo.read_file("HEAD", "apps/dev/missing.yaml"), std::nullopt);
  EXPECT_EQ(repo.read_file("HEAD", "apps/dev"), std::nullopt);
  EXPECT_TRUE(repo.has_directory("HEAD", "apps/dev"));
  EXPECT_TRUE(repo.has_directory("HEAD", "apps/dev/"));
  EXPECT_TRUE(repo.has_directory("HEAD", ""));
  EXPECT_FALSE(repo.has_directory("HEAD", "apps/prod"));
  EXPECT_FALSE(repo.has_directory("HEAD", "README.md"));
}

TEST_F(RepositoryTest, ReadFilesWalksOnlyTheDirectoryAndAppliesBothFilters) {
  Repository repo = Repository::open(m_repos.work);
  std::set<std::string> names_seen;
  int content_checks = 0;
  const auto files = repo.read_files(
      m_repos.base_commit, "apps/dev",
      [&](std::string_view name) {
        names_seen.insert(std::string(name));
        return is_manifest_name(name);
      },
      [&](std::string_view content) {
        ++content_checks;
        return has_marker(content);
      });
  EXPECT_THAT(paths_of(files),
              ElementsAre("apps/dev/Kustomization", "apps/dev/app1/deployment.yaml",
                          "apps/dev/app2/deployment.yml"));
  EXPECT_EQ(files[1].content, k_files.at("apps/dev/app1/deployment.yaml"));
  EXPECT_EQ(files[1].mode, 0100644U);
  // Names outside apps/dev are never looked at; notes.txt's blob is never passed to the content
  // filter, and kustomization.yaml is (it has the right name) but is then rejected.
  EXPECT_EQ(names_seen,
            (std::set<std::string>{"Kustomization", "deployment.yaml", "kustomization.yaml",
                                   "deployment.yml", "notes.txt"}));
  EXPECT_EQ(content_checks, 4);
}

TEST_F(RepositoryTest, ReadFilesWithoutFiltersReturnsEverythingUnderTheRoot) {
  Repository repo = Repository::open(m_repos.work);
  const auto files = repo.read_files("HEAD", "", {}, {});
  EXPECT_EQ(files.size(), k_files.size());
  EXPECT_EQ(repo.read_files("HEAD", ".", {}, {}).size(), k_files.size());
}

TEST_F(RepositoryTest, ReadFilesOfMissingDirectoryOrFileIsEmpty) {
  Repository repo = Repository::open(m_repos.work);
  EXPECT_THAT(repo.read_files("HEAD", "apps/prod", {}, {}), IsEmpty());
  EXPECT_THAT(repo.read_files("HEAD", "README.md", {}, {}), IsEmpty());
}

TEST_F(RepositoryTest, ReadFilesSkipsSymlinksAndSubmodulesAndKeepsExecutableMode) {
  TempDir sub_tmp;
  const SandboxRepos sub = make_sandbox(sub_tmp.path(), {{"sub.yaml", "s: 1\n"}});
  fs::create_symlink("../../README.md", m_repos.work / "apps/dev/link.yaml");
  write_files(m_repos.work, {{"apps/dev/run.yaml", "#!/bin/sh\n"}});
  fs::permissions(m_repos.work / "apps/dev/run.yaml", fs::perms::owner_exec, fs::perm_options::add);
  git(m_repos.work, {"-c", "protocol.file.allow=always", "submodule", "add", "-q",
                     sub.origin.string(), "apps/dev/submodule"});
  const std::string commit = commit_all(m_repos.work, "links and submodules");
  ASSERT_EQ(git(m_repos.work, {"ls-tree", commit, "apps/dev/link.yaml"}).substr(0, 6), "120000");
  ASSERT_EQ(git(m_repos.work, {"ls-tree", commit, "apps/dev/submodule"}).substr(0, 6), "160000");

  Repository repo = Repository::open(m_repos.work);
  const auto files = repo.read_files(commit, "apps/dev", is_manifest_name, {});
  EXPECT_THAT(paths_of(files),
              ElementsAre("apps/dev/Kustomization", "apps/dev/app1/deployment.yaml",
                          "apps/dev/app1/kustomization.yaml", "apps/dev/app2/deployment.yml",
                          "apps/dev/run.yaml"));
  EXPECT_EQ(files.back().mode, 0100755U);
  EXPECT_EQ(repo.read_file(commit, "apps/dev/link.yaml"), std::nullopt);
}

class CreateCommitTest : public RepositoryTest {
protected:
  const Identity m_author{"GitOps Promotion", "gitops@example.com"};
  const std::string m_title = "Promote apps/app1 version v2 to environment dev";
};

TEST_F(CreateCommitTest, CommitHasBaseAsOnlyParentAndChangesExactlyTheGivenFiles) {
  Repository repo = Repository::open(m_repos.work);
  const std::map<std::string, std::string> changes{
      {"apps/dev/app1/deployment.yaml", "image: reg/app1:v2 # {\"$imagepolicy\": \"apps:app1\"}\n"},
      {"apps/dev/app3/new.yaml", "new: file\n"}};
  const std::string commit = repo.create_commit(m_repos.base_commit, changes, m_title, m_author);

  EXPECT_EQ(git(m_repos.work, {"rev-list", "--parents", "-n1", commit}),
            commit + " " + m_repos.base_commit);
  EXPECT_EQ(git(m_repos.work, {"diff", "--name-status", m_repos.base_commit, commit}),
            "M\tapps/dev/app1/deployment.yaml\nA\tapps/dev/app3/new.yaml");
  EXPECT_EQ(git(m_repos.work, {"show", commit + ":apps/dev/app1/deployment.yaml"}) + "\n",
            changes.begin()->second);
  // The message is the title byte for byte: no trailing newline added.
  const std::string raw = git(m_repos.work, {"cat-file", "commit", commit});
  EXPECT_TRUE(raw.ends_with("\n\n" + m_title)) << raw;
  EXPECT_EQ(git(m_repos.work, {"log", "-1", "--format=%an <%ae>|%cn <%ce>", commit}),
            "GitOps Promotion <gitops@example.com>|GitOps Promotion <gitops@example.com>");
  // No ref moved.
  EXPECT_EQ(git(m_repos.work, {"rev-parse", "HEAD"}), m_repos.base_commit);
  EXPECT_EQ(git(m_repos.work, {"for-each-ref", "--contains", commit}), "");
}

TEST_F(CreateCommitTest, LeavesWorkTreeIndexHeadAndUntrackedFilesByteIdentical) {
  write_files(m_repos.work,
              {{"untracked.yaml", "u: 1\n"}, {"apps/dev/app1/deployment.yaml", "dirty\n"}});
  write_files(m_repos.work, {{"staged.txt", "staged\n"}});
  git(m_repos.work, {"add", "staged.txt"});
  const DirSnapshot before = snapshot_dir(m_repos.work, {".git/objects", ".git/refs", ".git/logs"});
  ASSERT_TRUE(before.contains(".git/index"));
  ASSERT_TRUE(before.contains(".git/HEAD"));

  Repository repo = Repository::open(m_repos.work);
  const std::string commit = repo.create_commit(
      "HEAD", {{"apps/dev/app1/deployment.yaml", "promoted\n"}}, m_title, m_author);
  repo.stage_branch("promote/dev-app1", commit);

  EXPECT_EQ(snapshot_dir(m_repos.work, {".git/objects", ".git/refs", ".git/logs"}), before);
  EXPECT_EQ(git(m_repos.work, {"status", "--porcelain"}),
            " M apps/dev/app1/deployment.yaml\nA  staged.txt\n?? untracked.yaml");
}

TEST_F(CreateCommitTest, KeepsExecutableModeOfExistingFiles) {
  write_files(m_repos.work, {{"bin/run.sh", "echo 1\n"}});
  fs::permissions(m_repos.work / "bin/run.sh", fs::perms::owner_exec, fs::perm_options::add);
  const std::string base = commit_all(m_repos.work, "exec");
  Repository repo = Repository::open(m_repos.work);
  const std::string commit = repo.create_commit(base, {{"bin/run.sh", "echo 2\n"}}, "t", m_author);
  EXPECT_EQ(git(m_repos.work, {"ls-tree", commit, "bin/run.sh"}).substr(0, 6), "100755");
}

TEST_F(CreateCommitTest, RefusesUnsafePaths) {
  Repository repo = Repository::open(m_repos.work);
  for (const char *path : {"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", ".git/config",
                           "apps/.GIT/hooks/pre-commit", "a/"}) {
    SCOPED_TRACE(path);
    EXPECT_THROW((void)repo.create_commit("HEAD", {{path, "x"}}, "t", m_author),
                 gitops::StateError);
  }
}

TEST_F(CreateCommitTest, RefusesToReplaceADirectoryOrSymlink) {
  fs::create_symlink("README.md", m_repos.work / "link.yaml");
  const std::string base = commit_all(m_repos.work, "link");
  Repository repo = Repository::open(m_repos.work);
  EXPECT_THROW((void)repo.create_commit(base, {{"apps/dev", "x"}}, "t", m_author),
               gitops::GitError);
  EXPECT_THROW((void)repo.create_commit(base, {{"link.yaml", "x"}}, "t", m_author),
               gitops::GitError);
}

TEST_F(CreateCommitTest, RefusesToWriteBelowAFile) {
  Repository repo = Repository::open(m_repos.work);
  EXPECT_THROW((void)repo.create_commit("HEAD", {{"README.md/x.yaml", "x"}}, "t", m_author),
               gitops::GitError);
}

TEST_F(CreateCommitTest, RefusesAnInvalidIdentityAndUnknownBase) {
  Repository repo = Repository::open(m_repos.work);
  EXPECT_THROW((void)repo.create_commit("HEAD", {{"a", "b"}}, "t", Identity{"", ""}),
               gitops::GitError);
  EXPECT_THROW((void)repo.create_commit("nope", {{"a", "b"}}, "t", m_author), gitops::GitError);
}

TEST_F(CreateCommitTest, StageBranchCreatesAndForceReplacesTheToolsOwnRef) {
  Repository repo = Repository::open(m_repos.work);
  const std::string ref = "refs/gitops-promotion/heads/promote/dev-app1";
  const std::string first = repo.create_commit("HEAD", {{"a.yaml", "1\n"}}, "one", m_author);
  repo.stage_branch("promote/dev-app1", first);
  EXPECT_EQ(rev_parse(m_repos.work, ref), first);
  const std::string second = repo.create_commit("HEAD", {{"a.yaml", "2\n"}}, "two", m_author);
  repo.stage_branch("promote/dev-app1", second);
  EXPECT_EQ(rev_parse(m_repos.work, ref), second);
  EXPECT_EQ(git(m_repos.work, {"rev-list", "--count", m_repos.base_commit + ".." + ref}), "1");
}

TEST_F(CreateCommitTest, StageBranchNeverTouchesTheUsersBranches) {
  // The user's own promote/dev-app1 holds an unpushed commit; HEAD is on main.
  git(m_repos.work, {"branch", "promote/dev-app1"});
  write_files(m_repos.work, {{"mine.txt", "unpushed\n"}});
  const std::string users = commit_all(m_repos.work, "unpushed work");
  git(m_repos.work, {"branch", "-f", "promote/dev-app1", users});
  git(m_repos.work, {"reset", "-q", "--hard", m_repos.base_commit});
  Repository repo = Repository::open(m_repos.work);
  const std::string commit = repo.create_commit("HEAD", {{"a.yaml", "1\n"}}, "one", m_author);
  EXPECT_THROW(repo.stage_branch("bad..name", commit), gitops::StateError);
  EXPECT_THROW(repo.stage_branch("-x", commit), gitops::StateError);
  repo.stage_branch("promote/dev-app1", commit);
  repo.stage_branch("main", commit);
  EXPECT_EQ(rev_parse(m_repos.work, "refs/heads/promote/dev-app1"), users);
  EXPECT_EQ(rev_parse(m_repos.work, "refs/heads/main"), m_repos.base_commit);
  EXPECT_EQ(rev_parse(m_repos.work, "HEAD"), m_repos.base_commit);
}

} // namespace

TEST_F(RepositoryTest, CommitRemovesFilesAndTheirEmptyDirectory) {
  Repository repo = Repository::open(m_repos.work);
  const std::string sha =
      repo.create_commit(m_repos.base_commit, {{"other/y.yaml", "y: 1\n"}}, "rm", {"t", "t@t"},
                         {"apps/dev/app1/deployment.yaml", "apps/dev/app1/kustomization.yaml"});
  EXPECT_FALSE(repo.has_directory(sha, "apps/dev/app1"));
  EXPECT_TRUE(repo.has_directory(sha, "apps/dev/app2"));
  EXPECT_EQ(repo.read_file(sha, "other/y.yaml"), "y: 1\n");
  EXPECT_THROW((void)repo.create_commit(m_repos.base_commit, {}, "rm", {"t", "t@t"}, {"absent"}),
               gitops::GitError);
}

TEST_F(RepositoryTest, ExportTreeWritesOneDirectoryOfACommit) {
  Repository repo = Repository::open(m_repos.work);
  write_files(m_repos.work, {{"apps/dev/app1/deployment.yaml", "work tree only\n"}});
  TempDir out;
  repo.export_tree(m_repos.base_commit, "apps", out.path());
  EXPECT_EQ(read_file(out.path() / "apps/dev/app1/deployment.yaml"),
            k_files.at("apps/dev/app1/deployment.yaml")); // the commit, not the work tree
  EXPECT_FALSE(fs::exists(out.path() / "README.md"));
  EXPECT_FALSE(fs::exists(out.path() / "other"));
}

TEST_F(RepositoryTest, LastChangesFindsEachPathsNewestCommitInOneWalk) {
  const fs::path &w = m_repos.work;
  write_files(w, {{"apps/dev/app1/deployment.yaml", "changed\n"}});
  git(w, {"-c", "user.name=a", "-c", "user.email=a@a", "commit", "-qam", "app1",
          "--date=2020-01-02T00:00:00Z"});
  const std::string app1 = *rev_parse(w, "HEAD");
  write_files(w, {{"other/x.yaml", "x: 2\n"}});
  const std::string other = commit_all(w, "other");
  Repository repo = Repository::open(w);
  const auto found = repo.last_changes(other, {"apps/dev/app1", "apps/qa", "other/x.yaml"});
  EXPECT_EQ(found.at("apps/dev/app1").commit, app1);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(found.at("apps/dev/app1").author_time),
            1577923200);                                      // the author date, as upstream used
  EXPECT_EQ(found.at("apps/qa").commit, m_repos.base_commit); // added by the root commit
  EXPECT_EQ(found.at("other/x.yaml").commit, other);
  EXPECT_THROW((void)repo.last_changes(other, {"absent"}), gitops::GitError);
}

TEST_F(RepositoryTest, LastChangesRefusesToGuessInAShallowClone) {
  const fs::path &w = m_repos.work;
  write_files(w, {{"other/x.yaml", "x: 2\n"}});
  commit_all(w, "other");
  git(w, {"push", "-q", "origin", "main"});
  const fs::path shallow = m_tmp.path() / "shallow";
  clone("file://" + m_repos.origin.string(), shallow, {"--depth", "1"});
  Repository repo = Repository::open(shallow);
  // Whether a path changed in the one commit that is there is unknowable: its parent is missing.
  for (const char *path : {"other/x.yaml", "apps/qa"}) {
    EXPECT_THAT([&] { (void)repo.last_changes("HEAD", {path}); },
                testing::ThrowsMessage<gitops::CommandError>(HasSubstr("shallow clone")))
        << path;
  }
}
