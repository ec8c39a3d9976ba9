// Internal to src/dicom: which fragments of encapsulated Pixel Data hold which frame (PS3.5
// A.4). DCMTK types are forward-declared; encapsulated.cpp includes DCMTK.
#pragma once

#include <cstdint>
#include <string>

class DcmPixelSequence;

namespace healthd::dicom::detail {

// Items [*first, *end) of seq (item 0 is the Basic Offset Table) that hold frame `index`
// (0-based) of `frames`: all fragments for one frame; one fragment per frame when the counts
// match; else the Basic Offset Table; else fragments that start a JPEG / JPEG-LS (FFD8) or
// JPEG 2000 (FF4F) stream, when there is one per frame. False with *error otherwise.
bool frame_fragments(DcmPixelSequence& seq, uint32_t frames, uint32_t index, uint32_t* first, uint32_t* end,
                     std::string* error);

// The values of items [first, end), concatenated (the frame's compressed stream).
bool fragment_bytes(DcmPixelSequence& seq, uint32_t first, uint32_t end, std::string& out, std::string* error);

}  // namespace healthd::dicom::detail
