// Element paths and bulk values.
//
// A path names one element: its tag, preceded by the sequences and item numbers (from 0) that
// hold it, joined by "/": "7FE00010", "00540016/0/00181072". It is what a BulkDataURI ends with.
//
// read_bulk streams an element's value as the bulk data of PS3.18: little endian bytes for
// OW/OF/OD/OL/OV and numbers, the bytes as stored for OB/UN/text; for encapsulated Pixel Data
// the encapsulated stream (each item's tag, length and fragment, no sequence delimiter).
// It reads the file in chunks; a 2 GB value never sits in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace healthd::dicom {

class Instance;

// Called with consecutive chunks; returning false stops the read (then read_bulk returns false
// with *error "stopped").
using BulkSink = std::function<bool(const char* data, size_t size)>;

// Size in bytes of the value read_bulk would give; false (and *error) when path names nothing
// or a sequence.
bool bulk_size(const Instance& instance, std::string_view path, uint64_t* size,
               std::string* error = nullptr);

bool read_bulk(const Instance& instance, std::string_view path, const BulkSink& sink,
               std::string* error = nullptr);

}  // namespace healthd::dicom
