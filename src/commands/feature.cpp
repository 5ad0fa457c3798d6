#include "gitops/commands/feature.hpp"

#include "gitops/feature/duplicate.hpp"
#include "gitops/feature/kustomize.hpp"
#include "gitops/feature/resources.hpp"
#include "gitops/manifest/image_ref.hpp"
#include "gitops/util/error.hpp"
#include "gitops/util/strings.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace gitops::commands {

namespace {

// A private directory removed with everything in it when the scope ends.
class ScratchDir {
public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "gitops-promotion-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw CommandError("cannot create a temporary directory under " +
                         fs::temp_directory_path().string());
    }
    m_path = pattern;
  }
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  [[nodiscard]] const fs::path &path() const { return m_path; }

private:
  fs::path m_path;
};

// The kustomization file kustomize reads in `dir` (its three accepted names), or std::nullopt.
std::optional<std::string> kustomization_in(const git::Repository &repo, const std::string &commit,
                                            const std::string &dir) {
  for (const char *name : {"kustomization.yaml", "kustomization.yml", "Kustomization"}) {
    const std::string path = dir + "/" + name;
    if (repo.read_file(commit, path)) {
      return path;
    }
  }
  return std::nullopt;
}

std::string sanitised_feature(const FeatureOptions &options) {
  const std::string feature = promotion::sanitize_feature(options.feature);
  if (const auto problem = feature::feature_name_problem(feature)) {
    throw UsageError("--feature " + util::quote_for_message(options.feature) +
                     (feature == options.feature
                          ? ""
                          : " (" + util::quote_for_message(feature) + " once sanitised)") +
                     " cannot name a review feature: " + *problem);
  }
  return feature;
}

// Fills the state, branch, title and description of a feature plan.
void describe_feature(NewPlan &plan, const FeatureOptions &options, const std::string &feature,
                      const config::Environment &env, const config::Config &cfg,
                      config::PrFlow flow) {
  plan.state = {};
  plan.state.group = options.group;
  plan.state.app = options.app;
  plan.state.tag = options.tag;
  plan.state.env = env.name;
  plan.state.sha = ""; // upstream records no base commit for features
  plan.state.feature = feature;
  plan.state.type = promotion::PrType::feature;
  plan.branch = plan.state.branch_name(flow);
  plan.title = plan.state.title();
  plan.description = plan.state.description();
  plan.base_branch = cfg.base_branch;
  plan.auto_merge = env.automated;
  plan.environment = env;
}

void add_edit(NewPlan &plan, const std::string &path, const std::optional<std::string> &old,
              std::string content) {
  if (old && *old == content) {
    return;
  }
  plan.diff += git::unified_diff(path, old.value_or(""), content);
  plan.edits.push_back({path, std::move(content), {}});
}

void duplicate(NewPlan &plan, const git::Repository &repo, const RepositoryRoot &root,
               const std::string &commit, const config::Application &app,
               const FeatureOptions &options, const std::string &feature,
               const util::EnvLookup &env, const util::Logger &log, const config::Config &cfg) {
  const std::string env_dir = plan.directory;
  const std::optional<std::string> env_kustomization = kustomization_in(repo, commit, env_dir);
  if (!env_kustomization) {
    throw CommandError(env_dir + " has no kustomization.yaml in commit " + commit +
                       ": feature copies an app out of what kustomize renders there");
  }
  if (app.feature_label_selector.empty()) {
    throw ConfigError(cfg.file + ": groups." + options.group + ".applications." + options.app +
                      ".featureLabelSelector is empty: set the labels that select the app's " +
                      "resources (for example app: " + options.app +
                      "), or set featureOverwrite: true");
  }

  const feature::Kustomize kustomize = feature::find_kustomize(env);
  log.info("rendering " + env_dir + " with " + kustomize.description);
  std::string rendered;
  {
    // kustomize reads files, so the commit's tree (not the work tree) is written out for it.
    const ScratchDir scratch;
    repo.export_tree(commit, root.prefix, scratch.path());
    rendered = feature::build(kustomize, scratch.path() / env_dir, env_dir);
  }
  const feature::Copy copy =
      feature::duplicate_application(rendered, app.feature_label_selector, feature, options.tag,
                                     env_dir + " (as kustomize renders it)");

  const std::string entry = options.app + "-" + feature;
  const std::string copy_dir = env_dir + "/" + entry;
  std::map<std::string, std::string> before;
  for (git::TreeFile &file : repo.read_files(commit, copy_dir, {}, {})) {
    before.emplace(file.path, std::move(file.content));
  }
  std::set<std::string> written;
  for (const feature::CopyFile &file : copy.files) {
    const std::string path = copy_dir + "/" + file.name;
    written.insert(path);
    const auto old = before.find(path);
    add_edit(plan, path,
             old == before.end() ? std::nullopt : std::optional<std::string>(old->second),
             file.content);
  }
  for (const auto &[path, content] : before) {
    if (!written.contains(path)) {
      plan.diff += git::unified_diff(path, content, "");
      plan.removals.push_back(path);
    }
  }
  const std::string text = *repo.read_file(commit, *env_kustomization);
  if (const auto edited = feature::add_resource(text, entry, *env_kustomization)) {
    add_edit(plan, *env_kustomization, text, *edited);
  }
  std::sort(plan.edits.begin(), plan.edits.end(),
            [](const FileEdit &a, const FileEdit &b) { return a.path < b.path; });
  plan.directory = copy_dir;
}

} // namespace

NewPlan plan_feature(const git::Repository &repo, const RepositoryRoot &root,
                     const std::string &commit, const FeatureOptions &options,
                     const util::EnvLookup &env, const util::Logger &log) {
  // Flags first: a typo never costs a render.
  promotion::validate_name("group", options.group);
  promotion::validate_name("app", options.app);
  if (!manifest::is_valid_tag(options.tag)) {
    throw UsageError("--tag " + util::quote_for_message(options.tag) +
                     " is not a valid image tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})");
  }
  const std::string feature = sanitised_feature(options);
  const config::Config cfg = read_config(repo, root, commit);
  const config::Application &app = cfg.application(options.group, options.app);
  const config::Environment &first = cfg.environments.front();

  if (app.feature_overwrite) {
    const manifest::ImageUpdate update{options.group, options.app, options.tag, std::nullopt,
                                       std::nullopt};
    NewPlan plan = plan_promotion(repo, root, cfg, commit, update, first);
    describe_feature(plan, options, feature, first, cfg, cfg.prflow);
    return plan;
  }

  NewPlan plan;
  plan.base_commit = commit;
  plan.update = {options.group, options.app, options.tag, std::nullopt, std::nullopt};
  plan.directory = root.prefix + options.group + "/" + first.name;
  if (!repo.has_directory(commit, plan.directory)) {
    throw CommandError("directory " + plan.directory + " does not exist in commit " + commit +
                       " (group " + options.group + ", environment " + first.name + ")");
  }
  // Upstream names a copy's branch without the environment, whatever the flow.
  describe_feature(plan, options, feature, first, cfg, config::PrFlow::per_app);
  duplicate(plan, repo, root, commit, app, options, feature, env, log, cfg);
  return plan;
}

NewResult run_feature(const FeatureOptions &options, Services &services) {
  NewResult result;
  result.command = "feature";
  result.dry_run = options.dry_run;
  const std::string head = services.repository.head_commit();
  result.plan =
      plan_feature(services.repository, services.root, head, options, services.env, services.log);
  if (options.dry_run) {
    if (result.plan.edits.empty() && result.plan.removals.empty()) {
      result.outcome = skipped_plan(result.plan);
    }
    return result;
  }
  result.outcome = apply_plan(result.plan, head_config(services, head), services);
  return result;
}

namespace {

// The feature a directory holds when this tool made it for `app`: its kustomization's feature
// label, and the directory is exactly `<app>-<feature>`.
std::optional<std::string> feature_of(const git::TreeFile &kustomization, const std::string &app) {
  YAML::Node root;
  try {
    root = YAML::Load(kustomization.content);
  } catch (const YAML::Exception &) {
    return std::nullopt;
  }
  if (!root.IsMap() || !root["commonLabels"] || !root["commonLabels"].IsMap()) {
    return std::nullopt;
  }
  const YAML::Node label = root["commonLabels"][std::string(feature::k_feature_label)];
  if (!label || !label.IsScalar()) {
    return std::nullopt;
  }
  const std::string feature = label.Scalar();
  const fs::path path(kustomization.path);
  if (path.parent_path().filename().string() != app + "-" + feature) {
    return std::nullopt;
  }
  return feature;
}

} // namespace

FeatureStaleResult run_feature_stale(const FeatureStaleOptions &options, Services &services) {
  FeatureStaleResult result;
  git::Repository &repo = services.repository;
  const std::string head = repo.head_commit();
  const config::Config &cfg = head_config(services, head);
  const config::Environment &first = cfg.environments.front();

  std::vector<StaleFeature> copies;
  for (const auto &[group, g] : cfg.groups) {
    const std::string env_dir = services.root.prefix + group + "/" + first.name;
    // Only kustomizations one level down can be copies; the name filter keeps blobs unread.
    const std::vector<git::TreeFile> kustomizations = repo.read_files(
        head, env_dir, [](std::string_view name) { return name == feature::k_kustomization_file; },
        {});
    for (const auto &[app_name, app] : g.applications) {
      for (const git::TreeFile &file : kustomizations) {
        const fs::path dir = fs::path(file.path).parent_path();
        if (dir.parent_path().generic_string() != env_dir) {
          continue;
        }
        if (const auto feature = feature_of(file, app_name)) {
          copies.push_back({dir.generic_string(), group, app_name, *feature, {}, {}});
        }
      }
    }
  }
  std::vector<std::string> paths;
  for (const StaleFeature &copy : copies) {
    paths.push_back(copy.directory);
  }
  const auto changes = repo.last_changes(head, paths);
  const auto now = std::chrono::system_clock::now();
  for (StaleFeature &copy : copies) {
    const git::Repository::LastChange &last = changes.at(copy.directory);
    copy.commit = last.commit;
    copy.changed = last.author_time;
    const auto age = now - copy.changed;
    services.log.debug(copy.directory + " last changed in " + copy.commit);
    if (age >= options.max_age) {
      result.stale.push_back(copy);
    }
  }
  if (result.stale.empty()) {
    result.outcome.skipped = true;
    result.outcome.message = "No stale application to remove, exiting early.";
    return result;
  }

  NewPlan plan;
  plan.base_commit = head;
  plan.environment = first;
  plan.directory = services.root.prefix;
  plan.branch = std::string(promotion::k_stale_branch);
  plan.title = std::string(promotion::k_stale_title);
  plan.base_branch = cfg.base_branch;
  plan.auto_merge = first.automated;
  std::map<std::string, std::string> kustomizations; // env kustomization path → edited text
  for (const StaleFeature &copy : result.stale) {
    for (const git::TreeFile &file : repo.read_files(head, copy.directory, {}, {})) {
      plan.diff += git::unified_diff(file.path, file.content, "");
      plan.removals.push_back(file.path);
    }
    const std::string env_dir = fs::path(copy.directory).parent_path().generic_string();
    const std::optional<std::string> path = kustomization_in(repo, head, env_dir);
    if (!path) {
      continue; // nothing lists the copy
    }
    auto [it, fresh] = kustomizations.try_emplace(*path);
    if (fresh) {
      it->second = *repo.read_file(head, *path);
    }
    if (const auto edited =
            feature::remove_resource(it->second, copy.app + "-" + copy.feature, *path)) {
      it->second = *edited;
    }
  }
  for (const auto &[path, text] : kustomizations) {
    const std::string old = *repo.read_file(head, path);
    add_edit(plan, path, old, text);
  }
  result.plan = std::move(plan);
  if (!options.dry_run) {
    result.outcome = apply_plan(*result.plan, cfg, services);
  }
  return result;
}

} // namespace gitops::commands
