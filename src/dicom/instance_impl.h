// Internal to src/dicom: what an Instance holds. DCMTK types are only forward-declared, so
// this header stays cheap; the DCMTK headers are included by the .cpp files alone.
#pragma once

#include <memory>
#include <string>

#include "dicom/instance.h"

class DcmFileFormat;
class DcmDataset;

namespace healthd::dicom {

struct Instance::Impl {
  ~Impl();

  std::unique_ptr<DcmFileFormat> file;
  std::string path;
  std::string transfer_syntax_uid;
  bool implicit_vr = false;
  bool big_endian = false;
  bool encapsulated = false;  // Pixel Data is a sequence of fragments

  DcmDataset& dataset() const;
};

namespace detail {
// DCMTK process-wide settings (logging off, UN of known tags read with the dictionary VR),
// applied once.
void init_dcmtk();
}  // namespace detail

}  // namespace healthd::dicom
