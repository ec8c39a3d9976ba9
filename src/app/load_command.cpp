// `healthd load --data-url URL [--token T] [--concurrency 16] [--batch 500] [--state FILE] [--resume]
// FILE_OR_DIR...`: loads transaction Bundles (*.json) and NDJSON files (*.ndjson) into a FHIR
// service over HTTP, several files at a time, with a progress line on stderr. Each file whose
// requests all succeed is appended to the state file, so `--resume` skips it next time.
// Exit status 0 when everything loaded, 1 when something failed, 2 on a usage error.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/commands.h"
#include "app/load_units.h"
#include "http/client.h"
#include "json/json.h"

namespace healthd::app {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kAttempts = 4;                 // a request failing with 429/5xx or no answer is retried
constexpr int kTimeoutMs = 10 * 60 * 1000;   // one Bundle may be large
constexpr size_t kMaxAnswerBytes = 256u << 20;

struct Options {
  std::string data_url, token, state_file = "healthd-load.state";
  int concurrency = 16;
  size_t batch = 500;
  bool resume = false;
  std::vector<std::string> paths;
};

struct Failure {
  std::string file;
  size_t part;
  std::string why;
};

// Shared by the workers and the progress line.
struct Progress {
  std::atomic<uint64_t> resources{0}, bytes_done{0}, files_done{0}, requests{0};
  uint64_t bytes_total = 0, files_total = 0;
  std::mutex mu;
  std::vector<Failure> failures;
  std::ofstream state;
};

std::string first_diagnostics(const std::string& body) {
  json::Document doc;
  if (!json::parse(body, doc) || !doc.IsObject()) return body.substr(0, 300);
  const json::Value* issues = json::get_member(doc, "issue");
  if (issues && issues->IsArray() && !issues->Empty())
    if (auto d = json::get_string((*issues)[0], "diagnostics")) return std::string(*d);
  return body.substr(0, 300);
}

// What one request did: why it failed (empty: every entry succeeded) and how many entries were
// stored.
struct Sent {
  std::string why;
  size_t stored = 0;
};

// Reads a transaction-response/batch-response: the entries that succeeded, and those that did not
// (a batch answers 200 even when entries fail).
Sent read_answer(const std::string& body) {
  json::Document doc;
  if (!json::parse(body, doc) || !doc.IsObject()) return {"the answer is not JSON", 0};
  const json::Value* entries = json::get_member(doc, "entry");
  if (!entries || !entries->IsArray()) return {};
  size_t bad = 0;
  std::string first;
  for (rapidjson::SizeType i = 0; i < entries->Size(); ++i) {
    const json::Value* resp = json::get_member((*entries)[i], "response");
    auto status = resp ? json::get_string(*resp, "status") : std::nullopt;
    if (status && !status->empty() && ((*status)[0] == '2' || (*status)[0] == '3')) continue;
    if (bad++ == 0) {
      first = "entry " + std::to_string(i) + ": " + std::string(status.value_or("no status"));
      if (const json::Value* oo = resp ? json::get_member(*resp, "outcome") : nullptr)
        first += " " + first_diagnostics(json::to_string(*oo));
    }
  }
  Sent out;
  out.stored = entries->Size() - bad;
  if (bad > 0) out.why = std::to_string(bad) + " entries failed; " + first;
  return out;
}

// Sends one Bundle.
Sent send(const Options& o, const LoadUnit& u) {
  Headers h;
  h.set("Content-Type", "application/fhir+json");
  h.set("Prefer", "return=minimal");
  if (!o.token.empty()) h.set("Authorization", "Bearer " + o.token);
  std::string why;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500 << attempt));
    http::HttpResult r = http::http_request("POST", o.data_url, &u.body, h, kTimeoutMs, kMaxAnswerBytes);
    if (!r.error.empty()) {
      why = r.error;
      continue;
    }
    if (r.status == 429 || r.status >= 500) {
      why = "HTTP " + std::to_string(r.status) + ": " + first_diagnostics(r.body);
      continue;
    }
    if (r.status != 200) return {"HTTP " + std::to_string(r.status) + ": " + first_diagnostics(r.body), 0};
    return read_answer(r.body);
  }
  return {why, 0};
}

void load_file(const Options& o, const std::string& file, Progress& p) {
  const uint64_t size = std::filesystem::file_size(file);
  FileUnits fu = load_file_units(file, o.batch);
  bool ok = fu.error.empty();
  if (!ok) {
    std::lock_guard lock(p.mu);
    p.failures.push_back({file, 0, fu.error});
  }
  for (const LoadUnit& u : fu.units) {
    Sent sent = send(o, u);
    p.requests.fetch_add(1);
    p.resources.fetch_add(sent.stored);
    if (!sent.why.empty()) {
      ok = false;
      std::lock_guard lock(p.mu);
      p.failures.push_back({file, u.part, std::move(sent.why)});
    }
  }
  p.bytes_done.fetch_add(size);
  p.files_done.fetch_add(1);
  if (ok) {
    std::lock_guard lock(p.mu);
    p.state << std::filesystem::absolute(file).string() << '\n' << std::flush;
  }
}

void print_progress(const Progress& p, Clock::time_point start, bool final_line) {
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  const double rate = s > 0 ? static_cast<double>(p.resources.load()) / s : 0;
  const double done = p.bytes_total ? static_cast<double>(p.bytes_done.load()) / static_cast<double>(p.bytes_total) : 1;
  const double eta = done > 0 ? s / done - s : 0;
  std::fprintf(stderr, "\r[%5.1f%%] files %llu/%llu, %llu resources, %.0f resources/s, elapsed %.0f s, ETA %.0f s   %s",
               100 * done, static_cast<unsigned long long>(p.files_done.load()),
               static_cast<unsigned long long>(p.files_total), static_cast<unsigned long long>(p.resources.load()),
               rate, s, final_line ? 0.0 : eta, final_line ? "\n" : "");
  std::fflush(stderr);
}

std::optional<int> parse_options(int argc, char** argv, Options& o) {
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--resume") {
      o.resume = true;
      continue;
    }
    if (!arg.starts_with("--")) {
      o.paths.push_back(arg);
      continue;
    }
    if (i + 1 >= argc) return usage_error("option '" + arg + "' needs a value");
    std::string v = argv[++i];
    try {
      if (arg == "--data-url") o.data_url = v;
      else if (arg == "--token") o.token = v;
      else if (arg == "--state") o.state_file = v;
      else if (arg == "--concurrency") o.concurrency = std::stoi(v);
      else if (arg == "--batch") o.batch = std::stoul(v);
      else return usage_error("unknown option '" + arg + "'");
    } catch (const std::exception&) {
      return usage_error("option '" + arg + "' needs a number");
    }
  }
  if (o.data_url.empty()) return usage_error("load needs --data-url http://HOST:PORT/{workspace}/fhir/{service}");
  while (o.data_url.size() > 1 && o.data_url.back() == '/') o.data_url.pop_back();
  if (o.paths.empty()) return usage_error("load needs at least one file or directory");
  if (o.concurrency < 1 || o.concurrency > 256) return usage_error("--concurrency must be 1-256");
  if (o.batch < 1 || o.batch > 100000) return usage_error("--batch must be 1-100000");
  return std::nullopt;
}

}  // namespace

int load_command(int argc, char** argv) {
  Options o;
  if (auto code = parse_options(argc, argv, o)) return *code;
  std::vector<std::string> files;
  try {
    files = load_input_files(o.paths);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "healthd load: %s\n", e.what());
    return 1;
  }

  std::set<std::string> finished;  // from an earlier run (--resume)
  if (o.resume) {
    std::ifstream in(o.state_file);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) finished.insert(line);
  }
  std::vector<std::string> todo;
  for (const auto& f : files)
    if (!finished.count(std::filesystem::absolute(f).string())) todo.push_back(f);

  Progress p;
  p.state.open(o.state_file, o.resume ? std::ios::app : std::ios::trunc);
  if (!p.state) {
    std::fprintf(stderr, "healthd load: cannot write the state file '%s'\n", o.state_file.c_str());
    return 1;
  }
  p.files_total = todo.size();
  for (const auto& f : todo) p.bytes_total += std::filesystem::file_size(f);
  if (files.size() != todo.size())
    std::fprintf(stderr, "healthd load: %zu of %zu files already loaded (%s), skipped\n", files.size() - todo.size(),
                 files.size(), o.state_file.c_str());

  const auto start = Clock::now();
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < std::min<int>(o.concurrency, static_cast<int>(std::max<size_t>(todo.size(), 1))); ++w)
    workers.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < todo.size();) load_file(o, todo[i], p);
    });
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;
  std::thread progress([&] {
    std::unique_lock lock(done_mu);
    while (!done_cv.wait_for(lock, std::chrono::seconds(1), [&] { return done; })) print_progress(p, start, false);
  });
  for (auto& t : workers) t.join();
  {
    std::lock_guard lock(done_mu);
    done = true;
  }
  done_cv.notify_one();
  progress.join();
  print_progress(p, start, true);

  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::fprintf(stderr, "healthd load: %llu resources from %zu files in %llu requests, %.1f s, %.0f resources/s\n",
               static_cast<unsigned long long>(p.resources.load()), todo.size(),
               static_cast<unsigned long long>(p.requests.load()), s, s > 0 ? static_cast<double>(p.resources.load()) / s : 0.0);
  if (p.failures.empty()) return 0;
  std::fprintf(stderr, "healthd load: %zu failures (rerun with --resume to retry the files that failed):\n",
               p.failures.size());
  for (const auto& f : p.failures) std::fprintf(stderr, "  %s part %zu: %s\n", f.file.c_str(), f.part, f.why.c_str());
  return 1;
}

}  // namespace healthd::app
