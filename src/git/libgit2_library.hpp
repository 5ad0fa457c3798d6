#pragma once

// Private to src/git/: libgit2, loaded when a repository is first opened. Nothing outside git/ sees
// <git2.h>.

#include <git2.h>

namespace gitops::git::detail {

// Every libgit2 function src/git/ calls: X(name) for each, in alphabetical order. A call is
// `libgit2().name(…)`, with the type <git2.h> declares.
#define GP_LIBGIT2_FUNCTIONS(X)                                                                    \
  X(git_blob_create_from_buffer)                                                                   \
  X(git_blob_free)                                                                                 \
  X(git_blob_lookup)                                                                               \
  X(git_blob_rawcontent)                                                                           \
  X(git_blob_rawsize)                                                                              \
  X(git_buf_dispose)                                                                               \
  X(git_checkout_tree)                                                                             \
  X(git_commit_author)                                                                             \
  X(git_commit_create)                                                                             \
  X(git_commit_free)                                                                               \
  X(git_commit_id)                                                                                 \
  X(git_commit_lookup)                                                                             \
  X(git_commit_message_raw)                                                                        \
  X(git_commit_parent)                                                                             \
  X(git_commit_parentcount)                                                                        \
  X(git_commit_tree)                                                                               \
  X(git_credential_userpass_plaintext_new)                                                         \
  X(git_diff_options_init)                                                                         \
  X(git_error_last)                                                                                \
  X(git_error_set_str)                                                                             \
  X(git_fetch_options_init)                                                                        \
  X(git_graph_descendant_of)                                                                       \
  X(git_libgit2_init)                                                                              \
  X(git_libgit2_shutdown)                                                                          \
  X(git_object_free)                                                                               \
  X(git_object_id)                                                                                 \
  X(git_object_peel)                                                                               \
  X(git_odb_exists)                                                                                \
  X(git_odb_free)                                                                                  \
  X(git_oid_cpy)                                                                                   \
  X(git_oid_equal)                                                                                 \
  X(git_oid_fromstr)                                                                               \
  X(git_oid_is_zero)                                                                               \
  X(git_oid_tostr)                                                                                 \
  X(git_packbuilder_foreach)                                                                       \
  X(git_packbuilder_free)                                                                          \
  X(git_packbuilder_insert)                                                                        \
  X(git_packbuilder_new)                                                                           \
  X(git_packbuilder_set_threads)                                                                   \
  X(git_patch_free)                                                                                \
  X(git_patch_from_buffers)                                                                        \
  X(git_patch_get_hunk)                                                                            \
  X(git_patch_num_hunks)                                                                           \
  X(git_patch_to_buf)                                                                              \
  X(git_proxy_options_init)                                                                        \
  X(git_push_options_init)                                                                         \
  X(git_reference_create)                                                                          \
  X(git_reference_free)                                                                            \
  X(git_reference_lookup)                                                                          \
  X(git_reference_name_is_valid)                                                                   \
  X(git_reference_name_to_id)                                                                      \
  X(git_reference_symbolic_target)                                                                 \
  X(git_reference_target)                                                                          \
  X(git_remote_connect)                                                                            \
  X(git_remote_disconnect)                                                                         \
  X(git_remote_fetch)                                                                              \
  X(git_remote_free)                                                                               \
  X(git_remote_init_callbacks)                                                                     \
  X(git_remote_lookup)                                                                             \
  X(git_remote_ls)                                                                                 \
  X(git_remote_push)                                                                               \
  X(git_remote_pushurl)                                                                            \
  X(git_remote_url)                                                                                \
  X(git_repository_free)                                                                           \
  X(git_repository_head_detached)                                                                  \
  X(git_repository_is_shallow)                                                                     \
  X(git_repository_odb)                                                                            \
  X(git_repository_open_ext)                                                                       \
  X(git_repository_path)                                                                           \
  X(git_repository_workdir)                                                                        \
  X(git_revparse_single)                                                                           \
  X(git_revwalk_free)                                                                              \
  X(git_revwalk_new)                                                                               \
  X(git_revwalk_next)                                                                              \
  X(git_revwalk_push)                                                                              \
  X(git_revwalk_sorting)                                                                           \
  X(git_signature_free)                                                                            \
  X(git_signature_now)                                                                             \
  X(git_tree_create_updated)                                                                       \
  X(git_tree_entry_byindex)                                                                        \
  X(git_tree_entry_byname)                                                                         \
  X(git_tree_entry_bypath)                                                                         \
  X(git_tree_entry_filemode)                                                                       \
  X(git_tree_entry_free)                                                                           \
  X(git_tree_entry_id)                                                                             \
  X(git_tree_entry_name)                                                                           \
  X(git_tree_entry_type)                                                                           \
  X(git_tree_entrycount)                                                                           \
  X(git_tree_free)                                                                                 \
  X(git_tree_id)                                                                                   \
  X(git_tree_lookup)

// The libgit2 functions, resolved from the library opened with dlopen. Members are named as the
// functions, so a call reads as it would against the linked library.
struct Libgit2 {
#define GP_LIBGIT2_SLOT(name) decltype(&::name) name;
  GP_LIBGIT2_FUNCTIONS(GP_LIBGIT2_SLOT)
#undef GP_LIBGIT2_SLOT
};

// libgit2 (the SONAME of the release this was built against, libgit2.so.MAJOR.MINOR, whose ABI
// libgit2 keeps within a minor release), opened on the first call and kept for the life of the
// process. It and the 13 libraries it pulls in (mbedTLS, libssh2 with libcrypto, Kerberos, PCRE2,
// …) were most of the start-up of every command; now only a command that opens a repository
// loads them. Throws GitError naming the library and the loader's reason when it or a function is
// missing.
[[nodiscard]] const Libgit2 &libgit2();

} // namespace gitops::git::detail
