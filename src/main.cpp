#include "gitops/cli/app.hpp"

// Library state is set up where it is needed, not here: a Repository holds libgit2's (whose
// initialisation parses the whole CA bundle) and a CurlHttpClient libcurl's, so `--version`,
// `--help`, `lint` and `set-image` start without either.
int main(int argc, char **argv) {
  return gitops::cli::run(argc, argv);
}
