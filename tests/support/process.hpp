#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

// The tests' one way to run other programs: to completion (run_command with argv, run_shell through
// /bin/sh), or in the background for a suite's lifetime (ChildProcess, for Prism and servers).
namespace gitops::test {

// The outcome of a finished child process.
struct CommandResult {
  int exit_code = -1; // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] looked up in PATH) in `cwd` with `env` added to (or replacing entries of)
// the environment, and waits for it. Never throws for a non-zero exit; throws std::runtime_error
// when the process cannot be started.
CommandResult run_command(const std::vector<std::string> &argv, const std::filesystem::path &cwd,
                          const std::map<std::string, std::string> &env = {});

// What a shell command printed (stdout and stderr together) and how it exited (-1: not normally).
struct ShellResult {
  int exit_code = -1;
  std::string output;
};

// `text` as one single-quoted shell word.
[[nodiscard]] std::string shell_quote(const std::string &text);

// Runs `command` through /bin/sh and collects its output; never throws for a non-zero exit.
[[nodiscard]] ShellResult run_shell(const std::string &command);

// Runs `command` and returns its output; throws std::runtime_error (with the output) on non-zero.
std::string shell(const std::string &command);

// A child process whose stdout and stderr go to a log file. The destructor stops it (SIGTERM to its
// own pid, then SIGKILL after a grace period) and reaps it; it never signals anything else.
class ChildProcess {
public:
  // Starts `argv[0]` (searched in PATH) with `argv`; throws std::runtime_error when it cannot
  // start.
  ChildProcess(std::vector<std::string> argv, std::filesystem::path log_file);
  ~ChildProcess();
  ChildProcess(const ChildProcess &) = delete;
  ChildProcess &operator=(const ChildProcess &) = delete;

  // Whether the process is still running (reaps it when it has exited).
  [[nodiscard]] bool running();
  // Stops the process if it is still running; idempotent.
  void stop();
  [[nodiscard]] pid_t pid() const noexcept { return m_pid; }
  // The log file's content so far (for failure messages).
  [[nodiscard]] std::string log() const;
  [[nodiscard]] const std::filesystem::path &log_file() const noexcept { return m_log_file; }

private:
  pid_t m_pid = -1;
  bool m_reaped = false;
  std::filesystem::path m_log_file;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
[[nodiscard]] int free_port();

// Waits until something accepts TCP connections on 127.0.0.1:`port`. Returns false after `timeout`
// or as soon as `process` (when given) has exited.
[[nodiscard]] bool wait_for_port(int port, std::chrono::milliseconds timeout,
                                 ChildProcess *process = nullptr);

} // namespace gitops::test
