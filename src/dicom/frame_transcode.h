// WADO-RS frames in a compressed transfer syntax other than the stored one: a frame's native
// pixels (read or decoded, frames.h) are put into a one-frame dataset carrying the instance's
// Image Pixel module and encoded by the registered codecs (codecs.h), so every encoder a
// retrieve can use serves frames too. One frame is in memory at a time.
#pragma once

#include <string>
#include <string_view>

namespace healthd::dicom {

class Instance;

// `native`: one frame as frames.h gives it (little endian; color as `photometric` says, planar
// as the instance's PlanarConfiguration). Writes the frame's compressed stream (the bytes of its
// fragments) in `target_uid` to out; false with *error when the encoder refuses these pixels.
bool transcode_frame(const Instance& instance, const std::string& native, std::string_view photometric,
                     std::string_view target_uid, std::string& out, std::string* error);

}  // namespace healthd::dicom
