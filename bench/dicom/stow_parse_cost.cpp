// CPU cost per instance of what a STOW request does with each part before the store: parse,
// the checks (check_stow), the DICOM JSON (to_dicom_json_text), the index (extract_index) and
// freeing what was parsed. One row per reader: DCMTK (Instance::parse from memory) and STOW's
// fast reader (raw_dataset.h), which a STOW part uses when it can. One thread, thread CPU time,
// so the figures hold on a busy machine too.
//
// usage: bench_stow_parse [FILE.dcm] [ITERATIONS]   (default: pydicom's CT_small.dcm, 2000)
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "dicom/index.h"
#include "dicom/instance.h"
#include "dicom/json_model.h"
#include "dicom/raw_dataset.h"
#include "dicom/stow.h"

namespace {

double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

struct Row {
  double parse = 0, check = 0, json = 0, index = 0, free = 0;
  size_t json_bytes = 0;
};

// read(bytes) -> a pointer-like parsed upload (Instance or RawDataset), empty when refused.
template <typename Read>
bool measure(const std::string& bytes, int iterations, Read read, Row& row) {
  using namespace healthd::dicom;
  for (int i = 0; i < iterations; ++i) {
    double t0 = thread_cpu_ms();
    auto parsed = read(bytes);
    double t1 = thread_cpu_ms();
    if (!parsed) return false;
    StowOptions options;
    StowCheck result = check_stow(*parsed, options);
    double t2 = thread_cpu_ms();
    JsonOptions jo;
    jo.bulk_data_base = "healthd-bulk:";
    std::string error;
    row.json_bytes = to_dicom_json_text(*parsed, jo, &error).size();
    double t3 = thread_cpu_ms();
    IndexAttributes x = extract_index(*parsed, options.extended_query_tags);
    double t4 = thread_cpu_ms();
    parsed.reset();
    double t5 = thread_cpu_ms();
    if (!result.accepted() || row.json_bytes == 0 || !x.sop_instance_uid) return false;
    row.parse += t1 - t0, row.check += t2 - t1, row.json += t3 - t2, row.index += t4 - t3, row.free += t5 - t4;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace healthd::dicom;
  const std::string path = argc > 1 ? argv[1] : "/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm";
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 2000;
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 1;
  }
  const std::string name = path.substr(path.rfind('/') + 1);
  std::printf("| file | reader | instances | parse | check | JSON | index | free | total (ms CPU per instance) | JSON bytes |\n");
  auto print = [&](const char* reader, const Row& r) {
    const double n = iterations;
    std::printf("| %s | %s | %d | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %zu |\n", name.c_str(), reader, iterations,
                r.parse / n, r.check / n, r.json / n, r.index / n, r.free / n,
                (r.parse + r.check + r.json + r.index + r.free) / n, r.json_bytes);
  };
  Row dcmtk;
  if (!measure(bytes, iterations, [](const std::string& b) { return Instance::parse(b, nullptr); }, dcmtk)) {
    std::fprintf(stderr, "%s: not readable, not accepted or no JSON\n", path.c_str());
    return 1;
  }
  print("DCMTK", dcmtk);
  Row fast;
  const int depth = OpenOptions().max_sequence_depth;
  if (measure(bytes, iterations, [&](const std::string& b) { return detail::RawDataset::read(b, depth); }, fast))
    print("fast reader", fast);
  else
    std::printf("| %s | fast reader | declined: DCMTK reads it |\n", name.c_str());
  return 0;
}
