#include "gitops/cli/render.hpp"

#include "gitops/util/strings.hpp"

#include <nlohmann/json.hpp>

namespace gitops::cli {

namespace {

using Json = nlohmann::ordered_json;

Json changes_json(const std::vector<commands::ChangeRecord> &changes) {
  Json list = Json::array();
  for (const commands::ChangeRecord &c : changes) {
    list.push_back({{"file", c.file},
                    {"line", c.line},
                    {"old", c.old_value},
                    {"new", c.new_value},
                    {"setter", std::string(manifest::to_string(c.setter))}});
  }
  return list;
}

void print_json(std::ostream &out, const Json &value) {
  // Replace invalid UTF-8 instead of throwing: file bytes may be anything.
  out << value.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
}

void print_change(std::ostream &out, const commands::ChangeRecord &c) {
  out << c.file << ':' << c.line << ": " << c.old_value << " -> " << c.new_value << " ("
      << manifest::to_string(c.setter) << ")\n";
}

} // namespace

void render_set_image(std::ostream &out, OutputFormat format,
                      const commands::SetImageResult &result) {
  if (format == OutputFormat::json) {
    print_json(out, Json{{"command", "set-image"},
                         {"dry_run", result.dry_run},
                         {"directory", result.directory},
                         {"matched", result.matched},
                         {"changes", changes_json(result.changes)},
                         {"files", result.files}});
    return;
  }
  for (const commands::ChangeRecord &c : result.changes) {
    print_change(out, c);
  }
  if (result.changes.empty()) {
    out << "already up to date: "
        << util::plural(static_cast<std::size_t>(result.matched), "marker") << " under "
        << result.directory << " already set\n";
  } else if (result.dry_run) {
    out << "dry run: " << util::plural(result.files.size(), "file") << " not written\n";
  }
}

void render_lint(std::ostream &out, OutputFormat format, const commands::LintResult &result) {
  auto severity = [](commands::Severity s) {
    return s == commands::Severity::error ? "error" : "warning";
  };
  if (format == OutputFormat::json) {
    Json findings = Json::array();
    for (const commands::LintFinding &f : result.findings) {
      findings.push_back({{"file", f.file},
                          {"line", f.line},
                          {"severity", severity(f.severity)},
                          {"message", f.message}});
    }
    print_json(out, Json{{"command", "lint"},
                         {"ok", result.errors() == 0},
                         {"errors", result.errors()},
                         {"warnings", result.warnings()},
                         {"findings", findings}});
    return;
  }
  for (const commands::LintFinding &f : result.findings) {
    out << f.file;
    if (f.line > 0) {
      out << ':' << f.line;
    }
    out << ": " << severity(f.severity) << ": " << f.message << '\n';
  }
  if (result.findings.empty()) {
    out << "lint: no problems found\n";
  } else {
    out << "lint: " << util::plural(result.errors(), "error") << ", "
        << util::plural(result.warnings(), "warning") << '\n';
  }
}

void render_new(std::ostream &out, OutputFormat format, const commands::NewResult &result,
                const ForgeInfo &forge) {
  const commands::NewPlan &p = result.plan;
  if (format == OutputFormat::json) {
    Json j{{"command", result.command},
           {"dry_run", result.dry_run},
           {"branch", p.branch},
           {"title", p.title},
           {"body", p.description},
           {"auto_merge", p.auto_merge},
           {"base", p.base_branch},
           {"base_commit", p.base_commit},
           {"environment", p.environment.name},
           {"directory", p.directory},
           {"provider", forge.provider ? Json(*forge.provider) : Json(nullptr)},
           {"changes", changes_json(p.changes)},
           {"diff", p.diff}};
    // The keys every command's object has (see render_report_json).
    const commands::Outcome *o = result.outcome ? &*result.outcome : nullptr;
    j["pull_request"] = o && o->pr_number ? Json(*o->pr_number) : Json(nullptr);
    j["pull_request_url"] = o && o->pr_url ? Json(*o->pr_url) : Json(nullptr);
    j["commit"] = o && o->commit ? Json(*o->commit) : Json(nullptr);
    j["skipped"] = o != nullptr && o->skipped;
    j["reason"] = o && o->skipped ? Json(o->message) : Json(nullptr);
    j["message"] = o ? o->message : std::string();
    j["error"] = nullptr;
    print_json(out, j);
    return;
  }
  if (p.diff.empty()) {
    out << "no changes: every marker for " << p.update.group << ':' << p.update.app << " under "
        << p.directory << " is already set\n";
  } else {
    out << p.diff;
    if (!p.diff.empty() && p.diff.back() != '\n') {
      out << '\n';
    }
  }
  if (result.dry_run && result.outcome && result.outcome->skipped) {
    // What the real run would do: nothing, so no branch or pull request is described.
    out << "dry run: " << result.outcome->message << '\n';
    return;
  }
  if (result.dry_run) {
    out << "\ndry run: nothing was changed; this is what would be done\n";
  }
  out << "branch:       " << p.branch << " (one commit on " << p.base_commit << ")\n";
  out << "pull request: " << p.branch << " -> " << p.base_branch;
  if (forge.provider) {
    out << " on " << *forge.provider;
  }
  out << '\n';
  out << "title:        " << p.title << '\n';
  out << "auto-merge:   "
      << (p.auto_merge ? "yes (environment " + p.environment.name + " is automated)"
                       : "no (environment " + p.environment.name + " is manual)")
      << '\n';
  out << "description:\n" << p.description << '\n';
  if (result.outcome && !result.outcome->message.empty()) {
    out << result.outcome->message << '\n';
  }
}

void report_failure(const RunContext &context, const Invocation &invocation,
                    std::string_view message) {
  *context.err << "Application failed with error: " << message << '\n';
  if (invocation.globals.output == OutputFormat::json) {
    CommandReport report;
    report.command = invocation.command;
    report.dry_run = invocation.globals.dry_run;
    report.error = std::string(message);
    render_report_json(*context.out, report);
  }
}

} // namespace gitops::cli
