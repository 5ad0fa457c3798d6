#include "gitops/cli/app.hpp"
#include "gitops/git/repository.hpp"
#include "gitops/http/curl_http_client.hpp"

// Process-wide library state lives exactly as long as main; everything else is in the library.
int main(int argc, char **argv) {
  const gitops::git::LibGit2Session libgit2;
  const gitops::http::CurlGlobal curl;
  return gitops::cli::run(argc, argv);
}
