#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcelem.h>

#include "dicom/element_values.h"
#include "dicom/index.h"
#include "dicom/instance_impl.h"
#include "dicom/raw_dataset.h"
#include "dicom/value_rules.h"

namespace healthd::dicom {

namespace {

// The first value of e as text when e has the VR expected and the value keeps the VR's rules;
// nullopt otherwise (e null: absent). "" for a present, empty element.
template <typename Element>
IndexAttributes::Text first_value(Element* e, const detail::TextDecoder& text, std::string_view vr) {
  if (!e || detail::vr_name(*e) != vr) return std::nullopt;
  auto values = detail::values_as_text(*e, text);
  if (!values) return std::nullopt;
  if (values->empty()) return std::string();
  std::string v = std::move(values->front());
  if (!check_value(vr, v).empty()) return std::nullopt;
  return v;
}

// The indexed attributes: tag, VR, where the value goes.
struct Indexed {
  Tag tag;
  const char* vr;
  IndexAttributes::Text IndexAttributes::*field;
};
constexpr Indexed kIndexed[] = {
    {tags::kStudyInstanceUID, "UI", &IndexAttributes::study_instance_uid},
    {tags::kPatientName, "PN", &IndexAttributes::patient_name},
    {tags::kPatientID, "LO", &IndexAttributes::patient_id},
    {tags::kPatientBirthDate, "DA", &IndexAttributes::patient_birth_date},
    {tags::kPatientSex, "CS", &IndexAttributes::patient_sex},
    {tags::kAccessionNumber, "SH", &IndexAttributes::accession_number},
    {tags::kReferringPhysicianName, "PN", &IndexAttributes::referring_physician_name},
    {tags::kStudyDate, "DA", &IndexAttributes::study_date},
    {tags::kStudyTime, "TM", &IndexAttributes::study_time},
    {tags::kStudyDescription, "LO", &IndexAttributes::study_description},
    {tags::kStudyID, "SH", &IndexAttributes::study_id},

    {tags::kSeriesInstanceUID, "UI", &IndexAttributes::series_instance_uid},
    {tags::kModality, "CS", &IndexAttributes::modality},
    {tags::kSeriesDate, "DA", &IndexAttributes::series_date},
    {tags::kSeriesTime, "TM", &IndexAttributes::series_time},
    {tags::kSeriesDescription, "LO", &IndexAttributes::series_description},
    {tags::kSeriesNumber, "IS", &IndexAttributes::series_number},
    {tags::kPerformedProcedureStepStartDate, "DA", &IndexAttributes::performed_procedure_step_start_date},
    {tags::kManufacturerModelName, "LO", &IndexAttributes::manufacturer_model_name},

    {tags::kSOPInstanceUID, "UI", &IndexAttributes::sop_instance_uid},
    {tags::kSOPClassUID, "UI", &IndexAttributes::sop_class_uid},
    {tags::kInstanceNumber, "IS", &IndexAttributes::instance_number},
    {tags::kNumberOfFrames, "IS", &IndexAttributes::number_of_frames},
    {tags::kRows, "US", &IndexAttributes::rows},
    {tags::kColumns, "US", &IndexAttributes::columns},
    {tags::kBitsAllocated, "US", &IndexAttributes::bits_allocated},
};

template <typename Item>
std::vector<ExtendedValue> extended_values_of(Item& ds, const std::vector<ExtendedQueryTag>& tags) {
  std::vector<ExtendedValue> out(tags.size());
  if (tags.empty()) return out;
  const detail::TextDecoder text = detail::decoder_for(ds, detail::TextDecoder());
  for (size_t i = 0; i < tags.size(); ++i) {
    const ExtendedQueryTag& t = tags[i];
    auto* e = detail::find_element(ds, t.tag, t.private_creator);
    if (!e) continue;
    // The attribute as messages name it (a dictionary look-up: only for a message).
    auto name = [&] {
      const std::string keyword = detail::tag_keyword(t.tag);
      return tag_paren(t.tag) + (keyword.empty() ? "" : " " + keyword);
    };
    const std::string_view vr = detail::vr_name(*e);
    if (vr == "UN" && !t.private_creator.empty()) continue;
    if (vr != t.vr) {
      out[i].error = name() + " has VR " + std::string(vr) + ", expected " + t.vr;
      continue;
    }
    auto values = detail::values_as_text(*e, text);
    if (!values) {
      out[i].error = name() + " cannot be read";
      continue;
    }
    if (values->empty() || values->front().empty()) continue;
    std::string why = check_value(t.vr, values->front());
    if (!why.empty()) {
      constexpr size_t kMax = 64;  // keep messages short
      const std::string& v = values->front();
      out[i].error = name() + " \"" + (v.size() > kMax ? v.substr(0, kMax) + "..." : v) + "\" " + why;
      continue;
    }
    out[i].value = std::move(values->front());
  }
  return out;
}

// Item: DCMTK's data set, or the fast reader's root item (raw_dataset.h).
template <typename Item>
IndexAttributes extract_index_of(Item& ds, const std::string& transfer_syntax_uid,
                                 const std::vector<ExtendedQueryTag>& extended_query_tags) {
  const detail::TextDecoder text = detail::decoder_for(ds, detail::TextDecoder());
  static const std::vector<Tag> kTags = [] {
    std::vector<Tag> t;
    for (const Indexed& i : kIndexed) t.push_back(i.tag);
    return t;
  }();
  const auto found = detail::find_elements(ds, kTags);

  IndexAttributes x;
  for (size_t i = 0; i < kTags.size(); ++i) x.*(kIndexed[i].field) = first_value(found[i], text, kIndexed[i].vr);
  x.transfer_syntax_uid = transfer_syntax_uid;

  for (ExtendedValue& v : extended_values_of(ds, extended_query_tags)) x.extended.push_back(std::move(v.value));
  return x;
}

}  // namespace

IndexAttributes extract_index(const Instance& instance,
                              const std::vector<ExtendedQueryTag>& extended_query_tags) {
  return extract_index_of(instance.impl().dataset(), instance.transfer_syntax_uid(), extended_query_tags);
}

IndexAttributes extract_index(const detail::RawDataset& dataset,
                              const std::vector<ExtendedQueryTag>& extended_query_tags) {
  return extract_index_of(dataset.root(), dataset.transfer_syntax_uid(), extended_query_tags);
}

std::vector<ExtendedValue> extended_values(const Instance& instance, const std::vector<ExtendedQueryTag>& tags) {
  return extended_values_of(instance.impl().dataset(), tags);
}

std::vector<ExtendedValue> extended_values(const detail::RawDataset& dataset,
                                           const std::vector<ExtendedQueryTag>& tags) {
  return extended_values_of(dataset.root(), tags);
}

}  // namespace healthd::dicom
