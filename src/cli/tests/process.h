// For integration tests: start the real binary and scripts as child processes, signal them,
// wait for them with a timeout, and capture their output in a log file.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/testing/shell.h"

namespace flowsentry::testing {

class Process {
 public:
  // Starts argv[0] with argv; stdout and stderr go to `log_path`.
  Process(const std::vector<std::string>& argv, const std::string& log_path) : log_(log_path) {
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Process() {
    if (running()) {
      kill(SIGKILL);
      wait(std::chrono::seconds(10));
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void kill(int sig) { ::kill(pid_, sig); }
  bool running() {
    if (exited_) return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) finish(status);
    return !exited_;
  }
  // Exit code, 128+signal when killed, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (running() && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return exited_ ? code_ : -1;
  }
  std::string log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string log_tail(size_t bytes = 3000) const {
    auto l = log();
    return l.size() > bytes ? l.substr(l.size() - bytes) : l;
  }

 private:
  void finish(int status) {
    exited_ = true;
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_t pid_ = -1;
  std::string log_;
  bool exited_ = false;
  int code_ = -1;
};

// Runs a shell command and returns its exit code and stdout (trimmed).
inline std::pair<int, std::string> shell(const std::string& command) {
  auto r = shell_run(command, /*trim=*/true);
  return {r.code, r.out};
}

}  // namespace flowsentry::testing
