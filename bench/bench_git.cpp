// libgit2-level benchmark of the promotion path on a large repository (bench/generate-repo.sh):
// read the candidate manifests of one <group>/<env> from HEAD's tree, change one file, build the
// commit from objects, point the branch at it and push it to `origin`. A measurement, not a test.
// usage: bench_git WORK_DIR GROUP ENV APP [REPEATS=5]
#include "gitops/git/repository.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Runs `f` `repeats` times and returns the median wall time in milliseconds.
double measure(int repeats, const std::function<void()> &f) {
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return median(ms);
}

bool is_manifest_name(std::string_view name) {
  return name.ends_with(".yaml") || name.ends_with(".yml") || name == "Kustomization";
}

bool has_marker(std::string_view content) {
  return content.find("\"$imagepolicy\"") != std::string_view::npos;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s WORK_DIR GROUP ENV APP [REPEATS]\n", argv[0]);
    return 2;
  }
  const std::string work = argv[1], group = argv[2], env = argv[3], app = argv[4];
  const int repeats = argc > 5 ? std::max(1, std::atoi(argv[5])) : 5;
  const std::string dir = group + "/" + env;
  const std::string marker = "\"" + group + ":" + app + "\"";
  const std::string branch = "promote/" + group + "-" + app;
  const gitops::git::Identity author{"Bench", "bench@example.com"};

  try {
    gitops::git::LibGit2Session session;
    size_t env_files = 0;
    size_t all_files = 0;
    std::string target_path;
    std::string target_content;

    const double open_ms =
        measure(repeats, [&] { (void)gitops::git::Repository::open(work).head_commit(); });
    auto repo = gitops::git::Repository::open(work);
    const std::string head = repo.head_commit();

    const double read_env_ms = measure(repeats, [&] {
      const auto files = repo.read_files(head, dir, is_manifest_name, has_marker);
      env_files = files.size();
      for (const auto &f : files) {
        if (f.content.find(marker) != std::string::npos) {
          target_path = f.path;
          target_content = f.content;
        }
      }
    });
    const double read_all_ms = measure(repeats, [&] {
      all_files = repo.read_files(head, "", is_manifest_name, has_marker).size();
    });
    if (target_path.empty()) {
      std::fprintf(stderr, "no manifest of %s:%s under %s\n", group.c_str(), app.c_str(),
                   dir.c_str());
      return 1;
    }

    // Each run commits new content and pushes it, so every push really transfers a commit.
    std::vector<double> commit_runs;
    std::vector<double> push_runs;
    for (int run = 1; run <= repeats; ++run) {
      // A stand-in for the rewrite: append a line.
      const std::string content = target_content + "# bench run " + std::to_string(run) + "\n";
      auto start = Clock::now();
      const std::string commit = repo.create_commit(head, {{target_path, content}},
                                                    "Promote " + group + "/" + app, author);
      repo.set_branch(branch, commit);
      commit_runs.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      start = Clock::now();
      repo.push("origin", branch, gitops::git::Credentials{});
      push_runs.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    const double commit_ms = median(commit_runs);
    const double push_ms = median(push_runs);

    std::printf("repository            %s (HEAD %s)\n", work.c_str(), head.substr(0, 12).c_str());
    std::printf("median of %d runs, wall milliseconds\n", repeats);
    std::printf("open + HEAD           %9.2f\n", open_ms);
    std::printf("read_files %-10s %9.2f  (%zu manifests with a marker)\n", dir.c_str(), read_env_ms,
                env_files);
    std::printf("read_files whole tree %9.2f  (%zu manifests with a marker)\n", read_all_ms,
                all_files);
    std::printf("commit + set_branch   %9.2f\n", commit_ms);
    std::printf("push (force, file://) %9.2f\n", push_ms);
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "bench_git: %s\n", e.what());
    return 1;
  }
}
