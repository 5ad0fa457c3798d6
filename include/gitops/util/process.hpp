#pragma once

// Running another program (kustomize) and collecting what it says, without a shell.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gitops::util {

// What a finished program left: its exit code (128 + signal number when a signal ended it) and
// everything it wrote.
struct ProcessResult {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is the program's path, or a name looked up in PATH) in directory `cwd`, with
// stdin from /dev/null and this process's environment, and waits for it. stdout and stderr are read
// concurrently; each is kept up to `limit` bytes, beyond which the program is killed and
// CommandError is thrown. Throws CommandError naming the program when it cannot be started.
[[nodiscard]] ProcessResult run_process(const std::vector<std::string> &argv,
                                        const std::filesystem::path &cwd,
                                        std::size_t limit = std::size_t{256} << 20U);

// The executable file `name` in the directories of `path_variable` (PATH's syntax), or
// std::nullopt. A name with a '/' is returned as it is when it is executable.
[[nodiscard]] std::optional<std::filesystem::path>
find_executable(const std::string &name, const std::string &path_variable);

} // namespace gitops::util
