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

}  // namespace healthd::dicom
