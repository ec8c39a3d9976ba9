// Internal to the DICOM service: writing DICOM JSON elements (PS3.18 F.2) into RapidJSON objects,
// keys as eight hex digits, members kept in tag order by the callers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dicom/tag.h"
#include "json/json.h"

namespace healthd::dicom {

// {"vr": vr, "Value": [value]}; an empty value gives {"vr": vr}.
void put_string(json::Value& obj, Tag tag, const char* vr, std::string_view value, json::Allocator& a);
void put_numbers(json::Value& obj, Tag tag, const char* vr, const std::vector<int64_t>& values, json::Allocator& a);
void put_sequence(json::Value& obj, Tag tag, json::Value& items, json::Allocator& a);
// A value of the index as its VR reads in JSON: PN as {"Alphabetic", "Ideographic", "Phonetic"},
// IS/US/SS/SL/UL and DS/FD/FL as numbers (left out when not a number), "\"-separated text as several values.
void put_index_value(json::Value& obj, Tag tag, std::string_view vr, const std::optional<std::string>& value,
                     json::Allocator& a);

}  // namespace healthd::dicom
