// The dictionary lookups of dictionary.h, through DCMTK's data dictionary.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcdicent.h>
#include <dcmtk/dcmdata/dctag.h>
#include <dcmtk/dcmdata/dcvr.h>

#include <cctype>

#include "dicom/dictionary.h"
#include "dicom/element_values.h"
#include "dicom/instance_impl.h"

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

std::string dictionary_vr(Tag tag) {
  detail::init_dcmtk();
  const DcmDataDictionary& dict = dcmDataDict.rdlock();
  const DcmDictEntry* entry = dict.findEntry(DcmTagKey(tag_group(tag), tag_element(tag)), nullptr);
  std::string vr;
  // Repeating-group entries (e.g. 60xx) match too; only exact standard entries count.
  if (entry && !entry->isRepeatingGroup() && !entry->isRepeatingElement()) vr = DcmVR(entry->getEVR()).getVRName();
  dcmDataDict.rdunlock();
  // DCMTK names ambiguous VRs with lower-case pseudo VRs ("xs" for US or SS, "ox", "lt"...).
  if (vr.size() != 2 || !std::isupper(static_cast<unsigned char>(vr[0])) ||
      !std::isupper(static_cast<unsigned char>(vr[1])))
    return "";
  return vr;
}

std::string dictionary_keyword(Tag tag) {
  detail::init_dcmtk();
  return detail::tag_keyword(tag);
}

}  // namespace healthd::dicom
