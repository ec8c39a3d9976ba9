#include "storage/sqlite_dicom_known_rows.h"

namespace healthd::storage {

KnownDicomRows::Values KnownDicomRows::study_values(const dicom::IndexAttributes& x) {
  return {x.patient_name, x.patient_id, x.patient_birth_date, x.patient_sex, x.accession_number,
          x.referring_physician_name, x.study_date, x.study_time, x.study_description, x.study_id};
}

KnownDicomRows::Values KnownDicomRows::series_values(const dicom::IndexAttributes& x) {
  return {x.modality, x.series_date, x.series_time, x.series_description, x.series_number,
          x.performed_procedure_step_start_date, x.manufacturer_model_name};
}

std::optional<int64_t> KnownDicomRows::find(const std::unordered_map<std::string, Row>& rows, const std::string& id,
                                            const Values* values) {
  auto it = rows.find(id);
  if (it == rows.end() || (values && it->second.values != *values)) return std::nullopt;
  return it->second.key;
}

std::string KnownDicomRows::series_id(int64_t study_key, const std::string& series_uid) {
  return std::to_string(study_key) + '/' + series_uid;
}

std::optional<int64_t> KnownDicomRows::study(const std::string& study_uid, const Values* values) const {
  return find(studies_, study_uid, values);
}

std::optional<int64_t> KnownDicomRows::series(int64_t study_key, const std::string& series_uid,
                                              const Values* values) const {
  return find(series_, series_id(study_key, series_uid), values);
}

void KnownDicomRows::make_room() {
  if (studies_.size() >= kMaxRows || series_.size() >= kMaxRows) forget_all();
}

void KnownDicomRows::remember_study(const std::string& study_uid, int64_t key, Values values) {
  make_room();
  studies_[study_uid] = Row{key, std::move(values)};
}

void KnownDicomRows::remember_series(int64_t study_key, const std::string& series_uid, int64_t key, Values values) {
  make_room();
  series_[series_id(study_key, series_uid)] = Row{key, std::move(values)};
}

void KnownDicomRows::forget_all() {
  studies_.clear();
  series_.clear();
}

}  // namespace healthd::storage
