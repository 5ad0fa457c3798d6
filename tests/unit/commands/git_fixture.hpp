#pragma once

#include "support/git_sandbox.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace gitops::test {

// `path` quoted for the shell.
inline std::string quote(const std::filesystem::path &path) {
  return shell_quote(path.string());
}

// A real git repository in a temp dir, driven with the git command line (independent of libgit2).
class GitRepo {
public:
  GitRepo() { git("init -q -b main"); }

  [[nodiscard]] const std::filesystem::path &path() const { return m_dir.path(); }

  // Runs `git <args>` (shell syntax) in the repository, isolated as test::git_shell is.
  std::string git(const std::string &args) const { return git_shell(path(), args); }

  void write(const std::string &rel, const std::string &content) const {
    write_file(path() / rel, content);
  }

  // Stages everything and commits; returns the new HEAD.
  std::string commit_all(const std::string &message = "commit") const {
    git("add -A");
    git("commit -q -m " + quote(message));
    return head();
  }

  [[nodiscard]] std::string head() const { return git("rev-parse HEAD"); }

  // Refs, HEAD, index bytes and status: everything `new --dry-run` must leave alone.
  [[nodiscard]] std::string snapshot() const {
    return git("for-each-ref --format='%(refname) %(objectname)'") + "\nHEAD " + head() + "\n" +
           git("symbolic-ref -q HEAD || true") + "\nstatus:\n" +
           git("status --porcelain --untracked-files=all") + "\nindex:\n" +
           read_file(path() / ".git" / "index");
  }

private:
  TempDir m_dir{"gp-cmd-repo-"};
};

// The sample GitOps repository used by tests and the demo: environments dev, qa (auto) and prod
// (manual); group webshop with apps cart (Deployment marker) and webui (kustomization markers).
inline constexpr const char *k_config = "environments:\n"
                                        "  - name: dev\n"
                                        "    auto: true\n"
                                        "  - name: qa\n"
                                        "    auto: true\n"
                                        "  - name: prod\n"
                                        "    auto: false\n";

inline std::string cart_deployment(const std::string &tag) {
  return "apiVersion: apps/v1\n"
         "kind: Deployment\n"
         "metadata:\n"
         "  name: cart\n"
         "spec:\n"
         "  template:\n"
         "    spec:\n"
         "      containers:\n"
         "        - name: cart\n"
         "          image: registry.example.com/webshop/cart:" +
         tag + " # {\"$imagepolicy\": \"webshop:cart\"}\n";
}

inline std::string webui_kustomization(const std::string &tag) {
  return "apiVersion: kustomize.config.k8s.io/v1beta1\n"
         "kind: Kustomization\n"
         "resources:\n"
         "  - deployment.yaml\n"
         "images:\n"
         "  - name: webui\n"
         "    newName: registry.example.com/webshop/webui # {\"$imagepolicy\": "
         "\"webshop:webui:name\"}\n"
         "    newTag: " +
         tag + " # {\"$imagepolicy\": \"webshop:webui:tag\"}\n";
}

// Writes the sample repository's files under `root` (dev, qa, prod of group webshop).
inline void write_sample(const std::filesystem::path &root, const std::string &cart_tag = "1.0.0") {
  write_file(root / "gitops-promotion.yaml", k_config);
  for (const char *env : {"dev", "qa", "prod"}) {
    const std::filesystem::path dir = root / "webshop" / env;
    write_file(dir / "cart" / "deployment.yaml", cart_deployment(cart_tag));
    write_file(dir / "webui" / "kustomization.yaml", webui_kustomization("1.0.0"));
    write_file(dir / "webui" / "deployment.yaml", "kind: Deployment\nmetadata:\n  name: webui\n");
  }
}

} // namespace gitops::test
