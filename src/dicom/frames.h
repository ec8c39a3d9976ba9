// Frames of an instance's Pixel Data for WADO-RS /frames. Native (uncompressed) Pixel Data is
// cut into frames of Rows x Columns x SamplesPerPixel x BitsAllocated/8 bytes, read from the
// file at the frame's offset (little endian), so a frame of a 2 GB instance costs one frame of
// memory. Encapsulated frames and bit-packed (BitsAllocated 1) data are not served yet.
#pragma once

#include <cstdint>
#include <string>

#include "dicom/bulk.h"

namespace healthd::dicom {

class Instance;

struct FrameLayout {
  uint32_t count = 0;        // NumberOfFrames (1 when absent)
  uint64_t frame_bytes = 0;  // native only
  bool encapsulated = false;
};

// False with *error when the instance has no Pixel Data or its geometry is missing or does not fit
// the value length.
bool frame_layout(const Instance& instance, FrameLayout* layout, std::string* error);

// Streams frame `index` (0-based) of native Pixel Data.
bool read_native_frame(const Instance& instance, const FrameLayout& layout, uint32_t index, const BulkSink& sink,
                       std::string* error);

}  // namespace healthd::dicom
