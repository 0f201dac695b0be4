// SIGINT/SIGTERM handling for long-running commands: block_signals() before starting threads,
// then wait_for_signal() (or poll stop_requested()) in the main thread.
#pragma once

#include <chrono>

namespace flowsentry::cli {

// Blocks SIGINT and SIGTERM in this thread and every thread started after it, so they can be
// received synchronously. `reload`: SIGHUP too (a request to reload the model, for commands that
// score), returned by wait_for_signal like the others; otherwise SIGHUP keeps its default.
void block_signals(bool reload = false);

// Waits up to `timeout` for SIGINT or SIGTERM (or SIGHUP, see above); returns the signal number,
// or 0 on timeout.
int wait_for_signal(std::chrono::milliseconds timeout);

}  // namespace flowsentry::cli
