#include "common/thread_priority.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

namespace healthd {

void name_this_thread(const std::string& name) { pthread_setname_np(pthread_self(), name.substr(0, 15).c_str()); }

bool set_this_thread_nice(int nice) {
  // On Linux, PRIO_PROCESS with a thread id applies to that thread only.
  return setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) == 0;
}

}  // namespace healthd
