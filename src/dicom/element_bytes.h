// Internal to src/dicom: finding an element by path and streaming its bulk value (bulk.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dicom/bulk.h"
#include "dicom/instance_impl.h"

class DcmElement;
class DcmItem;

namespace healthd::dicom::detail {

// The element a path names, or nullptr with *error.
DcmElement* find_path(DcmItem& dataset, std::string_view path, std::string* error);

// Size of the bulk value of e: the value length, or for encapsulated Pixel Data the length of
// the encapsulated stream.
uint64_t bulk_value_size(DcmElement& e, const Instance::Impl& instance);

// Streams the bulk value of e in chunks (little endian for multi-byte VRs).
bool stream_bulk_value(DcmElement& e, const Instance::Impl& instance, const BulkSink& sink,
                       std::string* error);

}  // namespace healthd::dicom::detail
