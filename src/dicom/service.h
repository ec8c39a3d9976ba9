// DicomService: the DICOMweb API of one DICOM service (STOW-RS, QIDO-RS, WADO-RS, delete, change
// feed), transport-independent. Takes a Request whose `segments` are the path below the service
// base (starting with the version, "v1" or "v2"), returns a Response.
#pragma once

#include <memory>
#include <string>

#include "common/request.h"
#include "dicom/settings.h"

namespace healthd::dicom {

class Store;

class DicomService {
 public:
  DicomService(std::string name, DicomSettings settings, std::shared_ptr<Store> store);
  ~DicomService();

  Response handle(Request& request);

  const DicomSettings& settings() const;
  // Where the HTTP layer writes large uploads (the store's folder for uploads in progress).
  std::string upload_dir() const;
  // Finishes pending writes and closes the store.
  void close();

  struct Impl;  // service_impl.h, shared by the handler files only

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace healthd::dicom
