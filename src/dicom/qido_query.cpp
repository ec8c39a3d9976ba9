#include "dicom/qido_query.h"

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

// DA: YYYYMMDD. TM: HH, HHMM, HHMMSS, HHMMSS.F{1,6}.
bool valid_point(std::string_view vr, std::string_view v) {
  if (vr == "DA") return v.size() == 8 && all_digits(v) && check_value("DA", v).empty();
  if (vr == "TM") return check_value("TM", v).empty() && !v.empty();
  return false;
}

bool parse_int(std::string_view s, int& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
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
  if (vr == "DA" || vr == "TM") {
    const size_t dash = value.find('-');
    if (dash == std::string::npos) {
      if (!valid_point(vr, value))
        return fail(error, where + "not a valid " + std::string(vr) + (vr == "DA" ? " (YYYYMMDD)" : " (HHMMSS)") +
                               " nor a range (low-high, low-, -high)");
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
                             (vr == "DA" ? " (YYYYMMDD-YYYYMMDD, YYYYMMDD-, -YYYYMMDD)" : " values (HHMMSS-HHMMSS)"));
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

bool is_level_at_most(Level attribute, Level query) { return static_cast<int>(attribute) <= static_cast<int>(query); }

}  // namespace

bool parse_qido_query(const std::vector<std::pair<std::string, std::string>>& params, Level level, QidoQuery& out,
                      std::string* error) {
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
      if (tag_of(k))
        return fail(error, "'" + k + "' is not a searchable attribute (extended query tags are not supported yet)");
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
  return true;
}

}  // namespace healthd::dicom
