#include "cli/signals.h"

#include <signal.h>

#include <atomic>
#include <ctime>

namespace flowsentry::cli {
namespace {

std::atomic<bool> g_reload{false};

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (g_reload) sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void block_signals(bool reload) {
  if (reload) g_reload = true;
  auto set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int wait_for_signal(std::chrono::milliseconds timeout) {
  auto set = stop_signals();
  timespec ts{static_cast<time_t>(timeout.count() / 1000),
              static_cast<long>((timeout.count() % 1000) * 1000000)};
  int sig = sigtimedwait(&set, nullptr, &ts);
  return sig > 0 ? sig : 0;
}

}  // namespace flowsentry::cli
