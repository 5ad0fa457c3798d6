#pragma once

#include "gitops/cli/app.hpp"

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace gitops::cli {

// Facts about the forge shown by `new --dry-run` (never the token).
struct ForgeInfo {
  std::optional<std::string> provider; // "github" | "azdo" when given or detectable
  std::optional<std::string> remote;   // remote URL without credentials
};

// `set-image` result: text `file:line: old -> new (setter)` per change, or one JSON object
// {command, dry_run, directory, matched, changes[{file,line,old,new,setter}], files}.
void render_set_image(std::ostream &out, OutputFormat format,
                      const commands::SetImageResult &result);

// `lint` result: text `file:line: severity: message` per finding (`file: …` when the line is 0) and
// a summary line, or one JSON object {command, ok, errors, warnings, findings[{file,line,severity,
// message}]}.
void render_lint(std::ostream &out, OutputFormat format, const commands::LintResult &result);

// `new` result: text diff, then branch, base, title, auto-merge and description; or one JSON object
// {command, dry_run, branch, title, body, auto_merge, base, base_commit, directory, provider,
// changes[…], diff}.
void render_new(std::ostream &out, OutputFormat format, const commands::NewResult &result,
                const ForgeInfo &forge);

// A failure: `Application failed with error: <message>` on stderr and, in JSON mode,
// {"command": …, "error": …} on stdout.
void report_failure(const RunContext &context, const Invocation &invocation,
                    std::string_view message);

} // namespace gitops::cli
