#pragma once

#include <string>

namespace gitops::util {

// Who a promotion commit is by (author and committer), whether libgit2 or a forge's API makes it.
struct Identity {
  std::string name;
  std::string email;
};

} // namespace gitops::util
