// Per-service settings of a DICOM service (from the config file or the management API).
#pragma once

#include <cstdint>
#include <string>

#include "common/cors.h"

namespace healthd::dicom {

struct DicomSettings {
  // STOW of an instance that is already stored: false answers FailureReason 45070; true replaces
  // it (the change feed records an update and marks the earlier entries replaced).
  bool overwrite = false;
  // The largest STOW-RS request body (uploads above 1 MB stream to a file, never into memory).
  uint64_t max_upload_bytes = 8ull << 30;
  std::string audience;  // the `aud` its tokens must carry; empty: the service's base URL
  CorsPolicy cors;       // browsers' cross-origin access (disabled when no origins)
};

}  // namespace healthd::dicom
