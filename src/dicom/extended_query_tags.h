// Extended query tags (shared/reference/dicom.md, "Beyond the core"): attributes a DICOM service
// indexes for QIDO-RS beyond the standard searchable ones, added by the caller. Plain types and
// the validation of an add request; the store keeps them, the service serves them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dicom/index.h"
#include "dicom/tag.h"

namespace healthd::dicom {

inline constexpr size_t kMaxExtendedQueryTags = 128;

// Adding: the re-index operation runs; Ready: searchable; Deleting: being removed.
enum class TagStatus { Adding, Ready, Deleting };
// Disabled: QIDO refuses the tag (set automatically when re-indexing met invalid values).
enum class QueryStatus { Enabled, Disabled };

struct ExtendedQueryTagEntry {
  int64_t key = 0;  // the store's key
  Tag tag = 0;
  std::string path;             // eight hex digits, "00101010"
  std::string vr;               // AE AS CS DA DS DT FD FL IS LO PN SH SL SS TM UI UL US
  std::string private_creator;  // private tags only
  Level level = Level::Study;
  TagStatus status = TagStatus::Adding;
  QueryStatus query_status = QueryStatus::Enabled;
  int64_t error_count = 0;
  std::string operation_id;  // the re-index operation while Adding, else ""
};

// One entry of an add request, validated: the VR filled in from the dictionary when omitted.
struct NewExtendedQueryTag {
  Tag tag = 0;
  std::string vr, private_creator;
  Level level = Level::Study;
};

// Reads and validates the body of POST .../extendedquerytags: a non-empty JSON array of
// {path, vr, privateCreator, level} (member names case-insensitive). False with *error (a 400
// message) for malformed JSON, unknown members, a bad path/level/VR, private tags without their
// creator, tags inside sequences, attributes already searchable without an extended tag, and
// duplicates within the request.
bool parse_add_extended_query_tags(std::string_view body, std::vector<NewExtendedQueryTag>& out,
                                   std::string* error);

// A tag path of the URL or a request: eight hex digits or a dictionary keyword. nullopt when
// neither.
std::optional<Tag> parse_tag_path(std::string_view path);

// The VRs extended query tags may have.
bool is_extended_query_tag_vr(std::string_view vr);

const char* tag_status_name(TagStatus s);      // "Adding", "Ready", "Deleting"
const char* query_status_name(QueryStatus s);  // "Enabled", "Disabled"
const char* level_label(Level level);          // "Study", "Series", "Instance"

// A value an operation or the re-indexing found invalid for a tag.
struct ExtendedQueryTagError {
  std::string study_uid, series_uid, sop_uid;
  int64_t created_us = 0;
  std::string message;
};

// Long-running operations (GET .../operations/{id}).
enum class OperationStatus { NotStarted, Running, Completed, Failed };

struct Operation {
  std::string id;              // 32 hex digits
  std::string type = "reindex";
  OperationStatus status = OperationStatus::NotStarted;
  int percent_complete = 0;
  int64_t created_us = 0, updated_us = 0;
  std::vector<std::string> tag_paths;  // the tags it works on (still existing ones)
  int64_t cursor = 0;                  // re-index: the last instance key processed
  std::string error;                   // why it failed
};

const char* operation_status_name(OperationStatus s);  // "notStarted", "running", ...

}  // namespace healthd::dicom
