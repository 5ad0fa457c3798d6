// libgit2-level benchmark of the promotion path on a large repository (bench/generate-repo.sh).
// A measurement, not a test. Two modes:
//
//   bench_git WORK GROUP ENV APP commit-push REMOTE
//     One promotion in this (fresh) process, the way `gitops-promotion new` does it: open, read the
//     candidate manifests of GROUP/ENV from HEAD's tree, change APP's manifest, build the commit
//     from objects, point promote/GROUP-APP at it and force-push it to REMOTE with
//     Credentials{userpass, x-access-token, $GP_BENCH_TOKEN} (Repository::push, the production
//     path). The process id and the clock go into the content, so every run pushes a new commit.
//     Prints one line:
//       steps <open_ms> <read_ms> <commit_ms> <push_ms> <rss_after_read_kb> <rss_end_kb>
//     where rss_* is getrusage(RUSAGE_SELF).ru_maxrss: the process peak so far.
//
//   bench_git WORK GROUP ENV APP reads [REPEATS=5]
//     In-process medians of open + HEAD, read_files(GROUP/ENV) and read_files of the whole tree.
//     Prints `reads <open_ms> <read_env_ms> <env_files> <read_all_ms> <all_files> <rss_end_kb>`.
#include "gitops/git/repository.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Runs `f` `repeats` times and returns the median wall time in milliseconds.
double measure(int repeats, const std::function<void()> &f) {
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    f();
    ms.push_back(ms_since(start));
  }
  return median(ms);
}

// Peak resident set size of this process so far, in KiB (Linux reports ru_maxrss in KiB).
long peak_rss_kb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// The same name filter the CLI applies to candidate manifests.
bool is_manifest_name(std::string_view name) {
  return name.ends_with(".yaml") || name.ends_with(".yml") || name == "Kustomization";
}

bool has_marker(std::string_view content) {
  return content.find("\"$imagepolicy\"") != std::string_view::npos;
}

int commit_push(const std::string &work, const std::string &group, const std::string &env,
                const std::string &app, const std::string &remote) {
  const std::string run =
      std::to_string(getpid()) + "-" + std::to_string(Clock::now().time_since_epoch().count());
  const std::string dir = group + "/" + env;
  const std::string marker = "\"" + group + ":" + app + "\"";
  const std::string branch = "promote/" + group + "-" + app;
  const char *token = std::getenv("GP_BENCH_TOKEN");
  gitops::git::Credentials credentials;
  credentials.mode = gitops::git::Credentials::Mode::userpass;
  credentials.username = "x-access-token";
  credentials.token = token != nullptr ? token : "";

  gitops::git::LibGit2Session session;
  auto start = Clock::now();
  auto repo = gitops::git::Repository::open(work);
  const std::string head = repo.head_commit();
  const double open_ms = ms_since(start);

  start = Clock::now();
  std::string target_path;
  std::string target_content;
  for (const auto &f : repo.read_files(head, dir, is_manifest_name, has_marker)) {
    if (f.content.find(marker) != std::string::npos) {
      target_path = f.path;
      target_content = f.content;
    }
  }
  const double read_ms = ms_since(start);
  const long rss_after_read = peak_rss_kb();
  if (target_path.empty()) {
    std::fprintf(stderr, "bench_git: no manifest of %s:%s under %s\n", group.c_str(), app.c_str(),
                 dir.c_str());
    return 1;
  }

  // A stand-in for the tag rewrite (the rewrite itself is measured by `new --dry-run`).
  start = Clock::now();
  const std::string commit =
      repo.create_commit(head, {{target_path, target_content + "# bench run " + run + "\n"}},
                         "Promote " + group + "/" + app, {"Bench", "bench@example.com"});
  repo.stage_branch(branch, commit);
  const double commit_ms = ms_since(start);

  start = Clock::now();
  repo.push(remote, branch, credentials);
  const double push_ms = ms_since(start);

  std::printf("steps %.2f %.2f %.2f %.2f %ld %ld\n", open_ms, read_ms, commit_ms, push_ms,
              rss_after_read, peak_rss_kb());
  return 0;
}

int reads(const std::string &work, const std::string &group, const std::string &env, int repeats) {
  const std::string dir = group + "/" + env;
  gitops::git::LibGit2Session session;
  const double open_ms =
      measure(repeats, [&] { (void)gitops::git::Repository::open(work).head_commit(); });
  auto repo = gitops::git::Repository::open(work);
  const std::string head = repo.head_commit();
  size_t env_files = 0;
  size_t all_files = 0;
  const double read_env_ms = measure(repeats, [&] {
    env_files = repo.read_files(head, dir, is_manifest_name, has_marker).size();
  });
  const double read_all_ms = measure(
      repeats, [&] { all_files = repo.read_files(head, "", is_manifest_name, has_marker).size(); });
  std::printf("reads %.2f %.2f %zu %.2f %zu %ld\n", open_ms, read_env_ms, env_files, read_all_ms,
              all_files, peak_rss_kb());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 6 && args[4] == "commit-push") {
      return commit_push(args[0], args[1], args[2], args[3], args[5]);
    }
    if ((args.size() == 5 || args.size() == 6) && args[4] == "reads") {
      return reads(args[0], args[1], args[2],
                   args.size() == 6 ? std::max(1, std::atoi(argv[6])) : 5);
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "bench_git: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: %s WORK GROUP ENV APP commit-push REMOTE\n"
               "       %s WORK GROUP ENV APP reads [REPEATS]\n",
               argv[0], argv[0]);
  return 2;
}
