#include "gitops/cli/ci.hpp"

#include "gitops/providers/github_app.hpp"
#include "gitops/providers/registry.hpp"
#include "gitops/util/output_guard.hpp"
#include "gitops/util/strings.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <random>
#include <utility>

namespace gitops::cli {

namespace {

using Json = nlohmann::ordered_json;

template <typename T> Json or_null(const std::optional<T> &value) {
  return value ? Json(*value) : Json(nullptr);
}

// Appends `text` to the file at `path`; the reason it could not, or nullopt.
std::optional<std::string> append_to(const std::string &path, const std::string &text) {
  errno = 0;
  std::ofstream file(path, std::ios::binary | std::ios::app);
  if (file) {
    file << text;
    file.flush();
  }
  if (file) {
    return std::nullopt;
  }
  return errno != 0 ? std::string(std::strerror(errno)) : std::string("write failed");
}

std::optional<std::string> non_empty(const util::EnvLookup &env, std::string_view name) {
  if (!env) {
    return std::nullopt;
  }
  auto value = env(name);
  if (!value || value->empty()) {
    return std::nullopt;
  }
  return value;
}

// A table cell: no line breaks, no column separators.
std::string cell(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (c == '|') {
      out += "\\|";
    } else if (c == '`') {
      out += '\'';
    } else {
      out += c;
    }
  }
  return out;
}

std::string pr_number_text(const CommandReport &report) {
  return report.pr_number ? std::to_string(*report.pr_number) : std::string();
}

// `text` with each character that has an entry in `table` replaced by its escape, in one pass (so
// an escape is never escaped again).
std::string escape_each(std::string_view text,
                        std::initializer_list<std::pair<char, std::string_view>> table) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto *hit = std::find_if(table.begin(), table.end(),
                                   [c](const auto &entry) { return entry.first == c; });
    if (hit != table.end()) {
      out += hit->second;
    } else {
      out += c;
    }
  }
  return out;
}

} // namespace

CiSystem detect_ci(const util::EnvLookup &env) {
  if (auto v = non_empty(env, "GITHUB_ACTIONS"); v && util::to_lower(*v) == "true") {
    return CiSystem::github_actions;
  }
  if (auto v = non_empty(env, "TF_BUILD"); v && util::to_lower(*v) == "true") {
    return CiSystem::azure_pipelines;
  }
  return CiSystem::none;
}

void render_report_json(std::ostream &out, const CommandReport &report) {
  Json changes = Json::array();
  for (const commands::ChangeRecord &c : report.changes) {
    changes.push_back({{"file", c.file},
                       {"line", c.line},
                       {"old", c.old_value},
                       {"new", c.new_value},
                       {"setter", std::string(manifest::to_string(c.setter))}});
  }
  const Json j{{"command", report.command},
               {"dry_run", report.dry_run},
               {"branch", or_null(report.branch)},
               {"pull_request", or_null(report.pr_number)},
               {"pull_request_url", or_null(report.pr_url)},
               {"commit", or_null(report.commit)},
               {"changes", changes},
               {"skipped", report.skipped},
               {"reason", or_null(report.reason)},
               {"message", report.message},
               {"error", or_null(report.error)}};
  out << j.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
}

std::string escape_github_data(std::string_view text) {
  return escape_each(text, {{'%', "%25"}, {'\r', "%0D"}, {'\n', "%0A"}});
}

std::string escape_azure_data(std::string_view text) {
  return escape_each(text,
                     {{'%', "%AZP25"}, {';', "%3B"}, {'\r', "%0D"}, {'\n', "%0A"}, {']', "%5D"}});
}

std::vector<std::string> secrets_of(const std::optional<std::string> &token_flag,
                                    const util::EnvLookup &env) {
  std::vector<std::string> secrets;
  // A token read from a file often ends in a newline; the tool uses it trimmed, so both spellings
  // are secrets.
  const auto add = [&secrets](const std::string &value) {
    if (!value.empty()) {
      secrets.push_back(value);
    }
    const std::string trimmed(util::trim(value));
    if (!trimmed.empty() && trimmed != value) {
      secrets.push_back(trimmed);
    }
  };
  if (token_flag) {
    add(*token_flag);
  }
  // Every forge's token variables (any of them may be set whatever the provider), and the
  // Action's token input.
  std::vector<std::string_view> names = providers::all_token_variables();
  names.emplace_back("INPUT_TOKEN");
  for (std::string_view name : names) {
    if (auto value = non_empty(env, name)) {
      add(*value);
    }
  }
  // A server that echoes the request's Authorization header shows the token base64-encoded with
  // the user the tool sends (Azure DevOps API: none; git pushes: each forge's git user).
  std::vector<std::string_view> users = {""};
  for (const providers::Forge &forge : providers::forges()) {
    if (std::find(users.begin(), users.end(), forge.git_user) == users.end()) {
      users.push_back(forge.git_user);
    }
  }
  const std::size_t plain = secrets.size();
  for (std::size_t i = 0; i < plain; ++i) {
    const std::string token(util::trim(secrets[i]));
    for (std::string_view user : users) {
      secrets.push_back(util::base64_encode(std::string(user) + ":" + token));
    }
  }
  // A GitHub App's private key: the whole text, and each line of its body, so that a message
  // quoting part of it still hides it.
  for (std::string_view name : {"GITHUB_APP_PRIVATE_KEY", "INPUT_APP-PRIVATE-KEY"}) {
    if (auto value = non_empty(env, name)) {
      add(*value);
      for (std::string &line : providers::pem_secret_lines(*value)) {
        secrets.push_back(std::move(line));
      }
    }
  }
  return secrets;
}

std::string github_output_entry(std::string_view name, std::string_view value) {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  std::string delimiter;
  do {
    delimiter = "ghadelimiter_";
    constexpr std::string_view k_hex = "0123456789abcdef";
    for (int i = 0; i < 32; ++i) {
      delimiter += k_hex[generator() % k_hex.size()];
    }
  } while (value.find(delimiter) != std::string_view::npos ||
           name.find(delimiter) != std::string_view::npos);
  std::string entry(name);
  entry += "<<" + delimiter + "\n";
  entry += value;
  entry += "\n" + delimiter + "\n";
  return entry;
}

std::string step_summary(const CommandReport &report) {
  std::string md = "### gitops-promotion " + cell(report.command);
  if (report.error) {
    md += " failed\n\n```\n" + util::replace_all(*report.error, "```", "'''") + "\n```\n\n";
    return md;
  }
  if (report.dry_run) {
    md += " (dry run)";
  }
  md += "\n\n";
  if (report.skipped) {
    md += "Skipped: " + cell(report.reason.value_or(report.message)) + "\n\n";
  } else if (!report.message.empty()) {
    md += cell(report.message) + "\n\n";
  }
  if (!report.branch && !report.pr_number && !report.commit) {
    return md;
  }
  md += "| | |\n|---|---|\n";
  if (report.branch) {
    md += "| Branch | `" + cell(*report.branch) + "` |\n";
  }
  if (report.pr_number) {
    md += "| Pull request | ";
    md += report.pr_url ? "[#" + pr_number_text(report) + "](" + cell(*report.pr_url) + ")"
                        : "#" + pr_number_text(report);
    md += " |\n";
  }
  if (report.commit) {
    md += "| Commit | `" + cell(*report.commit) + "` |\n";
  }
  if (!report.changes.empty()) {
    md += "| Changes | " + util::plural(report.changes.size(), "value") + " |\n";
  }
  return md + "\n";
}

std::vector<std::string> publish_to_ci(const CommandReport &report, bool with_outputs,
                                       const util::EnvLookup &env,
                                       const std::vector<std::string> &secrets,
                                       util::GuardedStream &lines) {
  std::vector<std::string> problems;
  const CiSystem ci = detect_ci(env);
  if (ci == CiSystem::none) {
    return problems;
  }
  const std::string branch = report.branch.value_or("");
  const std::string pr_url = report.pr_url.value_or("");
  const std::string commit = report.commit.value_or("");
  if (ci == CiSystem::github_actions) {
    for (const std::string &warning : report.warnings) {
      lines.command("::warning::" + escape_github_data(util::redact(warning, secrets)));
    }
    if (report.error) {
      lines.command("::error::" + escape_github_data(util::redact(*report.error, secrets)));
    }
    if (with_outputs && !report.error) {
      if (auto path = non_empty(env, "GITHUB_OUTPUT")) {
        const std::string text = github_output_entry("pr-number", pr_number_text(report)) +
                                 github_output_entry("pr-url", util::redact(pr_url, secrets)) +
                                 github_output_entry("branch", util::redact(branch, secrets)) +
                                 github_output_entry("commit", util::redact(commit, secrets));
        if (auto why = append_to(*path, text)) {
          problems.push_back("cannot append the outputs to $GITHUB_OUTPUT (" + *path +
                             "): " + *why);
        }
      }
    }
    if (auto path = non_empty(env, "GITHUB_STEP_SUMMARY")) {
      if (auto why = append_to(*path, util::redact(step_summary(report), secrets))) {
        problems.push_back("cannot append the summary to $GITHUB_STEP_SUMMARY (" + *path +
                           "): " + *why);
      }
    }
    return problems;
  }
  for (const std::string &warning : report.warnings) {
    lines.command("##vso[task.logissue type=warning]" +
                  escape_azure_data(util::redact(warning, secrets)));
  }
  if (report.error) {
    lines.command("##vso[task.logissue type=error]" +
                  escape_azure_data(util::redact(*report.error, secrets)));
  }
  if (with_outputs && !report.error) {
    const std::array<std::pair<std::string_view, std::string>, 4> variables = {
        {{"prNumber", pr_number_text(report)},
         {"prUrl", pr_url},
         {"branch", branch},
         {"commit", commit}}};
    for (const auto &[name, value] : variables) {
      lines.command("##vso[task.setvariable variable=" + std::string(name) + ";isOutput=true]" +
                    escape_azure_data(util::redact(value, secrets)));
    }
  }
  return problems;
}

std::optional<std::string> ci_pull_request_branch(const util::EnvLookup &env) {
  if (auto ref = non_empty(env, "GITHUB_HEAD_REF")) {
    return ref;
  }
  if (auto ref = non_empty(env, "SYSTEM_PULLREQUEST_SOURCEBRANCH")) {
    constexpr std::string_view k_heads = "refs/heads/";
    return ref->starts_with(k_heads) ? ref->substr(k_heads.size()) : *ref;
  }
  // GitLab CI's merge request pipelines.
  if (auto ref = non_empty(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")) {
    return ref;
  }
  return std::nullopt;
}

} // namespace gitops::cli
