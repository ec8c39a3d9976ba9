#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcelem.h>

#include "dicom/element_values.h"
#include "dicom/index.h"
#include "dicom/instance_impl.h"
#include "dicom/value_rules.h"

namespace healthd::dicom {

namespace {

// The first value of tag as text when the element has the VR expected and the value keeps the
// VR's rules; nullopt otherwise. "" for a present, empty element.
IndexAttributes::Text first_value(DcmDataset& ds, const detail::TextDecoder& text, Tag tag,
                                  std::string_view vr) {
  DcmElement* e = detail::find_element(ds, tag);
  if (!e || detail::vr_name(*e) != vr) return std::nullopt;
  auto values = detail::values_as_text(*e, text);
  if (!values) return std::nullopt;
  if (values->empty()) return std::string();
  std::string v = std::move(values->front());
  if (!check_value(vr, v).empty()) return std::nullopt;
  return v;
}

}  // namespace

IndexAttributes extract_index(const Instance& instance,
                              const std::vector<ExtendedQueryTag>& extended_query_tags) {
  DcmDataset& ds = instance.impl().dataset();
  const detail::TextDecoder text = detail::decoder_for(ds, detail::TextDecoder());
  auto get = [&](Tag tag, std::string_view vr) { return first_value(ds, text, tag, vr); };

  IndexAttributes x;
  x.study_instance_uid = get(tags::kStudyInstanceUID, "UI");
  x.patient_name = get(tags::kPatientName, "PN");
  x.patient_id = get(tags::kPatientID, "LO");
  x.patient_birth_date = get(tags::kPatientBirthDate, "DA");
  x.patient_sex = get(tags::kPatientSex, "CS");
  x.accession_number = get(tags::kAccessionNumber, "SH");
  x.referring_physician_name = get(tags::kReferringPhysicianName, "PN");
  x.study_date = get(tags::kStudyDate, "DA");
  x.study_time = get(tags::kStudyTime, "TM");
  x.study_description = get(tags::kStudyDescription, "LO");
  x.study_id = get(tags::kStudyID, "SH");

  x.series_instance_uid = get(tags::kSeriesInstanceUID, "UI");
  x.modality = get(tags::kModality, "CS");
  x.series_date = get(tags::kSeriesDate, "DA");
  x.series_time = get(tags::kSeriesTime, "TM");
  x.series_description = get(tags::kSeriesDescription, "LO");
  x.series_number = get(tags::kSeriesNumber, "IS");
  x.performed_procedure_step_start_date = get(tags::kPerformedProcedureStepStartDate, "DA");
  x.manufacturer_model_name = get(tags::kManufacturerModelName, "LO");

  x.sop_instance_uid = get(tags::kSOPInstanceUID, "UI");
  x.sop_class_uid = get(tags::kSOPClassUID, "UI");
  x.instance_number = get(tags::kInstanceNumber, "IS");
  x.number_of_frames = get(tags::kNumberOfFrames, "IS");
  x.rows = get(tags::kRows, "US");
  x.columns = get(tags::kColumns, "US");
  x.bits_allocated = get(tags::kBitsAllocated, "US");
  x.transfer_syntax_uid = instance.transfer_syntax_uid();

  for (ExtendedValue& v : extended_values(instance, extended_query_tags)) x.extended.push_back(std::move(v.value));
  return x;
}

std::vector<ExtendedValue> extended_values(const Instance& instance, const std::vector<ExtendedQueryTag>& tags) {
  std::vector<ExtendedValue> out(tags.size());
  if (tags.empty()) return out;
  DcmDataset& ds = instance.impl().dataset();
  const detail::TextDecoder text = detail::decoder_for(ds, detail::TextDecoder());
  for (size_t i = 0; i < tags.size(); ++i) {
    const ExtendedQueryTag& t = tags[i];
    DcmElement* e = detail::find_element(ds, t.tag, t.private_creator);
    if (!e) continue;
    const std::string keyword = detail::tag_keyword(t.tag);
    const std::string name = tag_paren(t.tag) + (keyword.empty() ? "" : " " + keyword);
    const std::string vr = detail::vr_name(*e);
    if (vr == "UN" && !t.private_creator.empty()) continue;
    if (vr != t.vr) {
      out[i].error = name + " has VR " + vr + ", expected " + t.vr;
      continue;
    }
    auto values = detail::values_as_text(*e, text);
    if (!values) {
      out[i].error = name + " cannot be read";
      continue;
    }
    if (values->empty() || values->front().empty()) continue;
    std::string why = check_value(t.vr, values->front());
    if (!why.empty()) {
      constexpr size_t kMax = 64;  // keep messages short
      const std::string& v = values->front();
      out[i].error = name + " \"" + (v.size() > kMax ? v.substr(0, kMax) + "..." : v) + "\" " + why;
      continue;
    }
    out[i].value = std::move(values->front());
  }
  return out;
}

}  // namespace healthd::dicom
