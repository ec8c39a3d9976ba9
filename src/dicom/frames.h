// Frames of an instance's Pixel Data for WADO-RS /frames.
//
// Native (uncompressed) Pixel Data is cut into frames of Rows x Columns x SamplesPerPixel x
// BitsAllocated bits, read from the file at the frame's offset (little endian), so a frame of a
// 2 GB instance costs one frame of memory. Bit-packed data (BitsAllocated 1) packs frames
// back to back; a frame is served starting at a byte boundary, its last byte padded with zeros.
//
// Encapsulated (compressed) frames are served as stored (the fragments that hold the frame,
// see encapsulated.h) or decoded to native little endian by the registered codecs; either can be
// re-encoded in another compressed syntax (frame_transcode.h).
#pragma once

#include <cstdint>
#include <string>

#include "dicom/bulk.h"

namespace healthd::dicom {

class Instance;

struct FrameLayout {
  uint32_t count = 0;        // NumberOfFrames (1 when absent)
  uint64_t frame_bits = 0;   // native: bits of one frame in Pixel Data
  uint64_t frame_bytes = 0;  // native: bytes of one frame as served (frame_bits rounded up)
  bool encapsulated = false;
};

// False with *error when the instance has no Pixel Data or its geometry is missing or does not fit
// the value length.
bool frame_layout(const Instance& instance, FrameLayout* layout, std::string* error);

// Streams frame `index` (0-based) of native Pixel Data.
bool read_native_frame(const Instance& instance, const FrameLayout& layout, uint32_t index, const BulkSink& sink,
                       std::string* error);

// Frame `index` of encapsulated Pixel Data as stored: its compressed bytes.
bool read_encapsulated_frame(const Instance& instance, const FrameLayout& layout, uint32_t index, std::string& out,
                             std::string* error);

// Frame `index` of encapsulated Pixel Data decoded to native little endian pixels
// (color-by-pixel; YBR JPEG and JPEG 2000 RCT/ICT frames come out RGB). False with *error when no
// codec reads the syntax or the frame does not decode. *photometric (when given): the
// Photometric Interpretation of the decoded pixels.
bool decode_frame(const Instance& instance, const FrameLayout& layout, uint32_t index, std::string& out,
                  std::string* error, std::string* photometric = nullptr);

}  // namespace healthd::dicom
