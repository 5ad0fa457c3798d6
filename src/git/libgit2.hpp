#pragma once

// Private to src/git/: RAII handles and error checking for libgit2. Never include from a public
// header.

#include "libgit2_library.hpp"

#include "gitops/util/error.hpp"

#include <git2.h>

#include <memory>
#include <string>
#include <string_view>

namespace gitops::git::detail {

// Calls the libgit2 free function in `Slot` (a member of Libgit2) on destruction of a unique_ptr.
// Only reached for a handle libgit2 made, so the library is already loaded.
template <auto Slot> struct Deleter {
  template <class T> void operator()(T *p) const noexcept { (libgit2().*Slot)(p); }
};

using RepositoryPtr = std::unique_ptr<git_repository, Deleter<&Libgit2::git_repository_free>>;
using ReferencePtr = std::unique_ptr<git_reference, Deleter<&Libgit2::git_reference_free>>;
using CommitPtr = std::unique_ptr<git_commit, Deleter<&Libgit2::git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, Deleter<&Libgit2::git_tree_free>>;
using TreeEntryPtr = std::unique_ptr<git_tree_entry, Deleter<&Libgit2::git_tree_entry_free>>;
using BlobPtr = std::unique_ptr<git_blob, Deleter<&Libgit2::git_blob_free>>;
using ObjectPtr = std::unique_ptr<git_object, Deleter<&Libgit2::git_object_free>>;
using SignaturePtr = std::unique_ptr<git_signature, Deleter<&Libgit2::git_signature_free>>;
using RemotePtr = std::unique_ptr<git_remote, Deleter<&Libgit2::git_remote_free>>;
using PatchPtr = std::unique_ptr<git_patch, Deleter<&Libgit2::git_patch_free>>;
using RevwalkPtr = std::unique_ptr<git_revwalk, Deleter<&Libgit2::git_revwalk_free>>;
using PackbuilderPtr = std::unique_ptr<git_packbuilder, Deleter<&Libgit2::git_packbuilder_free>>;

// A git_buf on the stack, disposed when the scope ends. An empty one was never filled, so its
// destructor does not reach for the library (which may be the thing that failed to load).
struct Buf {
  git_buf buf = GIT_BUF_INIT;
  Buf() = default;
  ~Buf() {
    if (buf.ptr != nullptr) {
      libgit2().git_buf_dispose(&buf);
    }
  }
  Buf(const Buf &) = delete;
  Buf &operator=(const Buf &) = delete;
  [[nodiscard]] std::string_view view() const { return {buf.ptr, buf.size}; }
};

// libgit2's last error message for this thread, copied at once: the buffer is reused by the next
// call, and libgit2 1.5 may report no error at all (NULL).
[[nodiscard]] inline std::string last_error_message() {
  const git_error *e = libgit2().git_error_last();
  if (e == nullptr || e->message == nullptr) {
    return "unknown libgit2 error";
  }
  return e->message;
}

[[nodiscard]] inline int last_error_class() {
  const git_error *e = libgit2().git_error_last();
  return e == nullptr ? 0 : e->klass;
}

// Throws GitError "<what>: <libgit2 message>" when `rc` is negative; returns `rc` otherwise.
inline int check(int rc, std::string_view what) {
  if (rc < 0) {
    throw GitError(std::string(what) + ": " + last_error_message(), rc, last_error_class());
  }
  return rc;
}

// The 40-hex form of `oid`.
[[nodiscard]] inline std::string to_hex(const git_oid &oid) {
  char out[GIT_OID_HEXSZ + 1] = {};
  libgit2().git_oid_tostr(out, sizeof out, &oid);
  return out;
}

} // namespace gitops::git::detail
