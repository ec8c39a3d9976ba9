#include "dicom/stow_answer.h"

#include "dicom/dicom_json_out.h"
#include "json/json.h"

namespace healthd::dicom {

namespace {

constexpr Tag kErrorComment = 0x00000902;
constexpr Tag kRetrieveURL = 0x00081190;
constexpr Tag kFailedSOPSequence = 0x00081198;
constexpr Tag kReferencedSOPSequence = 0x00081199;
constexpr Tag kReferencedSOPClassUID = 0x00081150;
constexpr Tag kReferencedSOPInstanceUID = 0x00081155;
constexpr Tag kFailureReason = 0x00081197;
constexpr Tag kWarningReason = 0x00081196;
constexpr Tag kFailedAttributesSequence = 0x00741048;

}  // namespace

Response stow_answer(const std::vector<StowItem>& items, const Target& t) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::Value referenced(rapidjson::kArrayType), failed(rapidjson::kArrayType);
  bool warnings = false;
  std::string study;
  bool one_study = true;
  for (const StowItem& item : items) {
    const StowCheck& c = item.check;
    json::Value o(rapidjson::kObjectType);
    put_string(o, kReferencedSOPClassUID, "UI", c.sop_class_uid, a);
    put_string(o, kReferencedSOPInstanceUID, "UI", c.sop_instance_uid, a);
    if (!item.stored) {
      put_numbers(o, kFailureReason, "US", {c.failure_reason}, a);
      if (!c.message.empty()) put_string(o, kErrorComment, "LO", c.message, a);
      failed.PushBack(o, a);
      continue;
    }
    if (study.empty()) study = c.study_instance_uid;
    else if (study != c.study_instance_uid) one_study = false;
    put_string(o, kRetrieveURL, "UR",
               instance_url(t.base, c.study_instance_uid, c.series_instance_uid, c.sop_instance_uid), a);
    if (!c.warning_reasons.empty()) {
      warnings = true;
      std::vector<int64_t> codes(c.warning_reasons.begin(), c.warning_reasons.end());
      put_numbers(o, kWarningReason, "US", codes, a);
    }
    if (!c.failed_attributes.empty()) {
      json::Value seq(rapidjson::kArrayType);
      for (const FailedAttribute& f : c.failed_attributes) {
        json::Value fi(rapidjson::kObjectType);
        put_string(fi, kErrorComment, "LO", f.comment, a);
        seq.PushBack(fi, a);
      }
      put_sequence(o, kFailedAttributesSequence, seq, a);
    }
    referenced.PushBack(o, a);
  }
  const size_t stored = referenced.Size();
  if (!t.scope.study_uid.empty()) put_string(doc, kRetrieveURL, "UR", study_url(t.base, t.scope.study_uid), a);
  else if (stored > 0 && one_study) put_string(doc, kRetrieveURL, "UR", study_url(t.base, study), a);
  if (!failed.Empty()) put_sequence(doc, kFailedSOPSequence, failed, a);
  if (!referenced.Empty()) put_sequence(doc, kReferencedSOPSequence, referenced, a);
  const int status = stored == 0 ? 409 : (stored < items.size() || warnings) ? 202 : 200;
  return dicom_json_response(status, json::to_string(doc));
}

}  // namespace healthd::dicom
