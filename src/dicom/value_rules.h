// Value rules of the VRs STOW validates (PS3.5 6.2) and the UID syntax of the reference:
// digits and dots, at most 64 characters.
#pragma once

#include <string>
#include <string_view>

namespace healthd::dicom {

// True for 1..64 characters of digits and dots without empty components
// ("1..2", ".1" and "1." are rejected; leading zeros are tolerated, as real archives hold them).
bool is_valid_uid(std::string_view uid);

// Checks one value (one entry of a multi-valued attribute, padding removed, text decoded to UTF-8)
// against the rules of vr. Returns "" when valid, otherwise why not, e.g.
// "is not a valid DA (YYYYMMDD)". VRs without rules here (OB, SQ, UT, ...) always pass.
std::string check_value(std::string_view vr, std::string_view value);

// DS, FD, FL, IS, SL, SS, UL, US: values that compare as numbers.
bool is_numeric_vr(std::string_view vr);

}  // namespace healthd::dicom
