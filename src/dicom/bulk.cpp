#include "dicom/bulk.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcelem.h>

#include "dicom/element_bytes.h"

namespace healthd::dicom {

bool bulk_size(const Instance& instance, std::string_view path, uint64_t* size, std::string* error) {
  DcmElement* e = detail::find_path(instance.impl().dataset(), path, error);
  if (!e) return false;
  if (e->ident() == EVR_SQ) {
    if (error) *error = "a sequence has no bulk value";
    return false;
  }
  *size = detail::bulk_value_size(*e, instance.impl());
  return true;
}

bool read_bulk(const Instance& instance, std::string_view path, const BulkSink& sink,
               std::string* error) {
  DcmElement* e = detail::find_path(instance.impl().dataset(), path, error);
  if (!e) return false;
  return detail::stream_bulk_value(*e, instance.impl(), sink, error);
}

}  // namespace healthd::dicom
