#pragma once

#include "gitops/commands/image_update.hpp"
#include "gitops/util/log.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gitops::commands {

// `set-image --path DIR --group G --app A (--tag T | --image NAME:TAG[@DIGEST])`.
struct SetImageOptions {
  std::filesystem::path path;
  std::string group;
  std::string app;
  std::optional<std::string> tag;
  std::optional<std::string> image;
  bool dry_run = false; // compute and report, write nothing
};

struct SetImageResult {
  std::string directory;             // DIR as shown in messages
  std::vector<ChangeRecord> changes; // in file order, then line order
  std::vector<std::string> files;    // files written (or that would be written in a dry run)
  int matched = 0;                   // markers for G/A found, changed or already right
  bool dry_run = false;
  std::vector<std::string> warnings; // `file:line: message` from the rewriter
};

// Rewrites the markers for G/A in every manifest file under `options.path` on disk, in place. Files
// are `manifest::is_manifest_file_name` files whose bytes may contain a marker; symlinks (files and
// directories) and `.git` directories are skipped, so nothing outside DIR is read or written. Shown
// file names are DIR joined with the path below it, lexically normalised ("./a.yaml" → "a.yaml").
// All or nothing: every file is rewritten in memory first, and when any fails nothing is written
// (ManifestError naming every failing file). Changed files are replaced atomically (temp file +
// rename) keeping their permission bits. Throws UsageError for bad flags, CommandError when DIR is
// not a directory or holds no marker for G/A; a marker that is already right is not an error.
[[nodiscard]] SetImageResult run_set_image(const SetImageOptions &options, const util::Logger &log);

} // namespace gitops::commands
