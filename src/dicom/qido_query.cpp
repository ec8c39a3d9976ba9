#include "dicom/qido_query.h"

#include <algorithm>
#include <charconv>

#include "dicom/value_rules.h"

namespace healthd::dicom {

namespace {

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::Study: return "study";
    case Level::Series: return "series";
    case Level::Instance: return "instance";
  }
  return "study";
}

std::vector<std::string> split_any(std::string_view s, std::string_view seps) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || seps.find(s[i]) != std::string_view::npos) {
      if (i > start) out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// DA: YYYYMMDD. TM: HH, HHMM, HHMMSS, HHMMSS.F{1,6}. DT: YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX].
bool valid_point(std::string_view vr, std::string_view v) {
  if (vr == "DA") return v.size() == 8 && all_digits(v) && check_value("DA", v).empty();
  if (vr == "TM" || vr == "DT") return check_value(vr, v).empty() && !v.empty();
  return false;
}


bool parse_int(std::string_view s, int& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// The position in a DT range value of the "-" separating low and high, or npos: a "-" right
// after at least four digits of a date and time, not one of a time zone offset ("&ZZXX" is
// "+hhmm" or "-hhmm" after the date and time: it is followed by exactly four digits and ends the
// value or precedes the range dash).
size_t datetime_range_dash(const std::string& v) {
  if (v.starts_with("-")) return 0;
  for (size_t i = 4; i < v.size(); ++i) {
    if (v[i] != '-') continue;
    const bool offset = i + 5 <= v.size() && all_digits(std::string_view(v).substr(i + 1, 4)) &&
                        (i + 5 == v.size() || v[i + 5] == '-') && i >= 8;
    if (!offset) return i;
  }
  return std::string::npos;
}

const QidoAttribute& add_extended_attribute(const ExtendedQueryTagEntry& e, QidoQuery& out) {
  QidoAttribute a{e.tag, "", "", e.level, true, false, nullptr};
  a.extended = static_cast<int>(out.extended.size());
  out.extended.push_back(e);
  // keyword and vr point into the entry the query keeps (deque elements do not move)
  out.extended_attributes.push_back(a);
  QidoAttribute& kept = out.extended_attributes.back();
  kept.vr = out.extended.back().vr.c_str();
  kept.keyword = out.extended.back().path.c_str();
  return kept;
}

bool read_condition(const QidoAttribute& a, const std::string& name, const std::string& value, bool fuzzy,
                    Condition& c, std::string* error) {
  c.attribute = &a;
  const std::string_view vr = a.vr;
  const std::string where = name + "=" + value + ": ";
  if (vr == "UI" || a.computed == Computed::ModalitiesInStudy) {
    c.kind = MatchKind::List;
    c.values = split_any(value, "\\,");
    if (c.values.empty()) return fail(error, where + "no value");
    if (vr == "UI")
      for (const auto& uid : c.values)
        if (!is_valid_uid(uid)) return fail(error, where + "'" + uid + "' is not a valid UID (digits and dots, at most 64)");
    return true;
  }
  if (is_numeric_vr(vr)) {
    double number = 0;
    auto r = std::from_chars(value.data(), value.data() + value.size(), number);
    if (r.ec != std::errc() || r.ptr != value.data() + value.size())
      return fail(error, where + "not a number (" + std::string(vr) + " attributes match single values)");
    c.kind = MatchKind::Single;
    c.values = {value};
    return true;
  }
  // DT ranges: "-" also separates a time zone offset, so only a "-" outside an offset splits.
  if (vr == "DA" || vr == "TM" || vr == "DT") {
    const size_t dash = vr == "DT" ? datetime_range_dash(value) : value.find('-');
    const char* format = vr == "DA" ? " (YYYYMMDD)" : vr == "TM" ? " (HHMMSS)" : " (YYYYMMDDHHMMSS)";
    if (dash == std::string::npos) {
      if (!valid_point(vr, value))
        return fail(error, where + "not a valid " + std::string(vr) + format + " nor a range (low-high, low-, -high)");
      c.kind = MatchKind::Single;
      c.values = {value};
      return true;
    }
    c.kind = MatchKind::Range;
    c.low = value.substr(0, dash);
    c.high = value.substr(dash + 1);
    if ((c.low.empty() && c.high.empty()) || (!c.low.empty() && !valid_point(vr, c.low)) ||
        (!c.high.empty() && !valid_point(vr, c.high)))
      return fail(error, where + "not a valid range of " + std::string(vr) +
                             (vr == "DA"   ? " (YYYYMMDD-YYYYMMDD, YYYYMMDD-, -YYYYMMDD)"
                              : vr == "TM" ? " values (HHMMSS-HHMMSS)"
                                           : " values (YYYYMMDDHHMMSS-YYYYMMDDHHMMSS)"));
    return true;
  }
  if (vr == "PN" && fuzzy) {
    c.kind = MatchKind::Fuzzy;
  } else {
    c.kind = value.find_first_of("*?") != std::string::npos ? MatchKind::Wildcard : MatchKind::Single;
  }
  c.values = {value};
  return true;
}

// The extended query tag named k (keyword or tag), as an attribute of the query; nullptr with
// *error when it is not searchable now, and with *error empty when k names no extended query tag.
const QidoAttribute* extended_attribute(const std::string& k, const std::vector<ExtendedQueryTagEntry>& tags,
                                        QidoQuery& out, std::string* error) {
  auto tag = tag_of(k);
  if (!tag) return nullptr;
  auto found = std::find_if(tags.begin(), tags.end(), [&](const ExtendedQueryTagEntry& e) { return e.tag == *tag; });
  if (found == tags.end()) return nullptr;
  if (found->status != TagStatus::Ready) {
    fail(error, "'" + k + "' is an extended query tag that is not searchable yet (status " +
                    tag_status_name(found->status) + "): its re-index operation has not completed");
    return nullptr;
  }
  if (found->query_status == QueryStatus::Disabled) {
    fail(error, "'" + k + "' is an extended query tag whose QueryStatus is Disabled (re-indexing met invalid values, "
                    "see .../extendedquerytags/" + found->path + "/errors); enable it with PATCH to search it");
    return nullptr;
  }
  for (const QidoAttribute& a : out.extended_attributes)
    if (a.tag == *tag) return &a;
  return &add_extended_attribute(*found, out);
}

bool is_level_at_most(Level attribute, Level query) { return static_cast<int>(attribute) <= static_cast<int>(query); }

}  // namespace

bool parse_qido_query(const std::vector<std::pair<std::string, std::string>>& params, Level level, QidoQuery& out,
                      std::string* error, const std::vector<ExtendedQueryTagEntry>& extended_query_tags) {
  out = QidoQuery{};
  out.level = level;
  // fuzzymatching first: it changes how PN values read.
  for (const auto& [k, v] : params) {
    if (k != "fuzzymatching") continue;
    if (v != "true" && v != "false") return fail(error, "fuzzymatching: must be true or false, not '" + v + "'");
    out.fuzzy = v == "true";
  }
  for (const auto& [k, v] : params) {
    if (k == "fuzzymatching") continue;
    if (k == "limit") {
      if (!parse_int(v, out.limit) || out.limit < 1 || out.limit > kQidoMaxLimit)
        return fail(error, "limit: must be an integer from 1 to " + std::to_string(kQidoMaxLimit) + ", not '" + v + "'");
      continue;
    }
    if (k == "offset") {
      if (!parse_int(v, out.offset) || out.offset < 0)
        return fail(error, "offset: must be a non-negative integer, not '" + v + "'");
      continue;
    }
    if (k == "includefield") {
      for (const std::string& name : split_any(v, ",")) {
        if (name == "all") {
          out.include_all = true;
          continue;
        }
        auto tag = tag_of(name);
        if (!tag) return fail(error, "includefield: '" + name + "' is not a DICOM keyword or tag (e.g. 0008103E)");
        out.include.push_back(*tag);
      }
      continue;
    }
    const QidoAttribute* a = find_qido_attribute(k);
    if (!a || !a->searchable) {
      std::string why;
      a = extended_attribute(k, extended_query_tags, out, &why);
      if (!why.empty()) return fail(error, why);
    }
    if (!a) {
      if (tag_of(k))
        return fail(error, "'" + k + "' is not a searchable attribute (add it as an extended query tag to search it)");
      return fail(error, "unknown query parameter '" + k + "'");
    }
    if (!is_level_at_most(a->level, level))
      return fail(error, std::string(a->keyword) + " is a " + level_name(a->level) + "-level attribute: it cannot be searched in a " +
                             level_name(level) + " search");
    if (v.empty()) continue;  // universal matching
    Condition c;
    if (!read_condition(*a, k, v, out.fuzzy, c, error)) return false;
    out.conditions.push_back(std::move(c));
  }
  // includefield=all: every searchable extended query tag of the level and above is returned.
  if (out.include_all)
    for (const auto& e : extended_query_tags)
      if (e.status == TagStatus::Ready && e.query_status == QueryStatus::Enabled && is_level_at_most(e.level, level) &&
          std::none_of(out.extended.begin(), out.extended.end(), [&](const auto& x) { return x.tag == e.tag; }))
        add_extended_attribute(e, out);
  return true;
}

}  // namespace healthd::dicom
