// A QIDO-RS query string read into conditions (PS3.18 8.3.4, shared/reference/dicom.md):
// attribute=value pairs (keyword or tag), includefield, limit (1-200, default 100), offset,
// fuzzymatching. Errors are messages for a 400 answer.
#pragma once

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "dicom/dictionary.h"
#include "dicom/extended_query_tags.h"
#include "dicom/qido_attributes.h"
#include "dicom/store.h"
#include "dicom/tag.h"

namespace healthd::dicom {

enum class MatchKind {
  Single,    // exact (PN: case-insensitive)
  Wildcard,  // * and ? (PN: case-insensitive)
  List,      // any of values (UIDs separated by "\" or ","; ModalitiesInStudy)
  Range,     // DA / TM: low-high, low-, -high (low / high may be empty)
  Fuzzy,     // PN with fuzzymatching=true: every word of the value starts a word of the name
};

struct Condition {
  const QidoAttribute* attribute = nullptr;
  MatchKind kind = MatchKind::Single;
  std::vector<std::string> values;  // Single / Wildcard / Fuzzy: one; List: several
  std::string low, high;            // Range
};

struct QidoQuery {
  Level level = Level::Study;
  std::vector<Condition> conditions;
  bool include_all = false;
  std::vector<Tag> include;  // includefield tags (any tag; unknown to the index come from metadata)
  int limit = 100;
  int offset = 0;
  bool fuzzy = false;
  // Extended query tags the query searches on (and, with includefield=all, every one of its
  // level), in the order of IndexAttributes::extended; their attributes live here, so
  // conditions can point at them.
  std::deque<ExtendedQueryTagEntry> extended;
  std::deque<QidoAttribute> extended_attributes;
};

inline constexpr int kQidoMaxLimit = 200;

// Reads the query parameters of a search at `level`. Conditions on attributes below the level,
// unknown parameters and malformed values fail with a message naming them. Extended query tags
// are searchable once Ready and while their QueryStatus is Enabled.
bool parse_qido_query(const std::vector<std::pair<std::string, std::string>>& params, Level level, QidoQuery& out,
                      std::string* error, const std::vector<ExtendedQueryTagEntry>& extended_query_tags = {});

}  // namespace healthd::dicom
