// `healthd serve`: config -> platform (workspaces, services) -> HTTP server, until SIGINT/SIGTERM.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "app/commands.h"
#include "http/client.h"
#include "http/server.h"
#include "workspace/config.h"
#include "workspace/platform.h"

namespace healthd::app {

namespace {

http::ServerOptions server_options(const workspace::ServerConfig& s) {
  http::ServerOptions o;
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
  o.tls_cert_file = s.tls_cert_file;
  o.tls_key_file = s.tls_key_file;
  return o;
}

}  // namespace

int serve_command(int argc, char** argv) {
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
    // External issuers' discovery documents and key sets, and clients' jwks_url.
    workspace::HttpGet http_get = [](const std::string& url) -> std::optional<std::string> {
      http::HttpResult r = http::http_get(url);
      if (!r.error.empty() || r.status != 200) return std::nullopt;
      return std::move(r.body);
    };
    workspace::Platform platform(config, nullptr, http_get);
    http::ServerOptions options = server_options(config.server);
    options.file_body = [&platform](std::string_view method, std::string_view path) {
      return platform.file_body_rule(method, path);
    };
    http::Server server(
        std::move(options), [&platform](Request& r) { return platform.handle(r); },
        [&platform](Request& r) { return platform.fast(r); });
    server.start();  // bind first: with port 0 the public URL needs the port the OS chose
    bool first_start = !std::filesystem::exists(std::filesystem::path(config.data_dir) / "keys");
    platform.open(config.public_url(server.port()));
    std::string origin = platform.public_url();
    spdlog::info("healthd listening on {} (data: {})", origin, config.data_dir);
    for (const auto& ws : config.workspaces)
      for (const auto& svc : ws.services)
        spdlog::info("  {} service {}/{}: {}/{}/{}/{}", workspace::service_kind_name(svc.kind), ws.name, svc.name,
                     origin, ws.name, workspace::service_kind_name(svc.kind), svc.name);
    spdlog::info("  health: {}/health  metrics: {}/metrics  management: {}/management/workspaces", origin, origin,
                 origin);
    spdlog::info("  token issuer: {} (POST {}/oauth2/token)", platform.security().issuer(), origin);
    if (first_start)
      spdlog::info("  every service needs a bearer token; for a full-access one run: {} token --data {}", argv[0],
                   config.data_dir);
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


}  // namespace healthd::app
