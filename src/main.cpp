#include "gitops/cli/app.hpp"
#include "gitops/git/repository.hpp"

// Process-wide library state lives exactly as long as main; everything else is in the library.
int main(int argc, char **argv) {
  const gitops::git::LibGit2Session libgit2;
  return gitops::cli::run(argc, argv);
}
