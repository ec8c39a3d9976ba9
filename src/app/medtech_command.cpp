// `healthd medtech debug --device-mapping F [--fhir-mapping G] --message M`: the mapping debugger
// offline. Prints {"measurements", "observations", "errors"} (medtech::debug) as JSON; writes
// nothing. Identity is not resolved: the message's device and patient ids stand for the resource
// ids. Exit status 0 when there are no errors, 1 when there are, 2 on a usage error.
#include <cstdio>
#include <string>

#include "app/commands.h"
#include "common/file_io.h"
#include "common/time.h"
#include "json/json.h"
#include "medtech/debug.h"

namespace healthd::app {

int medtech_command(int argc, char** argv) {
  if (argc < 3 || std::string(argv[2]) != "debug") return usage_error("usage: healthd medtech debug --device-mapping F ...");
  std::string device_file, fhir_file, message_file;
  for (int i = 3; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return usage_error("option '" + arg + "' needs a value");
    std::string v = argv[++i];
    if (arg == "--device-mapping") device_file = v;
    else if (arg == "--fhir-mapping") fhir_file = v;
    else if (arg == "--message") message_file = v;
    else return usage_error("unknown option '" + arg + "'");
  }
  if (device_file.empty() || message_file.empty())
    return usage_error("medtech debug needs --device-mapping and --message");
  std::string device, fhir, message;
  using Input = std::pair<const std::string*, std::string*>;
  for (auto [path, out] : {Input{&device_file, &device}, Input{&fhir_file, &fhir}, Input{&message_file, &message}}) {
    if (path->empty()) continue;
    if (!read_file(*path, *out)) {
      std::fprintf(stderr, "healthd medtech debug: cannot read '%s'\n", path->c_str());
      return 1;
    }
  }
  medtech::DebugRequest request;
  request.device_mapping = device;
  request.fhir_mapping = fhir;
  request.message = message;
  request.now_us = now_us();
  json::Document out = medtech::debug(request);
  std::printf("%s\n", json::to_string(out, true).c_str());
  const json::Value* errors = json::get_member(out, "errors");
  return errors && errors->IsArray() && !errors->Empty() ? 1 : 0;
}

}  // namespace healthd::app
