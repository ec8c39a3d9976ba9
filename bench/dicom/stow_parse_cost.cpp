// CPU cost per instance of what a STOW request does with each part before the store: parse
// (Instance::parse from memory), the checks (check_stow), the DICOM JSON (to_dicom_json_text), the
// index (extract_index) and freeing the instance. One thread, thread CPU time, so the figures
// hold on a busy machine too.
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
#include "dicom/stow.h"

namespace {

double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
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
  double parse = 0, check = 0, json = 0, index = 0, free = 0;
  size_t json_bytes = 0;
  for (int i = 0; i < iterations; ++i) {
    double t0 = thread_cpu_ms();
    std::string error;
    auto instance = Instance::parse(bytes, &error);
    double t1 = thread_cpu_ms();
    if (!instance) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), error.c_str());
      return 1;
    }
    StowOptions options;
    StowCheck result = check_stow(*instance, options);
    double t2 = thread_cpu_ms();
    JsonOptions jo;
    jo.bulk_data_base = "healthd-bulk:";
    json_bytes = to_dicom_json_text(*instance, jo, &error).size();
    double t3 = thread_cpu_ms();
    IndexAttributes x = extract_index(*instance, options.extended_query_tags);
    double t4 = thread_cpu_ms();
    instance.reset();
    double t5 = thread_cpu_ms();
    if (!result.accepted() || json_bytes == 0 || !x.sop_instance_uid) {
      std::fprintf(stderr, "%s: not accepted or no JSON\n", path.c_str());
      return 1;
    }
    parse += t1 - t0, check += t2 - t1, json += t3 - t2, index += t4 - t3, free += t5 - t4;
  }
  const double n = iterations;
  std::printf("| file | instances | parse | check | JSON | index | free | total (ms CPU per instance) | JSON bytes |\n");
  std::printf("| %s | %d | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %zu |\n", path.substr(path.rfind('/') + 1).c_str(),
              iterations, parse / n, check / n, json / n, index / n, free / n, (parse + check + json + index + free) / n,
              json_bytes);
  return 0;
}
