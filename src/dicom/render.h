// Rendered frames for WADO-RS /rendered: one frame as an 8-bit JPEG or PNG, by DCMTK's dcmimage
// (monochrome windowed with the dataset's first WindowCenter/WindowWidth, else its min-max
// range; RGB, YBR and palette color converted to RGB). Compressed instances are decoded by the
// registered codecs, only the frame asked for.
#pragma once

#include <cstdint>
#include <string>

namespace healthd::dicom {

class Instance;

enum class ImageFormat { Jpeg, Png };

struct RenderOptions {
  ImageFormat format = ImageFormat::Jpeg;
  int quality = 100;   // JPEG only, 1-100
  uint32_t frame = 0;  // 0-based
};

// False with *error when the instance has no frame `frame` or its pixels cannot be rendered. The
// instance as opened (Instance::open): its pixel data is read from the file, the frame only.
bool render_frame(const Instance& instance, const RenderOptions& options, std::string& out, std::string* error);

}  // namespace healthd::dicom
