// CPU per instance of the DICOM store's side of STOW, without HTTP and without the parse: the
// upload's file written to the store's temp folder, then put() (index rows, change feed, file
// moved into place), from several threads one instance per call like concurrent STOW requests.
// A benchmark, not a test; run with:
//   ninja -C build bench_dicom_store && ./build/bench_dicom_store DIR
// DIR holds Part 10 files (e.g. from ../shared/bench/dicomweb_load.py gen DIR 100 20), parsed
// beforehand. HEALTHD_BENCH_THREADS (default 4) sets the threads, HEALTHD_BENCH_COMPRESS_THRESHOLD
// the metadata compression threshold in bytes (default: the store's); HEALTHD_BENCH_NAMED_UPLOADS=1
// writes named temp files even where the store offers unnamed ones.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "common/ids.h"
#include "dicom/index.h"
#include "dicom/instance.h"
#include "dicom/json_model.h"
#include "storage/sqlite_dicom_store.h"

namespace fs = std::filesystem;
using namespace healthd;

namespace {

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Prepared {
  std::string bytes;
  dicom::NewInstance instance;
};

std::vector<Prepared> prepare(const fs::path& dir) {
  std::vector<fs::path> paths;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".dcm") paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  std::vector<Prepared> out;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    Prepared x;
    x.bytes.assign(std::istreambuf_iterator<char>(in), {});
    std::string error;
    auto instance = dicom::Instance::parse(x.bytes, &error);
    if (!instance) {
      std::fprintf(stderr, "%s: %s\n", p.c_str(), error.c_str());
      std::exit(1);
    }
    dicom::JsonOptions jo;
    jo.bulk_data_base = "healthd-bulk:";
    x.instance.metadata_json = dicom::to_dicom_json_text(*instance, jo, &error);
    x.instance.index = dicom::extract_index(*instance);
    x.instance.size = static_cast<int64_t>(x.bytes.size());
    x.instance.tags_version = 1;
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR_OF_DCM_FILES\n", argv[0]);
    return 2;
  }
  const bool named = std::getenv("HEALTHD_BENCH_NAMED_UPLOADS") != nullptr;
  const int threads = std::getenv("HEALTHD_BENCH_THREADS") ? std::atoi(std::getenv("HEALTHD_BENCH_THREADS")) : 4;
  std::vector<Prepared> items = prepare(argv[1]);
  const fs::path dir = fs::temp_directory_path() / ("healthd-dicom-store-bench-" + new_uuid());
  storage::SqliteDicomStoreOptions options;
  options.dir = dir.string();
  if (const char* t = std::getenv("HEALTHD_BENCH_COMPRESS_THRESHOLD")) options.compress_threshold = std::strtoull(t, nullptr, 10);
  auto store = storage::open_sqlite_dicom_store(options);

  std::atomic<size_t> next{0}, failed{0};
  const double cpu0 = process_cpu_seconds();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (size_t i; (i = next++) < items.size();) {
        Prepared& x = items[i];
        // Like the STOW service: an unnamed upload where the store has them, else a named one.
        int fd = named ? -1 : store->open_unnamed_upload();
        if (fd >= 0) {
          x.instance.temp_fd = fd;
        } else {
          x.instance.temp_file = (fs::path(store->temp_dir()) / (new_uuid() + ".part")).string();
          fd = ::open(x.instance.temp_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        }
        if (fd < 0 || ::write(fd, x.bytes.data(), x.bytes.size()) != static_cast<ssize_t>(x.bytes.size())) std::abort();
        if (x.instance.temp_fd < 0) ::close(fd);
        auto results = store->put({x.instance}, false);
        if (x.instance.temp_fd >= 0) ::close(fd);
        if (results.front().status != dicom::PutResult::Status::Created) ++failed;
      }
    });
  for (auto& t : pool) t.join();
  const double cpu = process_cpu_seconds() - cpu0;
  store->close();
  uintmax_t db_bytes = 0;
  for (const char* f : {"dicom.db", "dicom.db-wal"})
    if (fs::exists(dir / f)) db_bytes += fs::file_size(dir / f);
  std::printf("instances=%zu failed=%zu threads=%d uploads=%s cpu_ms_per_instance=%.4f index_bytes_per_instance=%.0f\n",
              items.size(), failed.load(), threads, named ? "named" : "unnamed", cpu * 1000 / items.size(),
              static_cast<double>(db_bytes) / items.size());
  fs::remove_all(dir);
  return failed ? 1 : 0;
}
