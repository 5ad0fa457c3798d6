#include "gitops/cli/app.hpp"
#include "gitops/cli/ci.hpp"
#include "gitops/cli/provider_selection.hpp"
#include "gitops/cli/render.hpp"
#include "gitops/git/repository.hpp"
#include "gitops/http/curl_http_client.hpp"
#include "gitops/http/retrying_http_client.hpp"
#include "gitops/providers/factory.hpp"
#include "gitops/providers/github_app.hpp"
#include "gitops/providers/registry.hpp"
#include "gitops/providers/remote_url.hpp"
#include "gitops/util/deadline.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"
#include "gitops/util/url.hpp"

#include <cerrno>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <system_error>
#include <utility>

namespace gitops::cli {

namespace {

// The repository, HTTP client and provider of a command that talks to the forge, built once per
// run; the token stays in here (credentials, the provider and the client's redaction list).
struct Network {
  git::Repository repo;
  commands::RepositoryRoot root;
  std::unique_ptr<http::CurlHttpClient> transport;
  std::unique_ptr<http::RetryingHttpClient> http; // over `transport`, with the forge's rules
  std::unique_ptr<providers::GitProvider> provider;
  git::Credentials credentials;
  std::chrono::seconds status_timeout{0};       // from the configuration, for status's deadline
  std::shared_ptr<const config::Config> config; // HEAD's, read once here
  std::string head;
};

// Warnings about what the command found (e.g. a marker it handled unlike Flux): on stderr, and as
// CI warning annotations through the report.
void warn_about(const std::vector<std::string> &warnings, const util::Logger &log,
                CommandReport &report) {
  for (const std::string &warning : warnings) {
    log.warn(warning);
    report.warnings.push_back(warning);
  }
}

// What `lint` would warn about in the configuration (a mistyped key silently changes nothing),
// said by every command.
void warn_about_config(const std::vector<config::Diagnostic> &warnings, const util::Logger &log,
                       CommandReport &report) {
  std::vector<std::string> texts;
  for (const config::Diagnostic &warning : warnings) {
    texts.push_back(config::to_string(warning));
  }
  warn_about(texts, log, report);
}

// The private key of --github-app-id: the file of --github-app-private-key-file, else the PEM text
// in $GITHUB_APP_PRIVATE_KEY; the text and where it came from.
std::pair<std::string, std::string> github_app_key(const Invocation &inv,
                                                   const RunContext &context) {
  if (const auto &file = inv.globals.github_app_private_key_file) {
    const std::string origin = "--github-app-private-key-file " + file->string();
    std::ifstream in(*file, std::ios::binary);
    if (!in) {
      throw UsageError("cannot read " + origin + ": " + std::generic_category().message(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
      throw UsageError("cannot read " + origin);
    }
    return {text.str(), origin};
  }
  if (auto value = context.env("GITHUB_APP_PRIVATE_KEY"); value && !util::trim(*value).empty()) {
    return {*value, "GITHUB_APP_PRIVATE_KEY"};
  }
  throw UsageError("--github-app-id needs the App's private key: pass "
                   "--github-app-private-key-file FILE or set GITHUB_APP_PRIVATE_KEY to the PEM "
                   "text");
}

Network connect(const Invocation &inv, const RunContext &context, const util::Logger &log,
                CommandReport &report) {
  Network net{
      git::Repository::open(inv.globals.sourcedir), {}, nullptr, nullptr, nullptr, {}, {}, {}, {}};
  net.root = commands::locate_root(net.repo, inv.globals.sourcedir);
  net.head = net.repo.head_commit();
  net.config =
      std::make_shared<const config::Config>(commands::read_config(net.repo, net.root, net.head));
  const config::Config &cfg = *net.config;
  warn_about_config(cfg.warnings, log, report);
  net.status_timeout = cfg.status_timeout;
  const std::optional<std::string> url = net.repo.remote_url(cfg.remote);
  const providers::ProviderKind kind = choose_provider(inv.globals.provider, url, cfg.remote);
  const std::optional<Token> token = resolve_token(inv.globals.token, kind, context.env);
  const bool as_app = inv.globals.github_app_id.has_value();
  const providers::Forge &forge = providers::forge(kind);
  if (as_app && kind != providers::ProviderKind::github) {
    throw UsageError("--github-app-id authenticates with GitHub, but the provider is " +
                     std::string(forge.name) + ": drop the GitHub App flags and give a token");
  }
  if (as_app && token) {
    throw UsageError(
        "both a token (" + token->source +
        ") and GitHub App credentials (--github-app-id) are given: use one of them " + "(" +
        (token->source == "--token" ? std::string("drop --token") : "unset " + token->source) +
        " to authenticate as the App, or drop the --github-app-* flags to use the "
        "token)");
  }
  if (!token && !as_app) {
    std::vector<std::string_view> names = {providers::k_tool_token_variable};
    names.insert(names.end(), forge.token_variables.begin(), forge.token_variables.end());
    std::string list;
    for (std::size_t i = 0; i < names.size(); ++i) {
      list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + std::string(names[i]);
    }
    throw CommandError(inv.command + " needs an access token: pass --token or set " + list +
                       (forge.other_credentials.empty()
                            ? std::string()
                            : " (or " + std::string(forge.other_credentials) + ")"));
  }
  if (!url) {
    throw CommandError("the repository has no remote \"" + cfg.remote + "\" to push to");
  }
  http::ClientOptions options;
  http::RetryOptions retry;
  retry.rate_limit = forge.rate_limit;
  if (token) {
    options.secrets = {token->value};
    retry.secrets = {token->value};
  }
  if (log.enabled(util::LogLevel::debug)) {
    retry.log = [&log](std::string_view line) { log.debug(line); };
  }
  net.transport = std::make_unique<http::CurlHttpClient>(std::move(options));
  net.http = std::make_unique<http::RetryingHttpClient>(*net.transport, std::move(retry));
  providers::ProviderOptions provider_options;
  if (inv.globals.api_url) {
    provider_options.api_url = *inv.globals.api_url;
  }
  net.credentials.mode = git::Credentials::Mode::userpass;
  net.credentials.username = std::string(forge.git_user);
  std::shared_ptr<util::TokenSource> source;
  if (as_app) {
    auto [pem, origin] = github_app_key(inv, context);
    // Whatever the key, the JWTs and the tokens, no line printed from here on can show them.
    const auto learn = [&context, http = net.http.get(), transport = net.transport.get(),
                        user = std::string(forge.git_user)](const std::string &secret) {
      http->add_secret(secret);
      transport->add_secret(secret);
      if (context.learn_secret) {
        context.learn_secret(secret);
        context.learn_secret(util::base64_encode(user + ":" + secret));
      }
    };
    for (const std::string &line : providers::pem_secret_lines(pem)) {
      learn(line);
    }
    providers::GitHubAppCredentials app{*inv.globals.github_app_id, std::move(pem),
                                        std::move(origin), inv.globals.github_app_installation_id};
    const providers::GitHubRemote remote = providers::parse_github_remote(*url);
    auto app_source = std::make_shared<providers::GitHubAppTokenSource>(
        std::move(app), remote, providers::github_endpoints(remote, provider_options.api_url),
        *net.http, learn, provider_options.user_agent);
    // Minted now, so a key, App or installation problem stops the command before any push.
    (void)app_source->token();
    log.info("authenticated as GitHub App " + *inv.globals.github_app_id + " (installation " +
             app_source->installation_id() + ") on " + remote.owner + "/" + remote.repo);
    source = std::move(app_source);
  } else {
    log.debug("provider " + std::string(providers::to_string(kind)) + ", token from " +
              token->source + ", remote " + util::redact_url(*url));
    source = std::make_shared<util::FixedToken>(token->value);
  }
  net.provider = providers::make_provider(kind, *url, source, *net.http, provider_options);
  // The token of every push and fetch comes from the same source (Credentials::current).
  net.credentials.source = source;
  return net;
}

commands::Services services_for(Network &net, const RunContext &context, const util::Logger &log) {
  commands::Services services{net.repo, net.root, net.provider.get(), log};
  services.credentials = net.credentials;
  services.config = net.config;
  services.config_commit = net.head;
  services.env = context.env;
  return services;
}

// A network command's result: its message in text mode, the report object in JSON mode.
void render_report(const RunContext &context, OutputFormat format, const CommandReport &report) {
  if (format == OutputFormat::json) {
    render_report_json(*context.out, report);
  } else {
    *context.out << report.message << '\n';
  }
}

void fill_report(CommandReport &report, const commands::Outcome &outcome, const util::Logger &log) {
  warn_about(outcome.warnings, log, report);
  report.message = outcome.message;
  report.skipped = outcome.skipped;
  if (outcome.skipped) {
    report.reason = outcome.message;
  }
  report.branch = outcome.branch;
  report.pr_number = outcome.pr_number;
  report.pr_url = outcome.pr_url;
  report.commit = outcome.commit;
  report.changes = outcome.changes;
}

// `new` and `feature`: a plan applied on the forge, or in a dry run shown offline (no token).
int execute_plan(const Invocation &inv, bool dry_run, const RunContext &context,
                 const util::Logger &log, CommandReport &report,
                 const std::function<commands::NewResult(commands::Services &)> &run) {
  if (!dry_run) {
    Network net = connect(inv, context, log, report);
    commands::Services services = services_for(net, context, log);
    const commands::NewResult result = run(services);
    fill_report(report, *result.outcome, log);
    report.branch = report.branch.value_or(result.plan.branch);
    render_report(context, inv.globals.output, report);
    return k_exit_ok;
  }
  git::Repository repo = git::Repository::open(inv.globals.sourcedir);
  commands::Services services{repo, commands::locate_root(repo, inv.globals.sourcedir), nullptr,
                              log};
  services.env = context.env;
  const std::string head = repo.head_commit();
  warn_about_config(commands::head_config(services, head).warnings, log, report);
  const commands::NewResult result = run(services);
  report.dry_run = true;
  report.branch = result.plan.branch;
  report.changes = result.plan.changes;
  if (result.outcome) {
    fill_report(report, *result.outcome, log);
  } else {
    warn_about(result.plan.warnings, log, report);
  }

  // A dry run works offline and without a token; the provider is shown only when it is known.
  ForgeInfo forge;
  const std::optional<std::string> url = repo.remote_url("origin");
  if (url) {
    forge.remote = util::redact_url(*url);
  }
  if (inv.globals.provider) {
    forge.provider = std::string(providers::to_string(*inv.globals.provider));
  } else if (url) {
    if (auto kind = detect_provider(*url)) {
      forge.provider = std::string(providers::to_string(*kind));
    }
  }
  render_new(*context.out, inv.globals.output, result, forge);
  return k_exit_ok;
}

// `feature-stale`: the copies it removes are listed on stderr; the result line is upstream's.
int execute_feature_stale(const Invocation &inv, const commands::FeatureStaleOptions &options,
                          const RunContext &context, const util::Logger &log,
                          CommandReport &report) {
  std::optional<Network> net;
  std::optional<git::Repository> offline;
  std::optional<commands::Services> services;
  if (options.dry_run) {
    offline.emplace(git::Repository::open(inv.globals.sourcedir));
    services.emplace(commands::Services{
        *offline, commands::locate_root(*offline, inv.globals.sourcedir), nullptr, log});
    warn_about_config(commands::head_config(*services, offline->head_commit()).warnings, log,
                      report);
  } else {
    net.emplace(connect(inv, context, log, report));
    services.emplace(services_for(*net, context, log));
  }
  const commands::FeatureStaleResult result = commands::run_feature_stale(options, *services);
  for (const commands::StaleFeature &stale : result.stale) {
    log.info(std::string(options.dry_run ? "would remove " : "removing ") + stale.directory +
             " (feature " + stale.feature + " of " + stale.group + "/" + stale.app +
             ", last changed in " + stale.commit + ")");
  }
  if (options.dry_run && result.plan) {
    report.dry_run = true;
    report.branch = result.plan->branch;
    report.message = "dry run: would remove " +
                     util::plural(result.stale.size(), "stale review feature") + " on branch " +
                     result.plan->branch + " with pull request \"" + result.plan->title + "\"";
  } else {
    fill_report(report, result.outcome, log);
  }
  render_report(context, inv.globals.output, report);
  return k_exit_ok;
}

// Starts the command's deadline: --timeout, or k_default_timeout plus `extra`. Nothing when the
// caller did not say how to end the process (a test's own RunContext).
std::unique_ptr<util::Deadline> arm_deadline(const Invocation &inv, const RunContext &context,
                                             std::chrono::milliseconds extra = {}) {
  if (!context.on_deadline) {
    return nullptr;
  }
  const std::chrono::milliseconds limit = inv.globals.timeout.value_or(
      std::chrono::duration_cast<std::chrono::milliseconds>(k_default_timeout) + extra);
  return std::make_unique<util::Deadline>(
      limit, [on = context.on_deadline, &inv, limit](const std::string &activity) {
        on(inv, limit, activity);
      });
}

} // namespace

int execute(const Invocation &inv, const RunContext &context, const util::Logger &log,
            CommandReport &report) {
  report.command = inv.command;
  report.dry_run = inv.globals.dry_run;
  // status waits by design: its limit starts from its configured wait, once that is known.
  const std::unique_ptr<util::Deadline> deadline =
      std::holds_alternative<commands::StatusOptions>(inv.options) ? nullptr
                                                                   : arm_deadline(inv, context);
  if (const auto *o = std::get_if<commands::SetImageOptions>(&inv.options)) {
    const commands::SetImageResult result = commands::run_set_image(*o, log);
    warn_about(result.warnings, log, report);
    render_set_image(*context.out, inv.globals.output, result);
    return k_exit_ok;
  }
  if (const auto *o = std::get_if<commands::LintOptions>(&inv.options)) {
    const commands::LintResult result = commands::run_lint(*o);
    render_lint(*context.out, inv.globals.output, result);
    if (result.errors() == 0) {
      return k_exit_ok;
    }
    // The findings are the report (already on stdout, also in JSON mode); only the verdict goes to
    // stderr, so JSON output stays one object.
    *context.err << "Application failed with error: lint found "
                 << util::plural(result.errors(), "error") << '\n';
    return k_exit_failed;
  }
  if (const auto *o = std::get_if<commands::NewOptions>(&inv.options)) {
    return execute_plan(inv, o->dry_run, context, log, report,
                        [o](commands::Services &s) { return commands::run_new(*o, s); });
  }
  if (const auto *o = std::get_if<commands::FeatureOptions>(&inv.options)) {
    return execute_plan(inv, o->dry_run, context, log, report,
                        [o](commands::Services &s) { return commands::run_feature(*o, s); });
  }
  if (const auto *o = std::get_if<commands::FeatureStaleOptions>(&inv.options)) {
    return execute_feature_stale(inv, *o, context, log, report);
  }
  if (const auto *o = std::get_if<commands::PromoteOptions>(&inv.options)) {
    if (o->dry_run) {
      commands::not_implemented("promote --dry-run");
    }
    Network net = connect(inv, context, log, report);
    commands::Services services = services_for(net, context, log);
    fill_report(report, commands::run_promote(*o, services), log);
    render_report(context, inv.globals.output, report);
    return k_exit_ok;
  }
  if (const auto *o = std::get_if<commands::StatusOptions>(&inv.options)) {
    Network net = connect(inv, context, log, report);
    const std::unique_ptr<util::Deadline> status_deadline = arm_deadline(
        inv, context, std::chrono::duration_cast<std::chrono::milliseconds>(net.status_timeout));
    commands::Services services = services_for(net, context, log);
    commands::StatusOptions options = *o;
    if (!options.branch || options.branch->empty()) {
      options.branch = ci_pull_request_branch(context.env);
    }
    fill_report(report, commands::run_status(options, services), log);
    render_report(context, inv.globals.output, report);
    return k_exit_ok;
  }
  throw CommandError("no command named " + util::quote_for_message(inv.command));
}

} // namespace gitops::cli
