// The attributes QIDO-RS searches and returns by default, taken from an instance for the
// storage layer's index. Text is UTF-8 with padding removed, first value only. A value that
// breaks its VR's rules is left unset, so the index never holds what a query cannot match.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dicom/stow.h"
#include "dicom/tag.h"

namespace healthd::dicom {

class Instance;

// The levels of the DICOM hierarchy (QIDO searches, extended query tags).
enum class Level { Study, Series, Instance };

struct IndexAttributes {
  using Text = std::optional<std::string>;  // nullopt: absent or invalid; "": present, empty

  // study level
  Text study_instance_uid, patient_name, patient_id, patient_birth_date, patient_sex,
      accession_number, referring_physician_name, study_date, study_time, study_description,
      study_id;
  // series level
  Text series_instance_uid, modality, series_date, series_time, series_description,
      series_number, performed_procedure_step_start_date, manufacturer_model_name;
  // instance level
  Text sop_instance_uid, sop_class_uid, instance_number, number_of_frames, rows, columns,
      bits_allocated;
  std::string transfer_syntax_uid;

  // one per extended query tag asked for, in the order given
  std::vector<Text> extended;
};

IndexAttributes extract_index(const Instance& instance,
                              const std::vector<ExtendedQueryTag>& extended_query_tags = {});
// The same for an upload read by STOW's fast reader (raw_dataset.h; src/dicom only).
IndexAttributes extract_index(const detail::RawDataset& dataset,
                              const std::vector<ExtendedQueryTag>& extended_query_tags = {});

// The value of an extended query tag in an instance: its first value (padding removed, UTF-8),
// or nothing when absent or empty, or why it cannot be indexed (another VR, a value breaking
// the VR's rules). A private tag is looked up in its creator's block; one read as UN (implicit
// VR files) is left out.
struct ExtendedValue {
  std::optional<std::string> value;
  std::string error;  // "(0010,1010) PatientAge \"12\" is not a valid AS ..."; "" when none
};
std::vector<ExtendedValue> extended_values(const Instance& instance, const std::vector<ExtendedQueryTag>& tags);
std::vector<ExtendedValue> extended_values(const detail::RawDataset& dataset,
                                           const std::vector<ExtendedQueryTag>& tags);

}  // namespace healthd::dicom
