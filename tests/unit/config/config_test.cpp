#include "gp_test_paths.hpp"
#include "support/temp_dir.hpp"

#include "gitops/config/config.hpp"
#include "gitops/util/error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sys/stat.h>

namespace gitops::config {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view k_file = "gitops-promotion.yaml";

// Upstream's config_test.go fixture.
constexpr std::string_view k_simple = R"(
environments:
  - name: dev
    auto: true
  - name: qa
    auto: true
  - name: prod
    auto: false
)";

Config parse(std::string_view text) {
  return parse_config(text, std::string(k_file));
}

// The ConfigError message for `text`, or a marker when it parses.
std::string error_of(std::string_view text) {
  try {
    (void)parse(text);
  } catch (const ConfigError &e) {
    return e.what();
  }
  return "<no error>";
}

std::vector<std::string> warnings_of(std::string_view text) {
  std::vector<std::string> out;
  for (const auto &w : parse(text).warnings) {
    out.push_back(to_string(w));
  }
  return out;
}

// --- ports of upstream's pkg/config/config_test.go -------------------------------------------

TEST(ConfigUpstream, Parse) {
  const Config cfg = parse(k_simple);
  ASSERT_EQ(cfg.environments.size(), 3U);
  EXPECT_EQ(cfg.prflow, PrFlow::per_app);
  EXPECT_EQ(cfg.environments[0].name, "dev");
  EXPECT_EQ(cfg.environments[2].name, "prod");
  EXPECT_TRUE(cfg.warnings.empty());
  EXPECT_EQ(cfg.file, "gitops-promotion.yaml");
}

TEST(ConfigUpstream, HasNext) {
  const Config cfg = parse(k_simple);
  EXPECT_TRUE(cfg.next_environment("dev").has_value());
  EXPECT_TRUE(cfg.next_environment("qa").has_value());
  EXPECT_FALSE(cfg.next_environment("prod").has_value());
}

TEST(ConfigUpstream, IsAutomated) {
  const Config cfg = parse(k_simple);
  ASSERT_NE(cfg.find_environment("dev"), nullptr);
  EXPECT_TRUE(cfg.find_environment("dev")->automated);
  EXPECT_TRUE(cfg.find_environment("qa")->automated);
  EXPECT_FALSE(cfg.find_environment("prod")->automated);
}

TEST(ConfigUpstream, NextPrev) {
  const Config cfg = parse(k_simple);
  EXPECT_EQ(cfg.next_environment("dev")->name, "qa");
  EXPECT_EQ(cfg.next_environment("qa")->name, "prod");
  EXPECT_FALSE(cfg.next_environment("prod"));
  EXPECT_FALSE(cfg.previous_environment("dev"));
  EXPECT_EQ(cfg.previous_environment("qa")->name, "dev");
  EXPECT_EQ(cfg.previous_environment("prod")->name, "qa");
  EXPECT_FALSE(cfg.next_environment("qa")->automated);
  EXPECT_TRUE(cfg.previous_environment("prod")->automated);
}

TEST(ConfigUpstream, NotFound) {
  const Config cfg = parse(k_simple);
  EXPECT_EQ(cfg.find_environment("foobar"), nullptr);
  for (auto call : {+[](const Config &c) { (void)c.next_environment("foobar"); },
                    +[](const Config &c) { (void)c.previous_environment("foobar"); }}) {
    try {
      call(cfg);
      ADD_FAILURE() << "no ConfigError";
    } catch (const ConfigError &e) {
      EXPECT_EQ(std::string(e.what()), "environment named foobar does not exist "
                                       "(gitops-promotion.yaml defines dev, qa, prod)");
    }
  }
}

TEST(ConfigUpstream, EmptyEnvironments) {
  EXPECT_EQ(error_of("\n    environments: []\n  "),
            "gitops-promotion.yaml:2: environments list cannot be empty");
}

TEST(ConfigUpstream, PrFlowPerEnv) {
  const Config cfg = parse("\n    environments:\n      - name: dev\n        auto: true\n"
                           "    prflow: per-env\n  ");
  EXPECT_EQ(cfg.prflow, PrFlow::per_env);
}

TEST(ConfigUpstream, PrFlowInvalid) {
  EXPECT_EQ(error_of("\n    environments:\n      - name: dev\n        auto: true\n"
                     "    prflow: foobar\n  "),
            "gitops-promotion.yaml:5: prflow: invalid prflow value: foobar "
            "(expected per-app or per-env)");
}

TEST(ConfigUpstream, StatusTimeoutDefault) {
  const Config cfg = parse("\n    environments:\n      - name: dev\n        auto: true\n  ");
  EXPECT_EQ(cfg.status_timeout, std::chrono::minutes(5));
}

TEST(ConfigUpstream, FeatureLabelSelector) {
  const Config cfg = parse(R"(
    environments:
      - name: dev
        auto: true
    groups:
      apps:
        applications:
          podinfo:
            featureLabelSelector:
              app: podinfo

  )");
  ASSERT_FALSE(cfg.groups.empty());
  const Application &app = cfg.application("apps", "podinfo");
  EXPECT_EQ(app.feature_label_selector, (std::map<std::string, std::string>{{"app", "podinfo"}}));
  EXPECT_FALSE(app.feature_overwrite);
}

// --- defaults and every key -------------------------------------------------------------------

TEST(Config, DefaultsOfAdditions) {
  const Config cfg = parse("environments:\n  - name: dev\n");
  EXPECT_FALSE(cfg.environments[0].automated);
  EXPECT_EQ(cfg.base_branch, "main");
  EXPECT_EQ(cfg.remote, "origin");
  EXPECT_EQ(cfg.author_name, "gitops-promotion");
  EXPECT_EQ(cfg.author_email, "gitops-promotion@users.noreply.github.com");
  EXPECT_EQ(cfg.poll_interval, std::chrono::seconds(5));
  EXPECT_TRUE(cfg.status_contexts.empty());
  EXPECT_EQ(cfg.merge_method, MergeMethod::merge);
  EXPECT_TRUE(cfg.groups.empty());
}

TEST(Config, EveryKey) {
  const Config cfg = parse(R"(environments:
  - name: dev
    auto: yes
  - name: prod
prflow: per-env
status_timeout_minutes: 1h30m
base_branch: release/v2
remote: upstream
commit:
  author_name: Release Bot
  author_email: bot@example.com
status:
  poll_interval: 20s
  contexts:
    - "kustomization/{group}-{env}*"
    - "flux/{env}/{group}"
merge_method: squash
groups:
  apps:
    applications:
      podinfo:
        featureOverwrite: true
        featureLabelSelector:
          app: podinfo
          tier: "1"
      web: ~
  empty:
)");
  EXPECT_TRUE(cfg.warnings.empty());
  EXPECT_TRUE(cfg.environments[0].automated);
  EXPECT_FALSE(cfg.environments[1].automated);
  EXPECT_EQ(cfg.prflow, PrFlow::per_env);
  EXPECT_EQ(cfg.status_timeout, std::chrono::minutes(90));
  EXPECT_EQ(cfg.base_branch, "release/v2");
  EXPECT_EQ(cfg.remote, "upstream");
  EXPECT_EQ(cfg.author_name, "Release Bot");
  EXPECT_EQ(cfg.author_email, "bot@example.com");
  EXPECT_EQ(cfg.poll_interval, std::chrono::seconds(20));
  EXPECT_EQ(cfg.status_contexts,
            (std::vector<std::string>{"kustomization/{group}-{env}*", "flux/{env}/{group}"}));
  EXPECT_EQ(cfg.merge_method, MergeMethod::squash);
  EXPECT_TRUE(cfg.application("apps", "podinfo").feature_overwrite);
  EXPECT_EQ(cfg.application("apps", "podinfo").feature_label_selector.at("tier"), "1");
  EXPECT_FALSE(cfg.application("apps", "web").feature_overwrite);
  ASSERT_EQ(cfg.groups.count("empty"), 1U);
  EXPECT_TRUE(cfg.groups.at("empty").applications.empty());
}

TEST(Config, ApplicationLookupErrorsUseUpstreamWording) {
  const Config cfg = parse("environments:\n  - name: dev\ngroups:\n  apps:\n    applications:\n"
                           "      podinfo: {}\n");
  try {
    (void)cfg.application("nope", "podinfo");
    ADD_FAILURE();
  } catch (const ConfigError &e) {
    EXPECT_THAT(e.what(), HasSubstr("configuration does not contain group nope"));
  }
  try {
    (void)cfg.application("apps", "web");
    ADD_FAILURE();
  } catch (const ConfigError &e) {
    EXPECT_THAT(e.what(),
                HasSubstr("configuration for group apps does not contain application web"));
  }
}

TEST(Config, BooleansAcceptYaml11Spellings) {
  for (std::string_view yes : {"true", "True", "TRUE", "yes", "Yes", "on", "ON", "y"}) {
    SCOPED_TRACE(yes);
    EXPECT_TRUE(parse("environments:\n  - name: dev\n    auto: " + std::string(yes) + "\n")
                    .environments[0]
                    .automated);
  }
  for (std::string_view no : {"false", "False", "no", "NO", "off", "n", "\"false\"", ""}) {
    SCOPED_TRACE(no);
    EXPECT_FALSE(parse("environments:\n  - name: dev\n    auto: " + std::string(no) + "\n")
                     .environments[0]
                     .automated);
  }
}

TEST(Config, EmptyPrflowAndMergeMethodMeanDefault) {
  const Config cfg = parse("environments:\n  - name: dev\nprflow: \"\"\nmerge_method:\n");
  EXPECT_EQ(cfg.prflow, PrFlow::per_app);
  EXPECT_EQ(cfg.merge_method, MergeMethod::merge);
}

TEST(Config, MergeMethods) {
  EXPECT_EQ(parse("environments: [{name: dev}]\nmerge_method: rebase\n").merge_method,
            MergeMethod::rebase);
  EXPECT_EQ(parse("environments: [{name: dev}]\nmerge_method: merge\n").merge_method,
            MergeMethod::merge);
  EXPECT_EQ(error_of("environments: [{name: dev}]\nmerge_method: fast-forward\n"),
            "gitops-promotion.yaml:2: merge_method: invalid merge_method value: fast-forward "
            "(expected merge, squash or rebase)");
}

TEST(Config, StatusTimeoutForms) {
  auto timeout = [](std::string_view value) {
    return parse("environments: [{name: dev}]\nstatus_timeout_minutes: " + std::string(value))
        .status_timeout;
  };
  // A bare integer is minutes (upstream read it as nanoseconds, a bug not reproduced).
  EXPECT_EQ(timeout("10"), std::chrono::minutes(10));
  EXPECT_EQ(timeout("\"10\""), std::chrono::minutes(10));
  EXPECT_EQ(timeout("90s"), std::chrono::seconds(90));
  EXPECT_EQ(timeout("10m"), std::chrono::minutes(10));
  EXPECT_EQ(timeout("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(timeout("~"), std::chrono::minutes(5));
  // Zero means "not set", the default, as upstream read it.
  EXPECT_EQ(timeout("0"), std::chrono::minutes(5));
  EXPECT_EQ(timeout("0s"), std::chrono::minutes(5));
}

TEST(Config, StatusTimeoutErrors) {
  EXPECT_EQ(
      error_of("environments: [{name: dev}]\nstatus_timeout_minutes: -5\n"),
      "gitops-promotion.yaml:2: status_timeout_minutes: must be greater than zero, got \"-5\"");
  EXPECT_EQ(error_of("environments: [{name: dev}]\nstatus_timeout_minutes: soon\n"),
            "gitops-promotion.yaml:2: status_timeout_minutes: expected a number of minutes or a "
            "duration like 90s, 10m or 1h30m, got \"soon\"");
  EXPECT_THAT(error_of("environments: [{name: dev}]\nstatus_timeout_minutes: 10ns\n"),
              HasSubstr("got \"10ns\""));
  EXPECT_THAT(error_of("environments: [{name: dev}]\nstatus_timeout_minutes: 2.5\n"),
              HasSubstr("got \"2.5\""));
  EXPECT_EQ(error_of("environments: [{name: dev}]\nstatus_timeout_minutes: [5]\n"),
            "gitops-promotion.yaml:2: status_timeout_minutes: expected a string, got a list");
}

// --- bad values: file, key path and line -----------------------------------------------------

TEST(ConfigErrors, BadBooleanNamesFileKeyAndLine) {
  EXPECT_EQ(error_of(R"(# promotion order
prflow: per-app
environments:
  - name: dev
    auto: true
  - name: qa
    auto: maybe
)"),
            "gitops-promotion.yaml:7: environments[1].auto: expected true or false, got \"maybe\"");
  EXPECT_EQ(error_of("environments:\n  - name: dev\n    auto: [true]\n"),
            "gitops-promotion.yaml:3: environments[0].auto: expected true or false, got a list");
}

TEST(ConfigErrors, MissingEnvironments) {
  EXPECT_EQ(error_of("prflow: per-env\n"),
            "gitops-promotion.yaml: environments list cannot be empty: the key \"environments\" "
            "is missing");
  EXPECT_EQ(error_of("environments:\nprflow: per-env\n"),
            "gitops-promotion.yaml:1: environments list cannot be empty");
}

TEST(ConfigErrors, MisspelledEnvironmentsSuggestsTheKey) {
  const std::string text = "prflow: per-env\nenviroments:\n  - name: dev\n";
  EXPECT_EQ(error_of(text),
            "gitops-promotion.yaml:2: environments list cannot be empty: the key \"environments\" "
            "is missing; did you mean \"environments\" instead of \"enviroments\"?");
}

TEST(ConfigErrors, EnvironmentsOfTheWrongType) {
  EXPECT_EQ(error_of("environments:\n  dev:\n    auto: true\n"),
            "gitops-promotion.yaml:2: environments: expected a list of environments "
            "(`- name: dev`), got a mapping");
  EXPECT_EQ(error_of("environments: dev\n"),
            "gitops-promotion.yaml:1: environments: expected a list of environments "
            "(`- name: dev`), got \"dev\"");
  EXPECT_EQ(error_of("environments:\n  - dev\n  - qa\n"),
            "gitops-promotion.yaml:2: environments[0]: expected a mapping with \"name\" and "
            "\"auto\", got \"dev\"");
}

TEST(ConfigErrors, EnvironmentNameMissing) {
  EXPECT_EQ(error_of("environments:\n  - name: dev\n  - auto: true\n"),
            "gitops-promotion.yaml:3: environments[1].name: required key is missing");
  EXPECT_EQ(error_of("environments:\n  - name: dev\n  - auto: true\n    nmae: qa\n"),
            "gitops-promotion.yaml:4: environments[1].name: required key is missing; did you "
            "mean \"name\" instead of \"nmae\"?");
  EXPECT_EQ(error_of("environments:\n  - name:\n"),
            "gitops-promotion.yaml:2: environments[0].name: invalid environment name \"\": must "
            "not be empty");
}

TEST(ConfigErrors, DuplicateEnvironmentNames) {
  EXPECT_EQ(error_of("environments:\n  - name: dev\n  - name: qa\n  - name: dev\n"),
            "gitops-promotion.yaml:4: environments[2].name: duplicate environment name \"dev\" "
            "(also environments[0] on line 2)");
}

TEST(ConfigErrors, UnsafeEnvironmentNames) {
  struct Case {
    std::string yaml_value;
    std::string expected;
  };
  const std::vector<Case> cases{
      {"qa/eu", "invalid environment name \"qa/eu\": must not contain '/'"},
      {"\"..\"", "invalid environment name \"..\": must not be \".\" or \"..\""},
      {"-dev", "invalid environment name \"-dev\": must not start with '-'"},
      {".dev", "invalid environment name \".dev\": must not start with '.'"},
      {"\"q a\"", "invalid environment name \"q a\": must not contain whitespace"},
      {"\"a\\tb\"", "invalid environment name \"a\\tb\": must not contain control characters"},
      {"dev.lock", "invalid environment name \"dev.lock\": must not end with \".lock\""},
      {"\"dev:1\"", "invalid environment name \"dev:1\": must not contain ':'"},
      {"dev~1", "invalid environment name \"dev~1\": must not contain '~'"},
      {"a..b", "invalid environment name \"a..b\": must not contain \"..\""},
      {"'a\\b'", "invalid environment name \"a\\\\b\": must not contain '\\'"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.yaml_value);
    EXPECT_EQ(error_of("environments:\n  - name: dev\n  - name: " + c.yaml_value + "\n"),
              "gitops-promotion.yaml:3: environments[1].name: " + c.expected);
  }
}

TEST(ConfigErrors, UnsafeGroupAndAppNames) {
  EXPECT_EQ(error_of("environments: [{name: dev}]\ngroups:\n  ../etc:\n    applications: {}\n"),
            "gitops-promotion.yaml:3: groups.../etc: invalid group name \"../etc\": must not "
            "contain '/'");
  EXPECT_EQ(error_of("environments: [{name: dev}]\ngroups:\n  apps:\n    applications:\n"
                     "      \"my app\": {}\n"),
            "gitops-promotion.yaml:5: groups.apps.applications.my app: invalid app name "
            "\"my app\": must not contain whitespace");
}

TEST(ConfigErrors, YamlSyntaxErrorHasLine) {
  EXPECT_THAT(error_of("environments:\n  - name: dev\n  - name: [qa\n"),
              HasSubstr("gitops-promotion.yaml:4: invalid YAML: "));
  EXPECT_EQ(error_of("environments:\n  - name: dev\n   auto: true\n x: 1\n")
                .rfind("gitops-promotion.yaml:", 0),
            0U);
}

TEST(ConfigErrors, StrayFlowIndicatorIsAnErrorNotAHang) {
  // yaml-cpp's LoadAll never returns on these; the loader must report them instead.
  EXPECT_EQ(error_of(","), "gitops-promotion.yaml:1: invalid YAML: unexpected \",\"");
  EXPECT_EQ(error_of("environments:\n  - name: dev\n,\n"),
            "gitops-promotion.yaml:3: invalid YAML: end of map not found");
  EXPECT_EQ(error_of("- a\n,"), "gitops-promotion.yaml:2: invalid YAML: unexpected \",\"");
}

TEST(ConfigErrors, TabIndentation) {
  EXPECT_EQ(error_of("environments:\n  - name: dev\n\t auto: true\n"),
            "gitops-promotion.yaml:3: tab character in indentation; YAML indentation must use "
            "spaces");
  // yaml-cpp refuses a tab even on a blank line there; the message still says what is wrong.
  EXPECT_EQ(error_of("environments:\n  - name: dev\n\t# note\n"),
            "gitops-promotion.yaml:3: tab character in indentation; YAML indentation must use "
            "spaces");
  // Tabs after the indentation are fine.
  EXPECT_EQ(parse("environments:\t# list\n  - name:\tdev\n").environments[0].name, "dev");
}

TEST(ConfigErrors, EmptyAndCommentOnlyFiles) {
  EXPECT_EQ(error_of(""), "gitops-promotion.yaml: the file is empty; it needs at least an "
                          "\"environments\" list (see gitops-promotion.yaml.example)");
  EXPECT_EQ(error_of("\n  \n"), error_of(""));
  EXPECT_EQ(error_of("# nothing here\n# yet\n"),
            "gitops-promotion.yaml: the file has no settings (only comments or an empty "
            "document); it needs at least an \"environments\" list (see "
            "gitops-promotion.yaml.example)");
  EXPECT_EQ(error_of("---\n"), error_of("# x\n"));
}

TEST(ConfigErrors, TopLevelMustBeAMapping) {
  EXPECT_EQ(error_of("- name: dev\n"),
            "gitops-promotion.yaml:1: expected a mapping of settings at the top level, got a list");
  EXPECT_EQ(error_of("just text\n"), "gitops-promotion.yaml:1: expected a mapping of settings at "
                                     "the top level, got \"just text\"");
}

TEST(ConfigErrors, WrongNodeTypes) {
  EXPECT_EQ(error_of("environments: [{name: dev}]\ngroups: [apps]\n"),
            "gitops-promotion.yaml:2: groups: expected a mapping, got a list");
  EXPECT_EQ(error_of("environments: [{name: dev}]\nprflow: {a: b}\n"),
            "gitops-promotion.yaml:2: prflow: expected a string, got a mapping");
  EXPECT_EQ(error_of("environments: [{name: dev}]\ngroups:\n  apps:\n    applications:\n"
                     "      web:\n        featureLabelSelector:\n          app:\n"
                     "            nested: x\n"),
            "gitops-promotion.yaml:8: groups.apps.applications.web.featureLabelSelector.app: "
            "expected a string, got a mapping");
  EXPECT_EQ(error_of("environments: [{name: dev}]\ncommit: bot\n"),
            "gitops-promotion.yaml:2: commit: expected a mapping, got \"bot\"");
  EXPECT_EQ(error_of("environments:\n  - name: [dev]\n"),
            "gitops-promotion.yaml:2: environments[0].name: expected a string, got a list");
}

TEST(ConfigErrors, DuplicateKeys) {
  EXPECT_EQ(error_of("environments: [{name: dev}]\nprflow: per-app\nprflow: per-env\n"),
            "gitops-promotion.yaml:3: prflow: duplicate key (first defined on line 2)");
  EXPECT_EQ(error_of("environments:\n  - name: dev\n    name: qa\n"),
            "gitops-promotion.yaml:3: environments[0].name: duplicate key (first defined on line "
            "2)");
}

TEST(ConfigErrors, BranchRemoteAndIdentity) {
  EXPECT_EQ(error_of("environments: [{name: dev}]\nbase_branch: \"\"\n"),
            "gitops-promotion.yaml:2: base_branch: must not be empty (leave the key out to use "
            "the default)");
  EXPECT_EQ(error_of("environments: [{name: dev}]\nbase_branch: release//x\n"),
            "gitops-promotion.yaml:2: base_branch: invalid branch name \"release//x\": must not "
            "contain empty '/'-separated parts");
  EXPECT_EQ(error_of("environments: [{name: dev}]\nbase_branch: main.lock\n"),
            "gitops-promotion.yaml:2: base_branch: invalid branch name \"main.lock\": the part "
            "\"main.lock\" must not end with \".lock\"");
  EXPECT_EQ(error_of("environments: [{name: dev}]\nbase_branch: HEAD\n"),
            "gitops-promotion.yaml:2: base_branch: invalid branch name \"HEAD\"");
  EXPECT_EQ(error_of("environments: [{name: dev}]\nremote: \"my remote\"\n"),
            "gitops-promotion.yaml:2: remote: invalid remote name \"my remote\": the part \"my "
            "remote\" must not contain whitespace");
  EXPECT_EQ(error_of("environments: [{name: dev}]\ncommit:\n  author_name: \"Bot <x>\"\n"),
            "gitops-promotion.yaml:3: commit.author_name: must not contain '<', '>' or control "
            "characters, got \"Bot <x>\"");
  EXPECT_EQ(error_of("environments: [{name: dev}]\ncommit:\n  author_email: \"a b@c\"\n"),
            "gitops-promotion.yaml:3: commit.author_email: must not contain whitespace, got "
            "\"a b@c\"");
}

TEST(ConfigErrors, StatusSection) {
  EXPECT_EQ(error_of("environments: [{name: dev}]\nstatus:\n  poll_interval: 10\n"),
            "gitops-promotion.yaml:3: status.poll_interval: expected a duration with a unit like "
            "10s or 1m, got \"10\"");
  EXPECT_EQ(error_of("environments: [{name: dev}]\nstatus:\n  poll_interval: 0s\n"),
            "gitops-promotion.yaml:3: status.poll_interval: must be greater than zero, got \"0s\"");
  EXPECT_EQ(error_of("environments: [{name: dev}]\nstatus:\n  contexts: kustomization/x\n"),
            "gitops-promotion.yaml:3: status.contexts: expected a list of context patterns, got "
            "\"kustomization/x\"");
  EXPECT_EQ(
      error_of("environments: [{name: dev}]\nstatus:\n  contexts:\n    - \"a/{app}-{env}\"\n"),
      "gitops-promotion.yaml:4: status.contexts[0]: unknown placeholder \"{app}\" in "
      "\"a/{app}-{env}\" (known: {group}, {env})");
  EXPECT_EQ(error_of("environments: [{name: dev}]\nstatus:\n  contexts:\n    - \"a/{env\"\n"),
            "gitops-promotion.yaml:4: status.contexts[0]: unmatched '{' in \"a/{env\"");
  EXPECT_EQ(error_of("environments: [{name: dev}]\nstatus:\n  contexts:\n    - \"a/env}\"\n"),
            "gitops-promotion.yaml:4: status.contexts[0]: unmatched '}' in \"a/env}\"");
  EXPECT_EQ(error_of("environments: [{name: dev}]\nstatus:\n  contexts:\n    - \"\"\n"),
            "gitops-promotion.yaml:4: status.contexts[0]: expected a non-empty pattern, got \"\"");
}

// --- warnings ---------------------------------------------------------------------------------

TEST(ConfigWarnings, UnknownKeysWithSuggestions) {
  const auto warnings = warnings_of(R"(environments:
  - name: dev
    atuo: true
prflw: per-env
status_timeout: 10m
color: blue
groups:
  apps:
    applications:
      web:
        featureoverwrite: true
status:
  pol_interval: 10s
)");
  EXPECT_THAT(warnings,
              ::testing::ElementsAre(
                  "gitops-promotion.yaml:4: prflw: unknown key, ignored (did you mean \"prflow\"?)",
                  "gitops-promotion.yaml:5: status_timeout: unknown key, ignored (did you mean "
                  "\"status_timeout_minutes\"?)",
                  "gitops-promotion.yaml:6: color: unknown key, ignored",
                  "gitops-promotion.yaml:3: environments[0].atuo: unknown key, ignored (did you "
                  "mean \"auto\"?)",
                  "gitops-promotion.yaml:11: groups.apps.applications.web.featureoverwrite: "
                  "unknown key, ignored (did you mean \"featureOverwrite\"?)",
                  "gitops-promotion.yaml:13: status.pol_interval: unknown key, ignored (did you "
                  "mean \"poll_interval\"?)"));
  // The misspelt keys were ignored, so their defaults stand.
  const Config cfg = parse("environments:\n  - name: dev\n    atuo: true\nprflw: per-env\n");
  EXPECT_FALSE(cfg.environments[0].automated);
  EXPECT_EQ(cfg.prflow, PrFlow::per_app);
  ASSERT_EQ(cfg.warnings.size(), 2U);
  EXPECT_EQ(cfg.warnings[0].file, "gitops-promotion.yaml");
  EXPECT_EQ(cfg.warnings[0].line, 4);
}

TEST(ConfigWarnings, ExtraDocumentsAndSlowPolling) {
  EXPECT_THAT(warnings_of("environments: [{name: dev}]\n---\nenvironments: [{name: qa}]\n"),
              ::testing::ElementsAre("gitops-promotion.yaml:2: only the first YAML document is "
                                     "read; 1 more ignored"));
  EXPECT_THAT(warnings_of("environments: [{name: dev}]\nstatus_timeout_minutes: 1\nstatus:\n"
                          "  poll_interval: 2m\n"),
              ::testing::ElementsAre("gitops-promotion.yaml:3: status.poll_interval (120s) is "
                                     "longer than status_timeout_minutes (60s): the status gate "
                                     "checks only once"));
  EXPECT_THAT(warnings_of("environments: [{name: dev}]\nstatus:\n  contexts: [\"k/{group}\"]\n"),
              ::testing::ElementsAre("gitops-promotion.yaml:3: status.contexts[0]: pattern "
                                     "\"k/{group}\" has no {env}, so it matches the health status "
                                     "of every environment"));
}

TEST(ConfigWarnings, DiagnosticToString) {
  EXPECT_EQ(to_string(Diagnostic{"f.yaml", 3, "m"}), "f.yaml:3: m");
  EXPECT_EQ(to_string(Diagnostic{"f.yaml", 0, "m"}), "f.yaml: m");
}

// --- encodings --------------------------------------------------------------------------------

TEST(Config, CrlfAndBomFilesParse) {
  const Config cfg =
      parse("\xEF\xBB\xBF"
            "environments:\r\n  - name: dev\r\n    auto: true\r\nprflow: per-env\r\n");
  ASSERT_EQ(cfg.environments.size(), 1U);
  EXPECT_EQ(cfg.environments[0].name, "dev");
  EXPECT_TRUE(cfg.environments[0].automated);
  EXPECT_EQ(cfg.prflow, PrFlow::per_env);
  EXPECT_EQ(error_of("environments:\r\n  - name: dev\r\n    auto: maybe\r\n"),
            "gitops-promotion.yaml:3: environments[0].auto: expected true or false, got \"maybe\"");
}

TEST(Config, NonAsciiEnvironmentNamesAreAllowed) {
  EXPECT_EQ(parse("environments:\n  - name: développement\n").environments[0].name,
            "développement");
  EXPECT_THAT(error_of("environments:\n  - name: \"dev\\u00a0x\"\n"),
              HasSubstr("must not contain Unicode spaces"));
}

// --- load_config --------------------------------------------------------------------------------

TEST(LoadConfig, MissingFileSaysWhereAndPointsAtSourcedir) {
  const test::TempDir dir;
  try {
    (void)load_config(dir.path());
    ADD_FAILURE();
  } catch (const ConfigError &e) {
    EXPECT_THAT(e.what(), HasSubstr((dir.path() / "gitops-promotion.yaml").string()));
    EXPECT_THAT(e.what(), HasSubstr("--sourcedir"));
    EXPECT_THAT(e.what(), HasSubstr("root of the GitOps repository"));
  }
}

TEST(LoadConfig, DirectoryInsteadOfFile) {
  const test::TempDir dir;
  std::filesystem::create_directory(dir / "gitops-promotion.yaml");
  try {
    (void)load_config(dir.path());
    ADD_FAILURE();
  } catch (const ConfigError &e) {
    EXPECT_THAT(e.what(), HasSubstr("is a directory"));
  }
}

// Only a regular file in the repository is read: a link is never followed (out of the repository,
// to /dev/zero), a FIFO is never opened for reading (it would hang), and the size is checked first.
TEST(LoadConfig, RefusesLinksFifosAndDevicesWithoutReadingThem) {
  const test::TempDir outside;
  test::write_file(outside / "secret.yaml", "environments:\n  - name: leaked-secret-value\n");
  const test::TempDir dir;
  const auto path = dir / "gitops-promotion.yaml";
  const auto expect_refused = [&](const std::string &why) {
    try {
      (void)load_config(dir.path());
      ADD_FAILURE() << "accepted: " << why;
    } catch (const ConfigError &e) {
      EXPECT_THAT(e.what(), HasSubstr(path.string() + " is " + why)) << e.what();
      EXPECT_THAT(e.what(), Not(HasSubstr("leaked-secret-value")));
    }
  };
  std::filesystem::create_symlink(outside / "secret.yaml", path);
  expect_refused("a symbolic link; gitops-promotion.yaml must be a regular file in the repository");
  std::filesystem::remove(path);
  std::filesystem::create_symlink("/dev/zero", path);
  expect_refused("a symbolic link");
  std::filesystem::remove(path);
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  expect_refused("not a regular file (a FIFO, socket or device)");
}

TEST(LoadConfig, FilesOverOneMebibyteAreRefusedOnDiskAndInACommit) {
  const test::TempDir dir;
  std::string big = std::string(k_simple) + "# " + std::string(1024 * 1024, 'x') + "\n";
  test::write_file(dir / "gitops-promotion.yaml", big);
  try {
    (void)load_config(dir.path());
    ADD_FAILURE();
  } catch (const ConfigError &e) {
    EXPECT_THAT(e.what(), HasSubstr("a config file larger than 1 MiB is refused"));
  }
  // parse_config is what reads the committed file (new, promote, status): the same limit.
  try {
    (void)parse_config(big, "gitops-promotion.yaml");
    ADD_FAILURE();
  } catch (const ConfigError &e) {
    EXPECT_THAT(e.what(), HasSubstr("gitops-promotion.yaml is " + std::to_string(big.size()) +
                                    " bytes; a config file larger than 1 MiB is refused"));
  }
}

TEST(LoadConfig, ReadsFileAndNamesItInMessages) {
  const test::TempDir dir;
  const auto path = dir / "gitops-promotion.yaml";
  test::write_file(path, k_simple);
  const Config cfg = load_config(dir.path());
  EXPECT_EQ(cfg.environments.size(), 3U);
  EXPECT_EQ(cfg.file, path.string());
  test::write_file(path, "environments:\n  - name: dev\n    auto: maybe\n");
  try {
    (void)load_config(dir.path());
    ADD_FAILURE();
  } catch (const ConfigError &e) {
    EXPECT_EQ(std::string(e.what()),
              path.string() + ":3: environments[0].auto: expected true or false, got \"maybe\"");
  }
}

TEST(LoadConfig, ExampleFileCoversEveryKeyWithoutWarnings) {
  const test::TempDir dir;
  const std::string example =
      test::read_file(std::filesystem::path(GP_SOURCE_DIR) / "gitops-promotion.yaml.example");
  test::write_file(dir / "gitops-promotion.yaml", example);
  const Config cfg = load_config(dir.path());
  EXPECT_TRUE(cfg.warnings.empty()) << (cfg.warnings.empty() ? "" : to_string(cfg.warnings[0]));
  ASSERT_EQ(cfg.environments.size(), 3U);
  EXPECT_EQ(cfg.environments[0].name, "dev");
  EXPECT_TRUE(cfg.environments[0].automated);
  EXPECT_EQ(cfg.environments[1].name, "qa");
  EXPECT_TRUE(cfg.environments[1].automated);
  EXPECT_EQ(cfg.environments[2].name, "prod");
  EXPECT_FALSE(cfg.environments[2].automated);
  for (std::string_view key :
       {"environments:", "prflow:", "status_timeout_minutes:", "groups:", "applications:",
        "featureOverwrite:", "featureLabelSelector:", "base_branch:", "remote:", "commit:",
        "author_name:", "author_email:", "status:", "poll_interval:", "contexts:",
        "merge_method:"}) {
    // Set in the example, not only mentioned in a comment.
    bool set = false;
    std::size_t pos = 0;
    while (!set && pos < example.size()) {
      std::size_t end = example.find('\n', pos);
      end = end == std::string::npos ? example.size() : end;
      std::string_view line(example.data() + pos, end - pos);
      while (line.starts_with(' ') || line.starts_with("- ")) {
        line.remove_prefix(line.starts_with(' ') ? 1 : 2);
      }
      set = line.starts_with(key);
      pos = end + 1;
    }
    EXPECT_TRUE(set) << key;
  }
}

} // namespace
} // namespace gitops::config
