// Naming and prioritizing the calling thread (Linux). A single serial stage (the FHIR store's
// writer) that many request threads feed must not wait for a core behind them: on 2 cores the
// fair scheduler otherwise gives it a share of CPU in proportion to the runnable request threads,
// and the whole pipeline slows to that share.
#pragma once

#include <string>

namespace healthd {

// Shown by `top -H`, `ps -L` and /proc/PID/task/TID/comm; Linux keeps the first 15 bytes.
void name_this_thread(const std::string& name);

// Sets the calling thread's nice value (-20 highest priority .. 19 lowest). Raising priority
// (a negative value) needs root or CAP_SYS_NICE; returns false when it was not allowed.
bool set_this_thread_nice(int nice);

}  // namespace healthd
