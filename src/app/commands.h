// The healthd sub-commands.
#pragma once

#include <string>

namespace healthd::app {

int serve_command(int argc, char** argv);
int token_command(int argc, char** argv);
int rotate_key_command(int argc, char** argv);
int medtech_command(int argc, char** argv);
int load_command(int argc, char** argv);

// Prints why and the usage to stderr; returns the exit code 2.
int usage_error(const std::string& why);
extern const char* const kUsage;

}  // namespace healthd::app
