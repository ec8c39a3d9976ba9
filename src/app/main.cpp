// healthd: command-line entry point. Wires config -> workspaces -> services -> HTTP server.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "app/commands.h"

namespace healthd::app {

const char* const kUsage = R"(healthd: self-hosted FHIR R4 / DICOMweb / MedTech platform

usage:
  healthd serve [--config FILE] [--host 127.0.0.1] [--port 8080] [--data ./data]
  healthd token [--data ./data] [--client ID] [--roles "FHIR Data Reader,..."] [--scope "patient/*.rs"]
                [--fhir-user Patient/123] [--audience URL] [--lifetime 3600]
  healthd rotate-key [--data ./data] [--retire-after-s 86460]
  healthd medtech debug --device-mapping FILE [--fhir-mapping FILE] --message FILE
  healthd load --data-url http://HOST:PORT/{ws}/fhir/{svc} [--token T] [--concurrency 16] [--batch 500]
               [--state healthd-load.state] [--resume] FILE_OR_DIR...
  healthd version
  healthd help

With no --config, healthd serves workspace "default" holding FHIR service "default"
at http://HOST:PORT/default/fhir/default, DICOM service "default" at
http://HOST:PORT/default/dicom/default and MedTech service "default" at
http://HOST:PORT/default/medtech/default (writing into FHIR service "default"), with their
data under --data.
)";

int usage_error(const std::string& why) {
  std::fprintf(stderr, "healthd: %s\n\n%s", why.c_str(), kUsage);
  return 2;
}

}  // namespace healthd::app

int main(int argc, char** argv) {
  using namespace healthd::app;
  if (argc < 2) return usage_error("no command given");
  std::string cmd = argv[1];
  if (cmd == "serve") return serve_command(argc, argv);
  if (cmd == "token") return token_command(argc, argv);
  if (cmd == "rotate-key") return rotate_key_command(argc, argv);
  if (cmd == "medtech") return medtech_command(argc, argv);
  if (cmd == "load") return load_command(argc, argv);
  if (cmd == "version" || cmd == "--version") {
    std::printf("healthd 0.1.0 (FHIR R4 4.0.1)\n");
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    std::printf("%s", kUsage);
    return 0;
  }
  return usage_error("unknown command '" + cmd + "'");
}
