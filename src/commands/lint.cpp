#include "gitops/commands/lint.hpp"

#include "gitops/config/config.hpp"
#include "gitops/manifest/rewriter.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

namespace fs = std::filesystem;

namespace gitops::commands {

namespace {

bool is_real_directory(const fs::path &path) {
  std::error_code ec;
  return !fs::is_symlink(path, ec) && fs::is_directory(path, ec);
}

std::optional<std::string> read_bytes(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Manifest files below `dir`, relative to `root`, sorted; symlinks and .git are skipped.
std::vector<std::string> manifest_files(const fs::path &root, const fs::path &dir) {
  std::vector<std::string> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec);
  for (const fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
    const fs::directory_entry &entry = *it;
    if (entry.is_symlink()) {
      continue;
    }
    if (entry.is_directory()) {
      if (entry.path().filename() == ".git") {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (entry.is_regular_file() &&
        manifest::is_manifest_file_name(entry.path().filename().string())) {
      files.push_back(entry.path().lexically_relative(root).generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

} // namespace

std::size_t LintResult::errors() const {
  return static_cast<std::size_t>(
      std::count_if(findings.begin(), findings.end(),
                    [](const auto &f) { return f.severity == Severity::error; }));
}

std::size_t LintResult::warnings() const {
  return findings.size() - errors();
}

LintResult run_lint(const LintOptions &options) {
  const fs::path &root = options.root;
  if (!is_real_directory(root)) {
    throw CommandError("lint: " + root.string() + " is not a directory");
  }
  LintResult result;
  auto add = [&result](std::string file, int line, std::string message, Severity severity) {
    result.findings.push_back({std::move(file), line, std::move(message), severity});
  };

  config::Config cfg;
  try {
    cfg = config::load_config(root);
  } catch (const ConfigError &e) {
    // The loader's messages start with "<path>:<line>: " (or "<path>: ", "<path> "); split that off
    // so the finding names the file relative to the root and the line once, like every other
    // finding.
    std::string message = e.what();
    int line = 0;
    const std::string path = (root / config::k_file_name).string();
    if (message.rfind(path + ": ", 0) == 0) {
      message.erase(0, path.size() + 2); // a finding about the whole file: no line
    } else if (message.rfind(path + ":", 0) == 0) {
      const std::size_t start = path.size() + 1;
      const std::size_t end = message.find(": ", start);
      const std::string number =
          end == std::string::npos ? std::string() : message.substr(start, end - start);
      if (!number.empty() && number.size() < 9 &&
          std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        line = std::stoi(number);
        message.erase(0, end + 2);
      }
    } else if (message.rfind(path + " ", 0) == 0) {
      message.erase(0, path.size() + 1);
    }
    add(std::string(config::k_file_name), line, message, Severity::error);
    return result;
  }
  for (const config::Diagnostic &d : cfg.warnings) {
    std::string file = d.file.empty() ? std::string(config::k_file_name) : d.file;
    // The loader names the file by its full path; findings are relative to the root.
    const fs::path p(file);
    if (p.is_absolute()) {
      file = p.lexically_relative(root).generic_string();
    }
    add(file, d.line, d.message, Severity::warning);
  }

  // Top-level directories that hold at least one environment directory are groups.
  std::vector<std::string> groups;
  std::error_code ec;
  for (const fs::directory_entry &entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == ".git" || !is_real_directory(entry.path())) {
      continue;
    }
    const bool has_env = std::any_of(
        cfg.environments.begin(), cfg.environments.end(),
        [&](const config::Environment &env) { return is_real_directory(entry.path() / env.name); });
    if (has_env) {
      groups.push_back(name);
    }
  }
  std::sort(groups.begin(), groups.end());
  if (groups.empty()) {
    add(
        std::string(config::k_file_name), 0,
        "no group directories found: expected <group>/<env> directories for the environments " +
            [&] {
              std::vector<std::string> names;
              for (const auto &env : cfg.environments) {
                names.push_back(env.name);
              }
              return util::join(names, ", ");
            }(),
        Severity::error);
  }
  for (const auto &[name, group] : cfg.groups) {
    (void)group;
    if (std::find(groups.begin(), groups.end(), name) == groups.end()) {
      add(std::string(config::k_file_name), 0,
          "groups." + name + " is configured but there is no directory " + name + "/<env>",
          Severity::warning);
    }
  }

  for (const std::string &group : groups) {
    // app -> environments in which it has at least one marker
    std::map<std::string, std::set<std::string>> app_envs;
    std::vector<std::string> present_envs;
    for (const config::Environment &env : cfg.environments) {
      const fs::path dir = root / group / env.name;
      if (!is_real_directory(dir)) {
        add(group, 0, "group " + group + " has no directory for environment " + env.name,
            Severity::error);
        continue;
      }
      present_envs.push_back(env.name);
      for (const std::string &file : manifest_files(root, dir)) {
        const std::optional<std::string> content = read_bytes(root / file);
        if (!content) {
          add(file, 0, "cannot read file", Severity::error);
          continue;
        }
        if (!manifest::may_contain_marker(*content)) {
          continue;
        }
        const manifest::ScanResult scan = manifest::scan(*content);
        for (const manifest::MarkerFinding &f : scan.findings) {
          add(file, f.line, f.message, f.error ? Severity::error : Severity::warning);
        }
        for (const manifest::Marker &m : scan.markers) {
          if (m.group != group) {
            add(file, m.line,
                "marker for " + m.group + ":" + m.app + " is in the directory of group " + group +
                    "; promotions of group " + m.group + " never update it",
                Severity::warning);
            continue;
          }
          app_envs[m.app].insert(env.name);
        }
      }
    }
    for (const auto &[app, envs] : app_envs) {
      std::vector<std::string> with;
      std::vector<std::string> without;
      for (const std::string &env : present_envs) {
        (envs.count(env) != 0 ? with : without).push_back(env);
      }
      for (const std::string &env : without) {
        add(group + "/" + env, 0,
            "app " + app + " has a marker in " + util::join(with, ", ") + " but none in " + env +
                ", so promoting it to " + env + " would fail",
            Severity::error);
      }
    }
  }

  std::stable_sort(result.findings.begin(), result.findings.end(),
                   [](const LintFinding &a, const LintFinding &b) {
                     return std::tie(a.file, a.line) < std::tie(b.file, b.line);
                   });
  return result;
}

} // namespace gitops::commands
