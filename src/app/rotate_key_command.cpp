// `healthd rotate-key`: makes a new signing key for the built-in issuer. The previous key stays in
// the JWKS (and keeps verifying) until its tokens have expired, then it is retired.
#include <cstdio>
#include <string>

#include "app/commands.h"
#include "auth/signing_keys.h"
#include "common/time.h"

namespace healthd::app {

int rotate_key_command(int argc, char** argv) {
  std::string data = "./data";
  // Default: the longest token lifetime the issuer hands out (1 day) plus clock skew.
  long long retire_after_s = 86400 + 60;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return usage_error("option '" + arg + "' needs a value");
    std::string v = argv[++i];
    if (arg == "--data") {
      data = v;
    } else if (arg == "--retire-after-s") {
      try {
        retire_after_s = std::stoll(v);
      } catch (const std::exception&) {
        retire_after_s = -1;
      }
      if (retire_after_s < 0) return usage_error("--retire-after-s must be a number of seconds");
    } else {
      return usage_error("unknown option '" + arg + "'");
    }
  }
  try {
    auto keys = auth::SigningKeys::open(data);
    std::string old_kid = keys->current_kid();
    keys->rotate(now_us() / 1000000 + retire_after_s);
    std::printf("new signing key %s (previous %s verifies for %llds more)\n", keys->current_kid().c_str(),
                old_kid.c_str(), retire_after_s);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "healthd rotate-key: %s\n", e.what());
    return 1;
  }
}

}  // namespace healthd::app
