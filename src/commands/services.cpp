#include "gitops/commands/services.hpp"

#include "gitops/util/error.hpp"

namespace fs = std::filesystem;

namespace gitops::commands {

RepositoryRoot locate_root(const git::Repository &repo, const fs::path &sourcedir) {
  RepositoryRoot root;
  root.work_dir = repo.work_dir();
  std::error_code ec;
  const fs::path work = fs::weakly_canonical(root.work_dir, ec);
  const fs::path source = fs::weakly_canonical(sourcedir, ec);
  const fs::path rel = source.lexically_relative(work);
  if (rel.empty() || *rel.begin() == "..") {
    throw CommandError("--sourcedir " + sourcedir.string() + " is not inside the work tree " +
                       root.work_dir.string());
  }
  const std::string text = rel.generic_string();
  if (text != ".") {
    root.prefix = text;
    if (root.prefix.back() != '/') {
      root.prefix += '/';
    }
  }
  return root;
}

void not_implemented(const std::string &what) {
  throw CommandError(what + " is not implemented yet in this version of gitops-promotion");
}

} // namespace gitops::commands
