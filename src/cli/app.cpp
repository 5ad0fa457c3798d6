#include "gitops/cli/app.hpp"

#include "gitops/cli/provider_selection.hpp"
#include "gitops/cli/render.hpp"
#include "gitops/feature/duplicate.hpp"
#include "gitops/promotion/pr_state.hpp"
#include "gitops/providers/factory.hpp"
#include "gitops/providers/registry.hpp"
#include "gitops/providers/remote_url.hpp"
#include "gitops/util/duration.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <tuple>
#include <unistd.h>
#include <utility>

namespace gitops::cli {

namespace {

// Global flags as given, before conversion; std::nullopt = not given. Bound in the top-level app
// and in every subcommand, so the flags work before and after the subcommand name.
struct RawGlobals {
  std::optional<std::string> provider;
  std::optional<std::string> token;
  std::optional<std::string> github_app_id;
  std::optional<std::string> github_app_private_key_file;
  std::optional<std::string> github_app_installation_id;
  std::optional<std::string> sourcedir;
  std::optional<std::string> api_url;
  bool dry_run = false;
  std::string output = "text";
  std::string log_level = "info";
  std::optional<std::string> timeout;
};

// Storage the subcommands' options are bound to.
struct Bound {
  RawGlobals globals;
  commands::NewOptions new_options;
  std::string new_tag;
  std::string new_image;
  CLI::Option *new_tag_option = nullptr;
  CLI::Option *new_image_option = nullptr;
  commands::StatusOptions status_options;
  std::string status_branch;
  CLI::Option *status_branch_option = nullptr;
  commands::FeatureOptions feature_options;
  std::string max_age = "168h";
  commands::SetImageOptions set_image_options;
  std::string set_image_path;
  std::string set_image_tag;
  std::string set_image_image;
  CLI::Option *set_image_tag_option = nullptr;
  CLI::Option *set_image_image_option = nullptr;
};

std::string version_text() {
  return "gitops-promotion " + std::string(k_version);
}

// --token's help: the variables it falls back to, from the forge registry
// ("$GITOPS_PROMOTION_TOKEN, then $GH_TOKEN/$GITHUB_TOKEN or
// $SYSTEM_ACCESSTOKEN/$AZURE_DEVOPS_EXT_PAT").
// Built once: add_global_flags runs for the app and every subcommand.
const std::string &token_help() {
  static const std::string text = [] {
    std::string forges;
    for (const providers::Forge &forge : providers::forges()) {
      std::string names;
      for (std::string_view name : forge.token_variables) {
        names += (names.empty() ? "$" : "/$") + std::string(name);
      }
      forges += (forges.empty() ? "" : " or ") + names;
    }
    return "Access token for the git provider (default: $" +
           std::string(providers::k_tool_token_variable) + ", then " + forges + ")";
  }();
  return text;
}

// The --provider values, from the forge registry.
const std::vector<std::string> &forge_name_list() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> list;
    for (const providers::Forge &forge : providers::forges()) {
      list.emplace_back(forge.name);
    }
    return list;
  }();
  return names;
}

void add_global_flags(CLI::App &app, RawGlobals &raw) {
  const std::string group = "Global options";
  app.add_option_function<std::string>(
         "--provider", [&raw](const std::string &v) { raw.provider = v; },
         "Git provider: " + providers::forge_names(" or ") +
             " (default: detected from the origin remote URL)")
      ->check(CLI::IsMember(forge_name_list()))
      ->type_name("PROVIDER")
      ->group(group);
  // No default is ever shown for the token, and it is never echoed back.
  app.add_option_function<std::string>(
         "--token", [&raw](const std::string &v) { raw.token = v; }, token_help())
      ->type_name("TOKEN")
      ->group(group);
  app.add_option_function<std::string>(
         "--github-app-id", [&raw](const std::string &v) { raw.github_app_id = v; },
         "Authenticate as this GitHub App (its App ID) instead of with a token; needs its private "
         "key")
      ->type_name("ID")
      ->group(group);
  app.add_option_function<std::string>(
         "--github-app-private-key-file",
         [&raw](const std::string &v) { raw.github_app_private_key_file = v; },
         "The GitHub App's private key, a PEM file (default: the PEM text in "
         "$GITHUB_APP_PRIVATE_KEY)")
      ->type_name("FILE")
      ->group(group);
  app.add_option_function<std::string>(
         "--github-app-installation-id",
         [&raw](const std::string &v) { raw.github_app_installation_id = v; },
         "The App's installation to use (default: the one installed on the repository)")
      ->type_name("ID")
      ->group(group);
  app.add_option_function<std::string>(
         "--sourcedir", [&raw](const std::string &v) { raw.sourcedir = v; },
         "GitOps repository root holding gitops-promotion.yaml (default: working directory)")
      ->type_name("DIR")
      ->group(group);
  app.add_option_function<std::string>(
         "--api-url", [&raw](const std::string &v) { raw.api_url = v; },
         "API base URL (GitHub Enterprise Server, Azure DevOps Server, a local simulator)")
      ->type_name("URL")
      ->group(group);
  app.add_flag("--dry-run", raw.dry_run, "Show what would be done; change nothing anywhere")
      ->group(group);
  app.add_option("--output", raw.output, "Output format: text or json (default: text)")
      ->check(CLI::IsMember({"text", "json"}))
      ->type_name("FORMAT")
      ->group(group);
  app.add_option("--log-level", raw.log_level,
                 "Log verbosity on stderr: error, warn, info or debug (default: info)")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}))
      ->type_name("LEVEL")
      ->group(group);
  app.add_option_function<std::string>(
         "--timeout", [&raw](const std::string &v) { raw.timeout = v; },
         "Give up after this long, saying what was awaited: a Go duration such as 10m or 90s "
         "(default: 10m; for status, 10m beyond status_timeout_minutes)")
      ->type_name("DURATION")
      ->group(group);
  app.set_version_flag("--version", version_text(), "Print the version and exit");
}

CLI::App *add_command(CLI::App &app, Bound &b, const std::string &name,
                      const std::string &description) {
  CLI::App *sub = app.add_subcommand(name, description);
  add_global_flags(*sub, b.globals);
  return sub;
}

void setup(CLI::App &app, Bound &b) {
  app.require_subcommand(1);
  add_global_flags(app, b.globals);
  app.footer("Run `gitops-promotion <command> --help` for a command's flags.");

  CLI::App *cmd =
      add_command(app, b, "new", "Open a PR that sets an app's image in the first environment");
  cmd->add_option("--group", b.new_options.group, "Group (top-level directory)")->required();
  cmd->add_option("--app", b.new_options.app, "Application name in the markers")->required();
  b.new_tag_option = cmd->add_option("--tag", b.new_tag, "Image tag to promote");
  b.new_image_option =
      cmd->add_option("--image", b.new_image, "Whole image NAME:TAG[@DIGEST] (instead of --tag)");
  b.new_tag_option->excludes(b.new_image_option);

  add_command(app, b, "promote",
              "Open the next environment's PR for the merged promotion PR at HEAD");

  cmd = add_command(app, b, "status",
                    "Wait for the previous environment's health status of a promotion PR");
  b.status_branch_option = cmd->add_option("--branch", b.status_branch,
                                           "The PR's head branch (default: the current branch)");

  cmd = add_command(app, b, "feature",
                    "Open a review-feature PR: a copy of the app in the first environment "
                    "(rendered with kustomize or kubectl on PATH, or $GITOPS_PROMOTION_KUSTOMIZE) "
                    "running the tag, or with featureOverwrite its markers set to the tag");
  cmd->add_option("--group", b.feature_options.group, "Group")->required();
  cmd->add_option("--app", b.feature_options.app, "Application (under groups in the config)")
      ->required();
  cmd->add_option("--tag", b.feature_options.tag, "Image tag the copy runs")->required();
  cmd->add_option("--feature", b.feature_options.feature,
                  "Feature name (only letters, digits and '-' kept, lowercased; a DNS label)")
      ->required();

  cmd = add_command(app, b, "feature-stale",
                    "Remove review-feature copies whose last commit is older than --max-age, in "
                    "one PR (needs the full history)");
  cmd->add_option("--max-age", b.max_age, "Go duration, e.g. 72h or 1h30m (default: 168h)")
      ->type_name("DURATION");

  cmd = add_command(app, b, "set-image",
                    "Set an app's image in the manifests under a directory, in place (no git)");
  cmd->add_option("--path", b.set_image_path, "Directory to update")->required()->type_name("DIR");
  cmd->add_option("--group", b.set_image_options.group, "Group")->required();
  cmd->add_option("--app", b.set_image_options.app, "Application")->required();
  b.set_image_tag_option = cmd->add_option("--tag", b.set_image_tag, "Image tag");
  b.set_image_image_option = cmd->add_option("--image", b.set_image_image,
                                             "Whole image NAME:TAG[@DIGEST] (instead of --tag)");
  b.set_image_tag_option->excludes(b.set_image_image_option);

  add_command(app, b, "lint", "Check gitops-promotion.yaml and the $imagepolicy markers");
}

// --api-url must be an http(s) URL with a plausible host (and a numeric port), so that a mistyped
// value is a usage error before anything is pushed, not a failed API call after the push.
void check_api_url(const std::string &url) {
  const auto refuse = [&url] {
    throw CLI::ValidationError("--api-url",
                               util::quote_for_message(url) +
                                   " is not an http:// or https:// URL with a host, such as "
                                   "https://ghe.example.com/api/v3");
  };
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    refuse();
  }
  if (std::any_of(url.begin(), url.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; })) {
    refuse();
  }
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    refuse(); // credentials belong in --token, never in a URL
  }
  std::string_view host = authority;
  std::string_view port;
  const std::size_t bracket = authority.rfind(']');
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty() ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      refuse();
    }
  }
  if (!providers::is_valid_host(host)) {
    refuse();
  }
}

// The GitHub App flags: an App id of letters, digits, '.', '_' or '-' (App IDs are numbers, Client
// IDs such as Iv23li... are accepted too), a numeric installation id, and neither the key file nor
// the installation without the App id.
void check_github_app_flags(const RawGlobals &raw, GlobalOptions &g) {
  const auto plain = [](const std::string &text, bool digits_only) {
    return !text.empty() && text.size() <= 64 &&
           std::all_of(text.begin(), text.end(), [digits_only](char c) {
             const bool digit = c >= '0' && c <= '9';
             return digit || (!digits_only && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                               c == '.' || c == '_' || c == '-'));
           });
  };
  if (raw.github_app_id) {
    const std::string id(util::trim(*raw.github_app_id));
    if (!plain(id, false)) {
      throw CLI::ValidationError("--github-app-id",
                                 util::quote_for_message(*raw.github_app_id) +
                                     " is not a GitHub App ID (the number on the App's settings "
                                     "page, e.g. 123456)");
    }
    g.github_app_id = id;
  }
  if (raw.github_app_installation_id) {
    const std::string id(util::trim(*raw.github_app_installation_id));
    if (!plain(id, true)) {
      throw CLI::ValidationError("--github-app-installation-id",
                                 util::quote_for_message(*raw.github_app_installation_id) +
                                     " is not an installation id (a number, the last part of the "
                                     "installation's settings URL)");
    }
    g.github_app_installation_id = id;
  }
  if (raw.github_app_private_key_file) {
    if (raw.github_app_private_key_file->empty()) {
      throw CLI::ValidationError("--github-app-private-key-file", "must not be empty");
    }
    g.github_app_private_key_file = *raw.github_app_private_key_file;
  }
  if (!g.github_app_id && (g.github_app_private_key_file || g.github_app_installation_id)) {
    throw CLI::ValidationError(g.github_app_private_key_file ? "--github-app-private-key-file"
                                                             : "--github-app-installation-id",
                               "needs --github-app-id (the App ID of the GitHub App)");
  }
}

std::optional<std::string> value_if_given(const CLI::Option *option, const std::string &value) {
  if (option != nullptr && option->count() > 0) {
    return value;
  }
  return std::nullopt;
}

// --tag and --image of new and set-image: exactly one (CLI11 already refuses both), or a usage
// error. The commands check the pair again (make_image_update) for callers other than the CLI.
std::pair<std::optional<std::string>, std::optional<std::string>>
tag_or_image(const CLI::Option *tag_option, const std::string &tag, const CLI::Option *image_option,
             const std::string &image) {
  auto pair = std::make_pair(value_if_given(tag_option, tag), value_if_given(image_option, image));
  if (!pair.first && !pair.second) {
    throw CLI::RequiredError("--tag or --image");
  }
  return pair;
}

// Turns the bound values into an Invocation; throws CLI::ParseError subclasses for usage problems
// CLI11 cannot express (one of two flags required, durations).
Invocation to_invocation(const CLI::App &app, Bound &b, const RunContext &context) {
  Invocation inv;
  inv.command = app.get_subcommands().front()->get_name();
  GlobalOptions &g = inv.globals;
  if (b.globals.provider) {
    g.provider = providers::parse_provider_kind(*b.globals.provider);
  }
  g.token = b.globals.token;
  check_github_app_flags(b.globals, g);
  if (b.globals.sourcedir) {
    if (b.globals.sourcedir->empty()) {
      throw CLI::ValidationError("--sourcedir", "must not be empty");
    }
    g.sourcedir = *b.globals.sourcedir;
  } else {
    g.sourcedir = context.cwd;
  }
  if (b.globals.api_url) {
    check_api_url(*b.globals.api_url);
  }
  g.api_url = b.globals.api_url;
  g.dry_run = b.globals.dry_run;
  g.output = b.globals.output == "json" ? OutputFormat::json : OutputFormat::text;
  g.log_level = util::parse_log_level(b.globals.log_level).value_or(util::LogLevel::info);
  if (b.globals.timeout) {
    const auto limit = util::parse_go_duration(*b.globals.timeout);
    if (!limit || limit->count() <= 0) {
      throw CLI::ValidationError("--timeout", util::quote_for_message(*b.globals.timeout) +
                                                  " is not a positive duration such as 10m or "
                                                  "90s");
    }
    g.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*limit);
  }

  if (inv.command == "new") {
    commands::NewOptions o = b.new_options;
    std::tie(o.tag, o.image) =
        tag_or_image(b.new_tag_option, b.new_tag, b.new_image_option, b.new_image);
    o.dry_run = g.dry_run;
    inv.options = o;
  } else if (inv.command == "promote") {
    inv.options = commands::PromoteOptions{g.dry_run};
  } else if (inv.command == "status") {
    commands::StatusOptions o;
    o.branch = value_if_given(b.status_branch_option, b.status_branch);
    inv.options = o;
  } else if (inv.command == "feature") {
    commands::FeatureOptions o = b.feature_options;
    o.dry_run = g.dry_run;
    // Checked before anything is opened: a name that sanitises to nothing is a usage error.
    const std::string feature = promotion::sanitize_feature(o.feature);
    if (const auto problem = feature::feature_name_problem(feature)) {
      throw CLI::ValidationError(
          "--feature", util::quote_for_message(o.feature) +
                           (feature == o.feature
                                ? std::string()
                                : " (" + util::quote_for_message(feature) + " once sanitised)") +
                           " cannot name a review feature: " + *problem);
    }
    inv.options = o;
  } else if (inv.command == "feature-stale") {
    const auto age = util::parse_go_duration(b.max_age);
    if (!age || age->count() < 0) {
      throw CLI::ValidationError("--max-age",
                                 "\"" + b.max_age + "\" is not a duration such as 168h or 1h30m");
    }
    inv.options = commands::FeatureStaleOptions{*age, g.dry_run};
  } else if (inv.command == "set-image") {
    commands::SetImageOptions o = b.set_image_options;
    o.path = b.set_image_path;
    std::tie(o.tag, o.image) = tag_or_image(b.set_image_tag_option, b.set_image_tag,
                                            b.set_image_image_option, b.set_image_image);
    o.dry_run = g.dry_run;
    inv.options = o;
  } else {
    inv.options = commands::LintOptions{g.sourcedir};
  }
  return inv;
}

// A usage error is one line naming the problem and one pointing at the right --help: the whole
// help text would bury the line that matters.
// Known secrets are redacted: CLI11 quotes stray arguments, and `--token T T` makes T one.
void print_usage_error(const RunContext &context, std::string_view command,
                       std::string_view message, const std::vector<std::string> &secrets) {
  *context.err << "Error: " << util::redact(message, secrets) << "\nRun `gitops-promotion"
               << (command.empty() ? "" : " ") << command << " --help` for usage.\n";
}

// The command a usage error belongs to ("" before one was named).
std::string command_of(const CLI::App &app) {
  return app.get_subcommands().empty() ? std::string() : app.get_subcommands().front()->get_name();
}

// The long names ("--x") and short names ("-x") of the options of `scope`.
std::vector<std::string> option_names(const CLI::App &scope) {
  std::vector<std::string> names;
  for (const CLI::Option *option : scope.get_options()) {
    for (const std::string &name : option->get_lnames()) {
      names.push_back("--" + name);
    }
    for (const std::string &name : option->get_snames()) {
      names.push_back("-" + name);
    }
  }
  return names;
}

const CLI::Option *find_option(const CLI::App &scope, std::string_view dashed) {
  for (const CLI::Option *option : scope.get_options()) {
    for (const std::string &name : option->get_lnames()) {
      if (dashed == "--" + name) {
        return option;
      }
    }
    for (const std::string &name : option->get_snames()) {
      if (dashed == "-" + name) {
        return option;
      }
    }
  }
  return nullptr;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string> &candidates) {
  const std::vector<std::string_view> views(candidates.begin(), candidates.end());
  const auto suggestion = util::suggest(word, views);
  return suggestion ? " (did you mean " + *suggestion + "?)" : std::string();
}

// Words CLI11 would report late or vaguely, checked before it parses: an unknown command, an
// unknown flag of the command (before any "--group is required"), each with a "did you mean", and a
// stray argument after the command.
// Returns the usage error and the command it belongs to, or nullopt when CLI11 may go on.
std::optional<std::pair<std::string, std::string>>
unknown_word(const CLI::App &app, const std::vector<std::string> &args) {
  const CLI::App *scope = &app;
  std::string command;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string &word = args[i];
    if (word == "--") {
      break;
    }
    if (word.size() > 1 && word.front() == '-') {
      const std::string name = word.substr(0, word.find('='));
      const CLI::Option *option = find_option(*scope, name);
      if (option == nullptr) {
        std::string message = "unknown flag " + util::quote_for_message(name) +
                              did_you_mean(name, option_names(*scope));
        return std::make_pair(std::move(message), command);
      }
      if (name.size() == word.size() && option->get_items_expected_max() > 0) {
        ++i; // its value, whatever it looks like
      }
      continue;
    }
    if (scope != &app) {
      // No command takes positional arguments: this is a stray word (often an unquoted value).
      return std::make_pair("unexpected argument " + util::quote_for_message(word) +
                                " (no command takes one; quote a value that has spaces)",
                            command);
    }
    const std::vector<const CLI::App *> subs =
        app.get_subcommands([](const CLI::App *) { return true; });
    const auto found = std::find_if(subs.begin(), subs.end(),
                                    [&](const CLI::App *sub) { return sub->get_name() == word; });
    if (found == subs.end()) {
      std::vector<std::string> names;
      for (const CLI::App *sub : subs) {
        names.push_back(sub->get_name());
      }
      return std::make_pair("unknown command " + util::quote_for_message(word) +
                                did_you_mean(word, names),
                            std::string());
    }
    scope = *found;
    command = word;
  }
  return std::nullopt;
}

// The value of --token in raw arguments (`--token V` or `--token=V`), so that even a usage error
// published to CI cannot echo it.
std::optional<std::string> token_in(const std::vector<std::string> &args) {
  std::optional<std::string> token;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--token" && i + 1 < args.size()) {
      token = args[i + 1];
    } else if (args[i].starts_with("--token=")) {
      token = args[i].substr(8);
    }
  }
  return token;
}

// Commands whose result is a branch and pull request: they set CI outputs.
bool has_outputs(const std::string &command) {
  return command == "new" || command == "promote" || command == "status" || command == "feature";
}

// Writes all of `text` to descriptor `fd`, as far as it can (the deadline's last words).
void write_all(int fd, const std::string &text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

// The guarded stdout and stderr of one run (see run()).
struct Sinks {
  util::GuardedStream &out;
  util::GuardedStream &err;
};

// Publishes `report` to the CI system. A CI file that cannot be written (the step's outputs or
// summary would go missing silently) is reported as an error; returns false then.
bool publish(const RunContext &context, const Sinks &sinks, const CommandReport &report, bool json,
             const std::vector<std::string> &secrets) {
  util::GuardedStream &lines = json ? sinks.err : sinks.out;
  const std::vector<std::string> problems =
      publish_to_ci(report, has_outputs(report.command), context.env, secrets, lines);
  for (const std::string &problem : problems) {
    // Only GitHub's files can fail to be written, so the annotation is GitHub's.
    sinks.err << "Application failed with error: " << problem << '\n';
    lines.command("::error::" + escape_github_data(util::redact(problem, secrets)));
  }
  return problems.empty();
}

// A usage error as a failed CommandReport for CI (never JSON on stdout: there is no command yet).
void publish_usage_error(const RunContext &context, const Sinks &sinks, const std::string &command,
                         const RawGlobals &raw, const std::string &message,
                         const std::vector<std::string> &secrets) {
  CommandReport report;
  report.command = command.empty() ? std::string("gitops-promotion") : command;
  report.error = message;
  (void)publish(context, sinks, report, raw.output == "json", secrets);
}

// run() once its output is guarded: `context.out`/`err` are `sinks`.
int run_guarded(const std::vector<std::string> &args, const RunContext &context, const Sinks &sinks,
                const util::SecretList &known) {
  CLI::App app("Promote container images through GitOps environments with pull requests",
               "gitops-promotion");
  Bound bound;
  setup(app, bound);

  Invocation invocation;
  if (const auto problem = unknown_word(app, args)) {
    print_usage_error(context, problem->second, problem->first, known.snapshot());
    publish_usage_error(context, sinks, problem->second, bound.globals, problem->first,
                        known.snapshot());
    return k_exit_usage;
  }
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    app.parse(reversed);
    invocation = to_invocation(app, bound, context);
  } catch (const CLI::CallForHelp &) {
    *context.out << app.help();
    return k_exit_ok;
  } catch (const CLI::CallForAllHelp &) {
    *context.out << app.help("", CLI::AppFormatMode::All);
    return k_exit_ok;
  } catch (const CLI::CallForVersion &e) {
    *context.out << e.what() << '\n';
    return k_exit_ok;
  } catch (const CLI::ParseError &e) {
    const bool no_command =
        app.get_subcommands().empty() && dynamic_cast<const CLI::RequiredError *>(&e) != nullptr;
    const std::string message = no_command
                                    ? std::string("a command is required (new, promote, status, "
                                                  "feature, feature-stale, set-image or lint)")
                                    : std::string(e.what());
    print_usage_error(context, command_of(app), message, known.snapshot());
    publish_usage_error(context, sinks, command_of(app), bound.globals, message, known.snapshot());
    return k_exit_usage;
  }

  if (context.execute_override) {
    return context.execute_override(invocation);
  }
  const util::Logger log(*context.err, invocation.globals.log_level);
  const bool json = invocation.globals.output == OutputFormat::json;
  if (json) {
    // stdout is one JSON document: a neutralised character must stay valid JSON there.
    sinks.out.set_escaping(util::Escaping::json);
  }
  CommandReport report;
  std::optional<std::string> failure;
  try {
    const int code = execute(invocation, context, log, report);
    if (code != k_exit_ok) {
      // lint with errors: its findings are the report; CI gets the verdict.
      report.error = "lint found errors";
    }
    if (!publish(context, sinks, report, json, known.snapshot())) {
      return k_exit_failed;
    }
    return code;
  } catch (const UsageError &e) {
    print_usage_error(context, invocation.command, e.what(), known.snapshot());
    publish_usage_error(context, sinks, invocation.command, bound.globals, e.what(),
                        known.snapshot());
    return k_exit_usage;
  } catch (const Error &e) {
    failure = e.what();
  } catch (const std::exception &e) {
    // Not a gitops::Error: a bug or resource exhaustion; still one clear line and exit 1.
    failure = std::string("internal error: ") + e.what();
  }
  report_failure(context, invocation, *failure);
  CommandReport failed;
  failed.command = invocation.command;
  failed.dry_run = invocation.globals.dry_run;
  failed.error = failure;
  failed.warnings = report.warnings;
  (void)publish(context, sinks, failed, json, known.snapshot());
  return k_exit_failed;
}

} // namespace

int run(const std::vector<std::string> &args, const RunContext &context) {
  // Every known secret, then the two streams every byte goes through (see output_guard.hpp).
  util::SecretList secrets(secrets_of(token_in(args), context.env));
  util::GuardedStream out(*context.out, secrets);
  util::GuardedStream err(*context.err, secrets);
  RunContext guarded = context;
  guarded.out = &out;
  guarded.err = &err;
  guarded.learn_secret = [&secrets](const std::string &secret) { secrets.add(secret); };
  guarded.on_deadline = [&secrets, env = context.env](const Invocation &invocation,
                                                      std::chrono::milliseconds limit,
                                                      const std::string &activity) {
    // The main thread is still blocked and may be writing to `out`/`err`: this thread reports
    // through guards of its own, into memory, writes that to the descriptors and ends the process.
    CommandReport failed;
    failed.command = invocation.command;
    failed.dry_run = invocation.globals.dry_run;
    failed.error = "gave up after --timeout " + util::format_go_duration(limit) +
                   ": still waiting for " +
                   (activity.empty() ? std::string("the command to finish") : activity) +
                   " (pass a longer --timeout if that wait is expected)";
    std::ostringstream out_text;
    std::ostringstream err_text;
    {
      util::GuardedStream out_guard(out_text, secrets);
      util::GuardedStream err_guard(err_text, secrets);
      err_guard << "Application failed with error: " << *failed.error << '\n';
      const bool json = invocation.globals.output == OutputFormat::json;
      (void)publish_to_ci(failed, false, env, secrets.snapshot(), json ? err_guard : out_guard);
    }
    write_all(STDERR_FILENO, err_text.str());
    write_all(STDOUT_FILENO, out_text.str());
    std::_Exit(k_exit_failed);
  };
  const int code = run_guarded(args, guarded, Sinks{out, err}, secrets);
  out.finish();
  err.finish();
  return code;
}

int run(int argc, char **argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    args.emplace_back(argv[i]);
  }
  RunContext context;
  context.out = &std::cout;
  context.err = &std::cerr;
  context.env = util::system_env();
  std::error_code ec;
  context.cwd = std::filesystem::current_path(ec);
  if (ec) {
    context.cwd = ".";
  }
  return run(args, context);
}

} // namespace gitops::cli
