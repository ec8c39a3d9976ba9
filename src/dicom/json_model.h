// The DICOM JSON model (PS3.18 Annex F.2) of an instance's data set (File Meta Information
// excluded).
//
// Binary values (OB OD OF OL OV OW UN) are a BulkDataURI, or InlineBinary (little endian,
// base64) when the caller allows inline values up to a size. Any other value longer than
// JsonOptions::bulk_value_min bytes can be a BulkDataURI too. A BulkDataURI is
// bulk_data_base + "/" + the element's path (see bulk.h), so a /bulkdata route can serve it
// with read_bulk(). Values never read for the model stay in the file.
//
// Group lengths (gggg,0000) are left out, empty values within multi-valued attributes are null,
// an empty sequence has no "Value", and an element whose value cannot be represented (an IS or
// DS that is not a number) is left out; everything else follows the standard (PN as
// Alphabetic/Ideographic/Phonetic, numbers for IS DS FL FD SL SS SV UL US UV, AT as "GGGGEEEE").
#pragma once

#include <cstddef>
#include <string>

#include "json/json.h"

namespace healthd::dicom {

class Instance;
namespace detail {
class RawDataset;
}

struct JsonOptions {
  std::string bulk_data_base;     // e.g. ".../studies/S/series/R/instances/I/bulkdata"
  size_t inline_binary_max = 0;   // binary values of at most this many bytes are InlineBinary; 0: never
  size_t bulk_value_min = 0;      // other values longer than this many bytes are bulk; 0: never
};

// Fills out (made an object) with the data set's DICOM JSON. Returns false and sets *error when
// the file cannot be read any more (values load lazily).
bool to_dicom_json(const Instance& instance, const JsonOptions& options, json::Value& out,
                   json::Allocator& alloc, std::string* error = nullptr);

// The same, as compact JSON text ("" and *error set on failure).
std::string to_dicom_json_text(const Instance& instance, const JsonOptions& options,
                               std::string* error = nullptr);
// The same for an upload read by STOW's fast reader (raw_dataset.h; src/dicom only).
std::string to_dicom_json_text(const detail::RawDataset& dataset, const JsonOptions& options,
                               std::string* error = nullptr);

}  // namespace healthd::dicom
