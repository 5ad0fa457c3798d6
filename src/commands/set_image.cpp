#include "gitops/commands/set_image.hpp"

#include "gitops/manifest/rewriter.hpp"
#include "gitops/util/error.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace gitops::commands {

namespace {

struct PendingWrite {
  fs::path target;
  std::string content;
  fs::path temp; // set once the temp file exists
};

std::string read_bytes(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ManifestError("cannot read " + path.string() + ": " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    throw ManifestError("cannot read " + path.string());
  }
  return ss.str();
}

// The temp file write_temp makes beside `target`: `.<name>.gp-XXXXXX` (mkstemp's six characters).
constexpr std::string_view k_temp_infix = ".gp-";

// Whether `name` is such a temp file of a manifest: what a run killed between write_temp and the
// rename leaves behind.
bool is_temp_name(const std::string &name) {
  const std::size_t infix = name.rfind(k_temp_infix);
  if (name.size() < 2 || name.front() != '.' || infix == std::string::npos ||
      name.size() != infix + k_temp_infix.size() + 6) {
    return false;
  }
  const std::string tail = name.substr(infix + k_temp_infix.size());
  return std::all_of(tail.begin(), tail.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }) &&
         manifest::is_manifest_file_name(name.substr(1, infix - 1));
}

// What a scan of the directory finds: the manifest candidates, sorted so output and failures are
// deterministic, and the temp files that interrupted runs left (older than a minute, so that a run
// writing at the same moment keeps its own).
struct Scan {
  std::vector<fs::path> files;
  std::vector<fs::path> stale_temps;
};

Scan scan_directory(const fs::path &root, const util::Logger &log) {
  Scan scan;
  std::vector<fs::path> &files = scan.files;
  const auto stale_before = fs::file_time_type::clock::now() - std::chrono::minutes(1);
  std::error_code ec;
  // The default options never descend into a symlinked directory.
  fs::recursive_directory_iterator it(root, ec);
  if (ec) {
    throw CommandError("cannot read directory " + root.string() + ": " + ec.message());
  }
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) {
      throw CommandError("cannot read directory " + root.string() + ": " + ec.message());
    }
    const fs::directory_entry &entry = *it;
    if (entry.is_symlink()) {
      // A symlink may lead out of DIR, and renaming over it would replace the link itself.
      log.debug("skipping symlink " + entry.path().string());
      continue;
    }
    if (entry.is_directory()) {
      if (entry.path().filename() == ".git") {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (!entry.is_regular_file()) {
      continue;
    }
    const std::string name = entry.path().filename().string();
    if (manifest::is_manifest_file_name(name)) {
      files.push_back(entry.path());
    } else if (is_temp_name(name) && entry.last_write_time(ec) < stale_before && !ec) {
      scan.stale_temps.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return scan;
}

void remove_temps(const std::vector<PendingWrite> &writes) {
  for (const PendingWrite &w : writes) {
    if (!w.temp.empty()) {
      std::error_code ignored;
      fs::remove(w.temp, ignored);
    }
  }
}

// Writes `w.content` to a new temp file beside the target with the target's permission bits.
void write_temp(PendingWrite &w) {
  struct stat st {};
  if (::stat(w.target.c_str(), &st) != 0) {
    throw ManifestError("cannot stat " + w.target.string() + ": " + std::strerror(errno));
  }
  std::string pattern = (w.target.parent_path() / ("." + w.target.filename().string() +
                                                   std::string(k_temp_infix) + "XXXXXX"))
                            .string();
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) {
    throw ManifestError("cannot create a temporary file beside " + w.target.string() + ": " +
                        std::strerror(errno));
  }
  w.temp = pattern;
  std::size_t done = 0;
  bool ok = ::fchmod(fd, st.st_mode & 07777) == 0;
  while (ok && done < w.content.size()) {
    const ssize_t n = ::write(fd, w.content.data() + done, w.content.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    ok = n > 0;
    if (ok) {
      done += static_cast<std::size_t>(n);
    }
  }
  // Durable before the rename makes it visible, so a crash never leaves a truncated manifest.
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    throw ManifestError("cannot write " + w.target.string() + ": " + std::strerror(saved));
  }
}

} // namespace

SetImageResult run_set_image(const SetImageOptions &options, const util::Logger &log) {
  const manifest::ImageUpdate update =
      make_image_update(options.group, options.app, options.tag, options.image);
  if (options.path.empty()) {
    throw UsageError("--path must not be empty");
  }
  SetImageResult result;
  result.directory = options.path.string();
  result.dry_run = options.dry_run;
  std::error_code ec;
  if (!fs::is_directory(options.path, ec)) {
    throw CommandError("set-image: " + options.path.string() + " is not a directory");
  }

  const Scan scan = scan_directory(options.path, log);
  if (!options.dry_run) {
    // A run killed with -9 between writing a temp file and renaming it left that file, which
    // `git add -A` would commit: the next run removes it.
    for (const fs::path &stale : scan.stale_temps) {
      std::error_code ignored;
      if (fs::remove(stale, ignored)) {
        log.info("removed " + stale.string() + ", a temporary file an interrupted run left");
      }
    }
  }
  std::vector<PendingWrite> writes;
  std::vector<std::string> failures;
  for (const fs::path &file : scan.files) {
    const std::string shown =
        (options.path / file.lexically_relative(options.path)).lexically_normal().generic_string();
    try {
      const std::string content = read_bytes(file);
      if (!manifest::may_contain_marker(content)) {
        continue;
      }
      manifest::RewriteResult rewritten = manifest::rewrite(content, update, shown);
      result.matched += rewritten.matched;
      for (const manifest::MarkerFinding &warning : rewritten.warnings) {
        result.warnings.push_back(shown + ":" + std::to_string(warning.line) + ": " +
                                  warning.message);
      }
      if (rewritten.changes.empty()) {
        continue;
      }
      for (const manifest::Change &c : rewritten.changes) {
        result.changes.push_back({shown, c.line, c.old_value, c.new_value, c.setter});
      }
      result.files.push_back(shown);
      writes.push_back({file, std::move(rewritten.content), {}});
    } catch (const ManifestError &e) {
      failures.emplace_back(e.what());
    }
  }
  if (!failures.empty()) {
    std::string message = "set-image changed nothing because " +
                          std::string(failures.size() == 1 ? "a file" : "some files") +
                          " could not be rewritten:";
    for (const std::string &f : failures) {
      message += "\n  " + f;
    }
    throw ManifestError(message);
  }
  if (result.matched == 0) {
    throw CommandError("no $imagepolicy marker for " + update.group + ":" + update.app +
                       " found under " + result.directory);
  }
  if (options.dry_run || writes.empty()) {
    return result;
  }
  // Every temp file is complete before the first rename, so a failure leaves all files unchanged.
  try {
    for (PendingWrite &w : writes) {
      write_temp(w);
    }
  } catch (...) {
    remove_temps(writes);
    throw;
  }
  for (std::size_t i = 0; i < writes.size(); ++i) {
    if (::rename(writes[i].temp.c_str(), writes[i].target.c_str()) != 0) {
      const int saved = errno;
      std::vector<PendingWrite> rest(writes.begin() + static_cast<std::ptrdiff_t>(i), writes.end());
      remove_temps(rest);
      throw ManifestError("cannot replace " + writes[i].target.string() + ": " +
                          std::strerror(saved));
    }
  }
  return result;
}

} // namespace gitops::commands
