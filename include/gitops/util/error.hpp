#pragma once

#include <optional>
#include <stdexcept>
#include <string>

namespace gitops {

// Base of every error the project throws; the CLI catches it in one place and maps it to an exit
// code. Never thrown directly: throw a subclass that says which layer failed.
class Error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;

protected:
  Error(const Error &) = default;
  Error &operator=(const Error &) = default;
  ~Error() override = default;
};

// A bad flag or flag combination: exit code 2.
class UsageError final : public Error {
public:
  using Error::Error;
};

// gitops-promotion.yaml could not be read or is invalid; the message names the file, key and line.
class ConfigError final : public Error {
public:
  using Error::Error;
};

// A manifest could not be read, rewritten or re-parsed; the message names the file (and line).
class ManifestError final : public Error {
public:
  using Error::Error;
};

// PR metadata, a branch name or another piece of promotion state is malformed or unsafe.
class StateError final : public Error {
public:
  using Error::Error;
};

// A libgit2 call failed: what was being done, plus libgit2's own code, class and message.
class GitError final : public Error {
public:
  GitError(const std::string &what, int code = -1, int klass = 0)
      : Error(what), m_code(code), m_klass(klass) {}
  [[nodiscard]] int code() const noexcept { return m_code; }
  [[nodiscard]] int klass() const noexcept { return m_klass; }

private:
  int m_code;
  int m_klass;
};

// An HTTP request could not be completed at all (DNS, connect, TLS, timeout), after any retries.
// http::TransportError, one attempt's failure as a transport reports it, derives from it.
class HttpError : public Error {
public:
  using Error::Error;
};

// A provider API answered with an error; carries the HTTP status (0 when not an HTTP answer).
class ProviderError final : public Error {
public:
  explicit ProviderError(const std::string &what, long status = 0)
      : Error(what), m_status(status) {}
  [[nodiscard]] long status() const noexcept { return m_status; }

private:
  long m_status;
};

// The status gate saw a failed health status or timed out: exit 1 with what was seen.
class GateError final : public Error {
public:
  using Error::Error;
};

// A command cannot do what was asked: no marker matched, a directory is missing, a command is not
// implemented yet. Exit 1.
class CommandError final : public Error {
public:
  using Error::Error;
};

} // namespace gitops
