#pragma once

#include "gitops/config/config.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace gitops::promotion {

enum class PrType { promote, feature };

// The state a promotion PR carries in its description (upstream's PRState), byte-compatible.
struct PrState {
  std::string group;
  std::string app;
  std::string tag;
  std::string env;
  std::string sha; // base commit the promotion branch was cut from ("" for features)
  std::string feature;
  PrType type = PrType::promote;

  // `Promote <group>/<app> version <tag> to environment <env>`, or for a feature
  // `Review <group>/<app> feature <feature> in environment <env>` (upstream printed the tag there).
  [[nodiscard]] std::string title() const;

  // Upstream's exact description bytes: `<!-- metadata = {json} -->\n\tENV: e\n\tAPP: a\n\tTAG: t`.
  [[nodiscard]] std::string description() const;

  // Branch for this state: `<type>[/<env>]/<group>-<app>[-<feature>]`; the env part only with
  // per-env. Throws StateError when group, app, env (per-env) or feature (features) is not a safe
  // name.
  [[nodiscard]] std::string branch_name(config::PrFlow flow) const;
};

// Reads the metadata from a PR description. std::nullopt when the description has no metadata
// marker (a PR not made by gitops-promotion); other HTML comments before the marker are skipped.
// Keys match case-insensitively and unknown keys are ignored (like Go's encoding/json); a missing
// or empty `type` means promote. Throws StateError when the marker is there but its JSON is
// malformed, a value is not a string, the type is unknown, or group/app/env/feature is not a safe
// name.
[[nodiscard]] std::optional<PrState> parse_description(std::string_view description);

// The compact JSON upstream writes (keys in upstream's order, `<`, `>`, `&` escaped as \u00XX,
// U+2028/U+2029 escaped, invalid UTF-8 replaced by \ufffd: Go's json.Marshal byte for byte).
[[nodiscard]] std::string to_metadata_json(const PrState &state);

// Throws StateError when `name` is not usable as a group, app, env or feature name inside a branch
// name and a path (empty, `..`, `/`, control characters, characters git refuses in refs, ...; the
// rule is config::name_problem). The message reads `invalid <what> name "<name>": <reason>`.
void validate_name(std::string_view what, std::string_view name);

// The branch `feature-stale` uses.
inline constexpr std::string_view k_stale_branch = "remove/stale-feature";
inline constexpr std::string_view k_stale_title = "Remove stale review features";

// Upstream's feature-name sanitising: drop runs of [^a-zA-Z0-9-], lowercase.
[[nodiscard]] std::string sanitize_feature(std::string_view feature);

} // namespace gitops::promotion
