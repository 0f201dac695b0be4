// SIGINT/SIGTERM handling for long-running commands: block_signals() before starting threads,
// then wait_for_signal() (or poll stop_requested()) in the main thread.
#pragma once

#include <chrono>

namespace flowsentry::cli {

// Blocks SIGINT and SIGTERM in this thread and every thread started after it, so they can be
// received synchronously.
void block_signals();

// Waits up to `timeout` for SIGINT or SIGTERM; returns the signal number, or 0 on timeout.
int wait_for_signal(std::chrono::milliseconds timeout);

}  // namespace flowsentry::cli
