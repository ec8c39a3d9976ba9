// STOW-RS acceptance of one instance: what the reference (shared/reference/dicom.md) demands,
// as a plain result the HTTP layer turns into the response dataset.
//
// Checks, in order:
// 1. Required attributes: StudyInstanceUID, SeriesInstanceUID, SOPInstanceUID and SOPClassUID
//    present, one value, valid UID syntax; PatientID present (v1: with a value; v2: may be
//    empty) and a valid LO. Any failure: FailureReason 43264, in v1 and v2.
// 2. The study UID of the URL (POST .../studies/{study}), when given, equals the instance's:
//    otherwise 43265.
// 3. Searchable attributes (PatientName, PatientBirthDate, AccessionNumber,
//    ReferringPhysicianName, StudyDate, StudyDescription, Modality,
//    PerformedProcedureStepStartDate, ManufacturerModelName, and the extended query tags the
//    caller passes) have the expected VR and valid values. v1: a failure rejects (43264).
//    v2: the instance is accepted with WarningReason 45063 and the attributes listed for
//    FailedAttributesSequence.
// 4. Implicit VR Little Endian instances are accepted with WarningReason 45063 (the VRs are
//    not in the data set, so it cannot be checked against the SOP class; the cloud service
//    does the same).
// Duplicates (45070) and instances being created (45071) are the storage layer's call; the
// codes live here so the answer is built in one place.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dicom/tag.h"

namespace healthd::dicom {

class Instance;
namespace detail {
class RawDataset;
}

namespace failure {
inline constexpr uint16_t kProcessingFailure = 272;      // not a readable DICOM Part 10 file
inline constexpr uint16_t kValidationFailed = 43264;
inline constexpr uint16_t kStudyUidMismatch = 43265;
inline constexpr uint16_t kInstanceExists = 45070;
inline constexpr uint16_t kInstanceBeingCreated = 45071;
}  // namespace failure

namespace warning {
inline constexpr uint16_t kDatasetDoesNotMatchSopClass = 45063;
}  // namespace warning

enum class ApiVersion { kV1, kV2 };

struct ExtendedQueryTag {
  Tag tag = 0;
  std::string vr;               // AE AS CS DA DS DT FD FL IS LO PN SH SL SS TM UI UL US
  std::string private_creator;  // private tags: the element is found in this creator's block
};

struct StowOptions {
  ApiVersion version = ApiVersion::kV2;
  std::string study_uid;  // from the URL; empty for POST .../studies
  std::vector<ExtendedQueryTag> extended_query_tags;
};

struct FailedAttribute {
  Tag tag = 0;
  std::string comment;  // for ErrorComment (0000,0902): "(0008,0020) StudyDate: ..."
};

struct StowCheck {
  bool accepted() const { return failure_reason == 0; }

  uint16_t failure_reason = 0;          // 0 when accepted
  std::vector<uint16_t> warning_reasons;  // WarningReason (0008,1196) values, when accepted
  std::vector<FailedAttribute> failed_attributes;  // FailedAttributesSequence (0074,1048)
  std::string message;                  // one line for the log / a problem answer

  // As found in the data set (padding removed), for ReferencedSOPSequence / FailedSOPSequence
  // items and the storage key. Empty when absent.
  std::string study_instance_uid, series_instance_uid, sop_instance_uid, sop_class_uid;
};

StowCheck check_stow(const Instance& instance, const StowOptions& options);
// The same for an upload read by STOW's fast reader (raw_dataset.h; src/dicom only).
StowCheck check_stow(const detail::RawDataset& dataset, const StowOptions& options);

// The answer for a part that Instance::open refused (272), carrying its error as message.
StowCheck unreadable_instance(std::string error);

}  // namespace healthd::dicom
