// Test support, in one place for every module's tests (common is everyone's left): run a shell
// command and keep its exit code and standard output. Tests that start long-lived processes
// (servers, the binary under test) use cli/tests/process.h's Process.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace flowsentry::testing {

struct ShellResult {
  int code = -1;  // the exit code; -1 when the command could not start or was killed
  std::string out;
};

// Runs `command` with /bin/sh. `trim` drops trailing newlines and spaces (for one-word output
// such as a broker address).
inline ShellResult shell_run(const std::string& command, bool trim = false) {
  ShellResult r;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return r;
  std::array<char, 8192> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (trim && !r.out.empty() &&
         (r.out.back() == '\n' || r.out.back() == '\r' || r.out.back() == ' ')) {
    r.out.pop_back();
  }
  return r;
}

}  // namespace flowsentry::testing
