// DICOM attribute tags as plain numbers (group << 16 | element) and their text forms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace healthd::dicom {

using Tag = uint32_t;

constexpr Tag make_tag(uint16_t group, uint16_t element) {
  return (static_cast<Tag>(group) << 16) | element;
}
constexpr uint16_t tag_group(Tag t) { return static_cast<uint16_t>(t >> 16); }
constexpr uint16_t tag_element(Tag t) { return static_cast<uint16_t>(t & 0xFFFF); }

// "0020000D": the DICOM JSON key form.
std::string tag_hex(Tag t);
// "(0020,000D)": the form people read in messages.
std::string tag_paren(Tag t);
// Parses exactly eight hex digits.
std::optional<Tag> parse_tag_hex(std::string_view text);

namespace tags {
inline constexpr Tag kSpecificCharacterSet = 0x00080005;
inline constexpr Tag kSOPClassUID = 0x00080016;
inline constexpr Tag kSOPInstanceUID = 0x00080018;
inline constexpr Tag kStudyDate = 0x00080020;
inline constexpr Tag kSeriesDate = 0x00080021;
inline constexpr Tag kStudyTime = 0x00080030;
inline constexpr Tag kSeriesTime = 0x00080031;
inline constexpr Tag kAccessionNumber = 0x00080050;
inline constexpr Tag kModality = 0x00080060;
inline constexpr Tag kReferringPhysicianName = 0x00080090;
inline constexpr Tag kStudyDescription = 0x00081030;
inline constexpr Tag kSeriesDescription = 0x0008103E;
inline constexpr Tag kManufacturerModelName = 0x00081090;
inline constexpr Tag kPatientName = 0x00100010;
inline constexpr Tag kPatientID = 0x00100020;
inline constexpr Tag kPatientBirthDate = 0x00100030;
inline constexpr Tag kPatientSex = 0x00100040;
inline constexpr Tag kStudyInstanceUID = 0x0020000D;
inline constexpr Tag kSeriesInstanceUID = 0x0020000E;
inline constexpr Tag kStudyID = 0x00200010;
inline constexpr Tag kSeriesNumber = 0x00200011;
inline constexpr Tag kInstanceNumber = 0x00200013;
inline constexpr Tag kNumberOfFrames = 0x00280008;
inline constexpr Tag kRows = 0x00280010;
inline constexpr Tag kColumns = 0x00280011;
inline constexpr Tag kBitsAllocated = 0x00280100;
inline constexpr Tag kPerformedProcedureStepStartDate = 0x00400244;
inline constexpr Tag kPixelData = 0x7FE00010;
}  // namespace tags

}  // namespace healthd::dicom
