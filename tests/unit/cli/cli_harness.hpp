#pragma once

#include "gitops/cli/app.hpp"

#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace gitops::test {

// One cli::run call with captured streams, a fixed environment and (optionally) the execute
// override.
struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
  std::optional<cli::Invocation> invocation; // set when the override ran
};

// Parses only: the override records the invocation and returns 0, so nothing executes.
inline CliRun parse_only(const std::vector<std::string> &args,
                         const std::filesystem::path &cwd = "/nonexistent-cwd") {
  std::ostringstream out;
  std::ostringstream err;
  CliRun result;
  cli::RunContext context;
  context.out = &out;
  context.err = &err;
  context.env = util::fixed_env({});
  context.cwd = cwd;
  context.execute_override = [&result](const cli::Invocation &inv) {
    result.invocation = inv;
    return 0;
  };
  result.code = cli::run(args, context);
  result.out = out.str();
  result.err = err.str();
  return result;
}

// Parses and executes for real (with a fixed environment).
inline CliRun execute(const std::vector<std::string> &args, const std::filesystem::path &cwd,
                      std::map<std::string, std::string> env = {}) {
  std::ostringstream out;
  std::ostringstream err;
  cli::RunContext context;
  context.out = &out;
  context.err = &err;
  context.env = util::fixed_env(std::move(env));
  context.cwd = cwd;
  CliRun result;
  result.code = cli::run(args, context);
  result.out = out.str();
  result.err = err.str();
  return result;
}

} // namespace gitops::test
