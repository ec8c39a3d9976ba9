// The attributes QIDO-RS searches and returns without reading instance files: the columns of
// the index (IndexAttributes) and the computed ones, with their level, VR and whether they are
// searchable (shared/reference/dicom.md) and returned by default.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "dicom/index.h"
#include "dicom/store.h"
#include "dicom/tag.h"

namespace healthd::dicom {

enum class Computed { None, ModalitiesInStudy, StudyRelatedSeries, StudyRelatedInstances, SeriesRelatedInstances };

struct QidoAttribute {
  Tag tag;
  const char* keyword;
  const char* vr;
  Level level;
  bool searchable;
  bool returned_by_default;
  IndexAttributes::Text IndexAttributes::*field;  // nullptr for computed and extended attributes
  Computed computed = Computed::None;
  int extended = -1;  // an extended query tag: its index in IndexAttributes::extended
};

namespace qido_tags {
inline constexpr Tag kModalitiesInStudy = 0x00080061;
inline constexpr Tag kNumberOfStudyRelatedSeries = 0x00201206;
inline constexpr Tag kNumberOfStudyRelatedInstances = 0x00201208;
inline constexpr Tag kNumberOfSeriesRelatedInstances = 0x00201209;
inline constexpr Tag kRetrieveURL = 0x00081190;
}  // namespace qido_tags

// Every attribute, study level first.
const std::vector<QidoAttribute>& qido_attributes();

// By keyword ("PatientName") or eight hex digits ("00100010"); nullptr when not in the table.
const QidoAttribute* find_qido_attribute(std::string_view name);
const QidoAttribute* find_qido_attribute(Tag tag);

// The attribute's value in a row as text (computed counts in decimal, modalities joined with
// "\"); nullopt when absent.
std::optional<std::string> qido_value(const QidoAttribute& attribute, const IndexRow& row);

}  // namespace healthd::dicom
