#include "dicom/qido_attributes.h"

namespace healthd::dicom {

namespace {

using A = IndexAttributes;
constexpr Level S = Level::Study, R = Level::Series, I = Level::Instance;

}  // namespace

const std::vector<QidoAttribute>& qido_attributes() {
  static const std::vector<QidoAttribute> table = {
      // tag, keyword, vr, level, searchable, returned by default, field
      {tags::kStudyInstanceUID, "StudyInstanceUID", "UI", S, true, true, &A::study_instance_uid},
      {tags::kPatientName, "PatientName", "PN", S, true, true, &A::patient_name},
      {tags::kPatientID, "PatientID", "LO", S, true, true, &A::patient_id},
      {tags::kPatientBirthDate, "PatientBirthDate", "DA", S, true, true, &A::patient_birth_date},
      {tags::kPatientSex, "PatientSex", "CS", S, false, true, &A::patient_sex},
      {tags::kAccessionNumber, "AccessionNumber", "SH", S, true, true, &A::accession_number},
      {tags::kReferringPhysicianName, "ReferringPhysicianName", "PN", S, true, true, &A::referring_physician_name},
      {tags::kStudyDate, "StudyDate", "DA", S, true, true, &A::study_date},
      {tags::kStudyTime, "StudyTime", "TM", S, false, true, &A::study_time},
      {tags::kStudyDescription, "StudyDescription", "LO", S, true, true, &A::study_description},
      {tags::kStudyID, "StudyID", "SH", S, false, true, &A::study_id},
      {qido_tags::kModalitiesInStudy, "ModalitiesInStudy", "CS", S, true, true, nullptr, Computed::ModalitiesInStudy},
      {qido_tags::kNumberOfStudyRelatedSeries, "NumberOfStudyRelatedSeries", "IS", S, false, true, nullptr,
       Computed::StudyRelatedSeries},
      {qido_tags::kNumberOfStudyRelatedInstances, "NumberOfStudyRelatedInstances", "IS", S, false, true, nullptr,
       Computed::StudyRelatedInstances},

      {tags::kSeriesInstanceUID, "SeriesInstanceUID", "UI", R, true, true, &A::series_instance_uid},
      {tags::kModality, "Modality", "CS", R, true, true, &A::modality},
      {tags::kSeriesDate, "SeriesDate", "DA", R, false, true, &A::series_date},
      {tags::kSeriesTime, "SeriesTime", "TM", R, false, true, &A::series_time},
      {tags::kSeriesDescription, "SeriesDescription", "LO", R, false, true, &A::series_description},
      {tags::kSeriesNumber, "SeriesNumber", "IS", R, false, true, &A::series_number},
      {tags::kPerformedProcedureStepStartDate, "PerformedProcedureStepStartDate", "DA", R, true, true,
       &A::performed_procedure_step_start_date},
      {tags::kManufacturerModelName, "ManufacturerModelName", "LO", R, true, true, &A::manufacturer_model_name},
      {qido_tags::kNumberOfSeriesRelatedInstances, "NumberOfSeriesRelatedInstances", "IS", R, false, true, nullptr,
       Computed::SeriesRelatedInstances},

      {tags::kSOPInstanceUID, "SOPInstanceUID", "UI", I, true, true, &A::sop_instance_uid},
      {tags::kSOPClassUID, "SOPClassUID", "UI", I, false, true, &A::sop_class_uid},
      {tags::kInstanceNumber, "InstanceNumber", "IS", I, false, true, &A::instance_number},
      {tags::kNumberOfFrames, "NumberOfFrames", "IS", I, false, true, &A::number_of_frames},
      {tags::kRows, "Rows", "US", I, false, true, &A::rows},
      {tags::kColumns, "Columns", "US", I, false, true, &A::columns},
      {tags::kBitsAllocated, "BitsAllocated", "US", I, false, true, &A::bits_allocated},
  };
  return table;
}

const QidoAttribute* find_qido_attribute(std::string_view name) {
  auto tag = parse_tag_hex(name);
  for (const auto& a : qido_attributes())
    if ((tag && a.tag == *tag) || name == a.keyword) return &a;
  return nullptr;
}

const QidoAttribute* find_qido_attribute(Tag tag) {
  for (const auto& a : qido_attributes())
    if (a.tag == tag) return &a;
  return nullptr;
}

std::optional<std::string> qido_value(const QidoAttribute& a, const IndexRow& row) {
  if (a.field) return row.attributes.*(a.field);
  if (a.extended >= 0)
    return static_cast<size_t>(a.extended) < row.attributes.extended.size() ? row.attributes.extended[a.extended]
                                                                            : std::nullopt;
  switch (a.computed) {
    case Computed::ModalitiesInStudy: {
      std::string out;
      for (const auto& m : row.modalities_in_study) out += (out.empty() ? "" : "\\") + m;
      return out;
    }
    case Computed::StudyRelatedSeries: return std::to_string(row.study_series);
    case Computed::StudyRelatedInstances: return std::to_string(row.study_instances);
    case Computed::SeriesRelatedInstances: return std::to_string(row.series_instances);
    case Computed::None: break;
  }
  return std::nullopt;
}

}  // namespace healthd::dicom
