#include "gitops/commands/promote.hpp"

namespace gitops::commands {

// These commands are wired through the CLI already; their bodies arrive in a later version. They
// fail loudly before touching the repository or the provider.

Outcome run_promote(const PromoteOptions & /*options*/, Services & /*services*/) {
  not_implemented("promote");
}

Outcome run_status(const StatusOptions & /*options*/, Services & /*services*/) {
  not_implemented("status");
}

Outcome run_feature(const FeatureOptions & /*options*/, Services & /*services*/) {
  not_implemented("feature");
}

Outcome run_feature_stale(const FeatureStaleOptions & /*options*/, Services & /*services*/) {
  not_implemented("feature-stale");
}

} // namespace gitops::commands
