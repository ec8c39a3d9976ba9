// Internal to the DICOM service: the STOW-RS answer (PS3.18 10.5.3) from per-instance results.
#pragma once

#include <vector>

#include "common/request.h"
#include "dicom/service_impl.h"
#include "dicom/stow.h"

namespace healthd::dicom {

struct StowItem {
  StowCheck check;      // failure_reason != 0: failed
  bool stored = false;
};

// 200 all stored without warnings; 202 some failed or warnings; 409 none stored. The body holds
// RetrieveURL (the study, when every stored instance is of one study), ReferencedSOPSequence and
// FailedSOPSequence.
Response stow_answer(const std::vector<StowItem>& items, const Target& target);

}  // namespace healthd::dicom
