#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcelem.h>

#include <algorithm>

#include "dicom/element_values.h"
#include "dicom/index.h"
#include "dicom/instance_impl.h"
#include "dicom/raw_dataset.h"
#include "dicom/stow.h"
#include "dicom/value_rules.h"

namespace healthd::dicom {

namespace {

using detail::TextDecoder;

// The searchable attributes of the reference that are not required attributes, with their VR.
struct Searchable {
  Tag tag;
  const char* vr;
};
constexpr Searchable kSearchable[] = {
    {tags::kPatientName, "PN"},
    {tags::kPatientBirthDate, "DA"},
    {tags::kAccessionNumber, "SH"},
    {tags::kReferringPhysicianName, "PN"},
    {tags::kStudyDate, "DA"},
    {tags::kStudyDescription, "LO"},
    {tags::kModality, "CS"},
    {tags::kPerformedProcedureStepStartDate, "DA"},
    {tags::kManufacturerModelName, "LO"},
};

std::string in_quotes(std::string_view value) {
  constexpr size_t kMax = 64;  // keep ErrorComment short
  if (value.size() > kMax) return "\"" + std::string(value.substr(0, kMax)) + "...\"";
  return "\"" + std::string(value) + "\"";
}

// Item: DCMTK's data set, or the fast reader's root item (raw_dataset.h).
template <typename Item>
class Checker {
 public:
  Checker(Item& dataset, const StowOptions& options)
      : ds_(dataset), options_(options), text_(detail::decoder_for(dataset, TextDecoder())) {}

  // A required UID: present, one value, valid syntax. Returns the value found ("" if none).
  std::string required_uid(Tag tag) {
    auto values = read(tag, "UI", required_);
    if (!values) return "";
    if (values->empty()) {
      fail(required_, tag, "is empty");
      return "";
    }
    const std::string& uid = values->front();
    if (values->size() > 1)
      fail(required_, tag, "has " + std::to_string(values->size()) + " values, expected one");
    else if (!is_valid_uid(uid))
      fail(required_, tag, in_quotes(uid) + " is not a valid UID (digits and dots, at most 64)");
    return uid;
  }

  void patient_id() {
    auto values = read(tags::kPatientID, "LO", required_);
    if (!values) return;
    if (values->empty() && options_.version == ApiVersion::kV1)
      fail(required_, tags::kPatientID, "is empty (a value is required)");
    check_values(tags::kPatientID, "LO", *values, required_);
  }

  // Searchable attributes: absent is fine; present must have the VR and valid values.
  void searchable(Tag tag, const std::string& vr) {
    auto* e = detail::find_element(ds_, tag);
    if (!e) return;
    auto values = read(e, tag, vr, searchable_);
    if (values) check_values(tag, vr, *values, searchable_);
  }

  std::vector<FailedAttribute> required_, searchable_;

 private:
  // Values of tag as text, or nullopt (after recording why) when absent, of another VR or
  // unreadable.
  std::optional<std::vector<std::string>> read(Tag tag, const std::string& vr,
                                               std::vector<FailedAttribute>& failures) {
    return read(detail::find_element(ds_, tag), tag, vr, failures);
  }
  // The same for the element of tag already found (nullptr: absent).
  template <typename Element>
  std::optional<std::vector<std::string>> read(Element* e, Tag tag, const std::string& vr,
                                               std::vector<FailedAttribute>& failures) {
    if (!e) {
      fail(failures, tag, "is missing");
      return std::nullopt;
    }
    const std::string_view found = detail::vr_name(*e);
    if (found != vr) {
      fail(failures, tag, "has VR " + std::string(found) + ", expected " + vr);
      return std::nullopt;
    }
    auto values = detail::values_as_text(*e, text_);
    if (!values) fail(failures, tag, "cannot be read");
    return values;
  }

  void check_values(Tag tag, const std::string& vr, const std::vector<std::string>& values,
                    std::vector<FailedAttribute>& failures) {
    for (const std::string& v : values) {
      std::string why = check_value(vr, v);
      if (!why.empty()) {
        fail(failures, tag, in_quotes(v) + " " + why);
        return;
      }
    }
  }

  void fail(std::vector<FailedAttribute>& failures, Tag tag, const std::string& why) {
    std::string name = detail::tag_keyword(tag);
    failures.push_back({tag, tag_paren(tag) + (name.empty() ? "" : " " + name) + " " + why});
  }

  Item& ds_;
  const StowOptions& options_;
  TextDecoder text_;
};

// implicit_vr: VRs came from the dictionary, not the file.
template <typename Item, typename Source>
StowCheck check_dataset(Item& dataset, const Source& source, bool implicit_vr, const StowOptions& options) {
  StowCheck r;
  Checker<Item> check(dataset, options);
  r.study_instance_uid = check.required_uid(tags::kStudyInstanceUID);
  r.series_instance_uid = check.required_uid(tags::kSeriesInstanceUID);
  r.sop_instance_uid = check.required_uid(tags::kSOPInstanceUID);
  r.sop_class_uid = check.required_uid(tags::kSOPClassUID);
  check.patient_id();

  if (!check.required_.empty()) {
    r.failure_reason = failure::kValidationFailed;
    r.failed_attributes = std::move(check.required_);
    r.message = r.failed_attributes.front().comment;
    return r;
  }
  if (!options.study_uid.empty() && detail::trim_padding(options.study_uid) != r.study_instance_uid) {
    r.failure_reason = failure::kStudyUidMismatch;
    r.message = "StudyInstanceUID " + r.study_instance_uid + " does not match the study " +
                std::string(detail::trim_padding(options.study_uid)) + " of the request";
    return r;
  }

  for (const Searchable& s : kSearchable) check.searchable(s.tag, s.vr);
  const auto extended = extended_values(source, options.extended_query_tags);
  for (size_t i = 0; i < extended.size(); ++i)
    if (!extended[i].error.empty()) check.searchable_.push_back({options.extended_query_tags[i].tag, extended[i].error});
  if (!check.searchable_.empty()) {
    r.failed_attributes = std::move(check.searchable_);
    r.message = r.failed_attributes.front().comment;
    if (options.version == ApiVersion::kV1) {
      r.failure_reason = failure::kValidationFailed;
      return r;
    }
    r.warning_reasons.push_back(warning::kDatasetDoesNotMatchSopClass);
  }
  if (implicit_vr &&
      std::find(r.warning_reasons.begin(), r.warning_reasons.end(),
                warning::kDatasetDoesNotMatchSopClass) == r.warning_reasons.end()) {
    r.warning_reasons.push_back(warning::kDatasetDoesNotMatchSopClass);
    if (r.message.empty()) r.message = "Implicit VR Little Endian: VRs cannot be checked";
  }
  return r;
}

}  // namespace

StowCheck check_stow(const Instance& instance, const StowOptions& options) {
  return check_dataset(instance.impl().dataset(), instance, instance.impl().implicit_vr, options);
}

StowCheck check_stow(const detail::RawDataset& dataset, const StowOptions& options) {
  return check_dataset(dataset.root(), dataset, false, options);
}

StowCheck unreadable_instance(std::string error) {
  StowCheck r;
  r.failure_reason = failure::kProcessingFailure;
  r.message = std::move(error);
  return r;
}

}  // namespace healthd::dicom
