// healthd: command-line entry point. Wires config -> workspaces -> services -> HTTP server.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "http/server.h"
#include "workspace/config.h"
#include "workspace/platform.h"

namespace {

constexpr const char* kUsage = R"(healthd: self-hosted FHIR R4 / DICOMweb / MedTech platform

usage:
  healthd serve [--config FILE] [--host 127.0.0.1] [--port 8080] [--data ./data]
  healthd version
  healthd help

With no --config, healthd serves workspace "default" holding FHIR service "default"
at http://HOST:PORT/default/fhir/default, with its data under --data.
)";

int usage_error(const std::string& why) {
  std::fprintf(stderr, "healthd: %s\n\n%s", why.c_str(), kUsage);
  return 2;
}

healthd::http::ServerOptions server_options(const healthd::workspace::ServerConfig& s) {
  healthd::http::ServerOptions o;
  o.host = s.host;
  o.port = static_cast<uint16_t>(s.port);
  o.io_threads = s.io_threads;
  o.workers = s.workers;
  o.max_queue = s.max_queue;
  o.max_body_bytes = s.max_body_bytes;
  o.max_header_bytes = s.max_header_bytes;
  o.read_timeout_s = s.read_timeout_s;
  o.idle_timeout_s = s.idle_timeout_s;
  o.shutdown_grace_s = s.shutdown_grace_s;
  o.gzip_min_bytes = s.gzip_min_bytes;
  return o;
}

int serve(int argc, char** argv) {
  using namespace healthd;
  std::string config_path;
  workspace::ConfigOverrides overrides;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)flag;
      return argv[++i];
    };
    const char* v = nullptr;
    if (arg == "--config" && (v = value("--config"))) {
      config_path = v;
    } else if (arg == "--host" && (v = value("--host"))) {
      overrides.host = v;
    } else if (arg == "--port" && (v = value("--port"))) {
      try {
        size_t used = 0;
        int port = std::stoi(v, &used);
        if (used != std::strlen(v) || port < 0 || port > 65535) throw std::invalid_argument("range");
        overrides.port = port;
      } catch (const std::exception&) {
        return usage_error(std::string("--port must be a number from 0 to 65535, not '") + v + "'");
      }
    } else if (arg == "--data" && (v = value("--data"))) {
      overrides.data_dir = v;
    } else {
      return usage_error("unknown or incomplete option '" + arg + "'");
    }
  }

  workspace::PlatformConfig config;
  try {
    config = config_path.empty() ? workspace::default_config() : workspace::load_config(config_path);
    workspace::apply_overrides(config, overrides);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "healthd: configuration error: %s\n", e.what());
    return 2;
  }

  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(config.log_level));

  try {
    workspace::Platform platform(config);
    platform.open();
    http::Server server(
        server_options(config.server), [&platform](Request& r) { return platform.handle(r); },
        [&platform](Request& r) { return platform.fast(r); });
    server.start();
    std::string origin = "http://" + config.server.host + ":" + std::to_string(server.port());
    spdlog::info("healthd listening on {} (data: {})", origin, config.data_dir);
    for (const auto& ws : config.workspaces)
      for (const auto& svc : ws.services)
        spdlog::info("  {} service {}/{}: {}/{}/{}/{}", workspace::service_kind_name(svc.kind), ws.name, svc.name,
                     origin, ws.name, workspace::service_kind_name(svc.kind), svc.name);
    spdlog::info("  health: {}/health  metrics: {}/metrics  management: {}/management/workspaces", origin, origin,
                 origin);
    server.run_until_signal();
    spdlog::info("healthd: shutting down, closing stores");
    platform.close();
    spdlog::info("healthd: stopped");
  } catch (const std::exception& e) {
    spdlog::critical("healthd: {}", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage_error("no command given");
  std::string cmd = argv[1];
  if (cmd == "serve") return serve(argc, argv);
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
