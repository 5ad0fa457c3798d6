#include "gitops/commands/image_update.hpp"

#include "gitops/manifest/image_ref.hpp"
#include "gitops/promotion/pr_state.hpp"
#include "gitops/util/error.hpp"

namespace gitops::commands {

namespace {

// Bad names are bad flag values, so they are usage errors (exit 2) rather than state errors.
void validate_flag_name(const std::string &flag, const std::string &value) {
  try {
    promotion::validate_name(flag, value);
  } catch (const StateError &e) {
    throw UsageError("invalid value for " + flag + ": " + e.what());
  }
}

} // namespace

manifest::ImageUpdate make_image_update(const std::string &group, const std::string &app,
                                        const std::optional<std::string> &tag,
                                        const std::optional<std::string> &image) {
  validate_flag_name("--group", group);
  validate_flag_name("--app", app);
  if (tag && image) {
    throw UsageError("--tag and --image cannot be used together; give one of them");
  }
  if (!tag && !image) {
    throw UsageError("one of --tag or --image is required");
  }
  manifest::ImageUpdate update;
  update.group = group;
  update.app = app;
  if (tag) {
    if (!manifest::is_valid_tag(*tag)) {
      throw UsageError("invalid value for --tag: \"" + *tag +
                       "\" is not a valid image tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})");
    }
    update.tag = *tag;
    return update;
  }
  manifest::ImageRef ref;
  try {
    ref = manifest::parse_image_ref(*image);
  } catch (const ManifestError &e) {
    throw UsageError(std::string("invalid value for --image: ") + e.what());
  }
  update.tag = ref.tag;
  if (!ref.name.empty()) {
    update.name = ref.name;
  }
  update.digest = ref.digest;
  return update;
}

std::string describe(const manifest::ImageUpdate &update) {
  if (!update.name) {
    return update.tag;
  }
  std::string out = *update.name + ":" + update.tag;
  if (update.digest) {
    out += "@" + *update.digest;
  }
  return out;
}

} // namespace gitops::commands
