#pragma once

#include "gitops/util/identity.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gitops::config {

// One promotion stage, in promotion order. `automated` = PRs into it auto-merge (upstream's
// `auto`).
struct Environment {
  std::string name;
  bool automated = false;
};

enum class PrFlow { per_app, per_env };
enum class MergeMethod { merge, squash, rebase };

// groups.<g>.applications.<a> (used by `feature`).
struct Application {
  bool feature_overwrite = false;
  std::map<std::string, std::string> feature_label_selector;
};

struct Group {
  std::map<std::string, Application> applications;
};

// A problem found while loading that does not stop loading (e.g. an unknown key); `lint` prints
// them.
struct Diagnostic {
  std::string file;
  int line = 0; // 1-based; 0 when unknown
  std::string message;
};

// The parsed and validated gitops-promotion.yaml, with every default filled in.
struct Config {
  std::vector<Environment> environments; // non-empty, unique names
  PrFlow prflow = PrFlow::per_app;
  std::chrono::seconds status_timeout{std::chrono::minutes(5)};
  std::map<std::string, Group> groups;
  std::string base_branch = "main";
  std::string remote = "origin";
  std::string author_name = "gitops-promotion";
  std::string author_email = "gitops-promotion@users.noreply.github.com";
  // author_name and author_email as the identity of promotion commits.
  [[nodiscard]] util::Identity author() const { return {author_name, author_email}; }
  std::chrono::seconds poll_interval{5};
  // Patterns for health-status contexts; `{group}` and `{env}` are substituted. Empty = upstream's
  // rule: any context whose second '/'-separated segment is `<group>-<env>`.
  std::vector<std::string> status_contexts;
  MergeMethod merge_method = MergeMethod::merge;
  std::vector<Diagnostic> warnings; // non-fatal findings (unknown keys with suggestions)
  std::string file;                 // where the config was read from (used in messages)

  // The environment with that name, or nullptr.
  [[nodiscard]] const Environment *find_environment(std::string_view name) const;
  // The environment after / before `name`; std::nullopt for the last / first. Throws ConfigError
  // when `name` is not an environment (unlike upstream, an unknown name never "has a next
  // environment").
  [[nodiscard]] std::optional<Environment> next_environment(std::string_view name) const;
  [[nodiscard]] std::optional<Environment> previous_environment(std::string_view name) const;
  // groups.<group>.applications.<app>; throws ConfigError with upstream's wording
  // (`configuration does not contain group <g>`, `... for group <g> does not contain application
  // <a>`).
  [[nodiscard]] const Application &application(std::string_view group, std::string_view app) const;
};

// The config file name inside a GitOps repository's root.
inline constexpr std::string_view k_file_name = "gitops-promotion.yaml";

// Parses config text; `file` is only used in messages. Throws ConfigError naming file, key and
// line, and for text over 1 MiB.
[[nodiscard]] Config parse_config(std::string_view text, const std::string &file);

// Reads and parses `<root>/gitops-promotion.yaml`, which must be a regular file (a symbolic link is
// not followed; a FIFO or device is not opened for reading) of at most 1 MiB. Throws ConfigError
// naming the file (also when it is missing).
[[nodiscard]] Config load_config(const std::filesystem::path &root);

// Parses a bare integer meaning minutes (`5`), or numbers with the units h, m and s in any
// combination (`90s`, `10m`, `1h30m`, `1.5h`); the result must be whole seconds. std::nullopt when
// invalid (negative, no unit after a fraction, other units such as `ms` or `d`, absurdly large).
[[nodiscard]] std::optional<std::chrono::seconds> parse_duration(std::string_view text);

[[nodiscard]] std::string_view to_string(PrFlow flow);
[[nodiscard]] std::string_view to_string(MergeMethod method);

// `file:line: message` (`file: message` when the line is unknown), the way `lint` prints a warning.
[[nodiscard]] std::string to_string(const Diagnostic &diagnostic);

// Why `name` cannot be a group, app or environment name (a directory and a branch-name component:
// empty, `.`/`..`, leading `-`/`.`, `/`, `\`, whitespace, control characters, `~^:?*[`, `"<>|`,
// `@{`, `..`, trailing `.`/`.lock`, invalid UTF-8, over 255 bytes); std::nullopt when it is fine.
[[nodiscard]] std::optional<std::string> name_problem(std::string_view name);

// Whether the commit-status `context` is the health status of `group` in `env`. With no patterns:
// upstream's rule, the context's second '/'-separated segment is `<group>-<env>`. Otherwise any
// pattern matches the whole context after `{group}`/`{env}` are substituted; `*` matches any run of
// characters (including '/').
[[nodiscard]] bool status_context_matches(const std::vector<std::string> &patterns,
                                          std::string_view group, std::string_view env,
                                          std::string_view context);

} // namespace gitops::config
