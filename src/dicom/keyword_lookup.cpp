// tag_of(): keywords through DCMTK's data dictionary.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctag.h>

#include <cctype>

#include "dicom/instance_impl.h"
#include "dicom/qido_query.h"

namespace healthd::dicom {

std::optional<Tag> tag_of(std::string_view name) {
  if (auto hex = parse_tag_hex(name)) return hex;
  if (name.empty() || name.size() > 64) return std::nullopt;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) return std::nullopt;
  detail::init_dcmtk();
  DcmTag tag;
  if (DcmTag::findTagFromName(std::string(name).c_str(), tag).bad()) return std::nullopt;
  return make_tag(tag.getGroup(), tag.getElement());
}

}  // namespace healthd::dicom
