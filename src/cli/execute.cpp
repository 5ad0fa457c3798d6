#include "gitops/cli/app.hpp"
#include "gitops/cli/provider_selection.hpp"
#include "gitops/cli/render.hpp"
#include "gitops/git/repository.hpp"
#include "gitops/providers/factory.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

namespace gitops::cli {

namespace {

int execute_new(const Invocation &inv, const commands::NewOptions &options,
                const RunContext &context, const util::Logger &log) {
  if (!options.dry_run) {
    // Creating the branch and the PR needs the provider factory, which lands in a later version.
    commands::not_implemented("new without --dry-run (creating the branch and the pull request)");
  }
  git::Repository repo = git::Repository::open(inv.globals.sourcedir);
  commands::Services services{repo, commands::locate_root(repo, inv.globals.sourcedir), nullptr,
                              log};
  const commands::NewResult result = commands::run_new(options, services);

  // A dry run works offline and without a token; the provider is shown only when it is known.
  ForgeInfo forge;
  const std::optional<std::string> url = repo.remote_url("origin");
  if (url) {
    forge.remote = git::redact_url(*url);
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

} // namespace

int execute(const Invocation &inv, const RunContext &context, const util::Logger &log) {
  if (const auto *o = std::get_if<commands::SetImageOptions>(&inv.options)) {
    render_set_image(*context.out, inv.globals.output, commands::run_set_image(*o, log));
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
    return execute_new(inv, *o, context, log);
  }
  // promote, status, feature and feature-stale are parsed and validated already; their composition
  // (repository + provider from providers' factory) arrives with their implementations.
  commands::not_implemented(inv.command);
}

} // namespace gitops::cli
