#include "search/match.h"

#include <cctype>
#include <cmath>

#include "common/time.h"

namespace healthd::search {

namespace {

enum class Prefix { Eq, Ne, Gt, Lt, Ge, Le, Sa, Eb, Ap };

// Reads an optional two-letter prefix followed by the value (digit, sign or '.').
Prefix take_prefix(std::string_view& v) {
  static constexpr std::pair<std::string_view, Prefix> kPrefixes[] = {
      {"eq", Prefix::Eq}, {"ne", Prefix::Ne}, {"gt", Prefix::Gt}, {"lt", Prefix::Lt}, {"ge", Prefix::Ge},
      {"le", Prefix::Le}, {"sa", Prefix::Sa}, {"eb", Prefix::Eb}, {"ap", Prefix::Ap},
  };
  if (v.size() > 2 && (std::isdigit(static_cast<unsigned char>(v[2])) || v[2] == '-' || v[2] == '.' || v[2] == '+'))
    for (const auto& [p, k] : kPrefixes)
      if (v.substr(0, 2) == p) {
        v.remove_prefix(2);
        return k;
      }
  return Prefix::Eq;
}

bool starts_with(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.substr(0, p.size()) == p; }

bool is_absolute(std::string_view v) { return v.find("://") != std::string_view::npos || starts_with(v, "urn:"); }

// ---- per type ----

bool match_string(const IndexValues& iv, std::string_view mod, std::string_view raw) {
  std::string v = unescape(raw);
  if (mod == "exact") {
    for (const auto& s : iv.strings)
      if (s.original == v) return true;
    return false;
  }
  std::string needle = normalize_string(v);
  for (const auto& s : iv.strings) {
    if (mod == "contains" ? s.normalized.find(needle) != std::string::npos : starts_with(s.normalized, needle))
      return true;
  }
  return false;
}

bool text_matches(const std::string& text, const std::string& needle) {
  // starts-with on the text or on any of its words
  if (starts_with(text, needle)) return true;
  for (size_t i = 1; i < text.size(); ++i)
    if (!std::isalnum(static_cast<unsigned char>(text[i - 1])) && starts_with(std::string_view(text).substr(i), needle))
      return true;
  return false;
}

bool match_token(const IndexValues& iv, std::string_view mod, std::string_view raw) {
  if (mod == "text") {
    std::string needle = normalize_string(unescape(raw));
    for (const auto& t : iv.texts)
      if (text_matches(t, needle)) return true;
    return false;
  }
  auto parts = split_escaped(raw, '|');
  if (mod == "of-type") {
    if (parts.size() != 3) return false;
    std::string sys = unescape(parts[0]), code = unescape(parts[1]), value = unescape(parts[2]);
    for (const auto& o : iv.of_type)
      if (o.type_system == sys && o.type_code == code && o.value == value) return true;
    return false;
  }
  if (parts.size() == 1) {
    std::string code = unescape(parts[0]);
    for (const auto& t : iv.tokens)
      if (t.code == code) return true;
    return false;
  }
  if (parts.size() != 2) return false;
  std::string sys = unescape(parts[0]), code = unescape(parts[1]);
  for (const auto& t : iv.tokens) {
    if (sys.empty()) {
      if (!t.has_system && t.code == code) return true;
    } else if (t.system == sys && (code.empty() || t.code == code)) {
      return true;
    }
  }
  return false;
}

bool match_reference(const SearchParam& p, const IndexValues& iv, std::string_view mod, std::string_view raw,
                     const MatchOptions& opt) {
  if (mod == "identifier") {
    auto parts = split_escaped(raw, '|');
    std::string sys = parts.size() == 2 ? unescape(parts[0]) : std::string();
    std::string value = unescape(parts.back());
    for (const auto& r : iv.references)
      if (!r.identifier_value.empty() && r.identifier_value == value && (parts.size() == 1 || r.identifier_system == sys))
        return true;
    return false;
  }
  std::string v = unescape(raw);
  std::string_view type_filter = mod;  // `subject:Patient`
  if (v.empty()) return false;

  std::string_view base = opt.base_url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  std::string_view rel = v;
  if (is_absolute(v)) {
    // canonical url|version, or an absolute reference
    std::string_view url = v, version;
    if (auto bar = url.find('|'); bar != std::string_view::npos) {
      version = url.substr(bar + 1);
      url = url.substr(0, bar);
    }
    for (const auto& r : iv.references) {
      if (r.url.empty()) continue;
      if (r.canonical) {
        if (r.url == url && (version.empty() || r.version == version)) return true;
      } else if (r.url == v) {
        return true;
      } else if (!r.version.empty() && version.empty() && r.url.size() > v.size() && starts_with(r.url, v) &&
                 starts_with(std::string_view(r.url).substr(v.size()), "/_history/")) {
        return true;  // versioned reference, unversioned search
      }
    }
    // an absolute URL of this server: compare as Type/id
    if (base.empty() || !starts_with(v, base) || v.size() <= base.size() + 1 || v[base.size()] != '/') return false;
    rel = std::string_view(v).substr(base.size() + 1);
  }
  std::string_view version;
  if (auto h = rel.find("/_history/"); h != std::string_view::npos) {
    version = rel.substr(h + 10);
    rel = rel.substr(0, h);
  }
  std::string_view type, id = rel;
  if (auto slash = rel.find('/'); slash != std::string_view::npos) {
    type = rel.substr(0, slash);
    id = rel.substr(slash + 1);
  }
  if (!type_filter.empty()) {
    if (!type.empty() && type != type_filter) return false;
    type = type_filter;
  }
  for (const auto& r : iv.references) {
    if (r.contained || r.canonical) continue;
    if (r.absolute && !r.local_key(base)) continue;  // another server's resource (or urn:uuid)
    if (r.id != id) continue;
    if (!type.empty() && !r.type.empty() && r.type != type) continue;
    if (!type.empty() && r.type.empty() && p.target.size() > 1) continue;  // type unknown and ambiguous
    if (!version.empty() && r.version != version) continue;
    return true;
  }
  return false;
}

bool match_uri(const IndexValues& iv, std::string_view mod, std::string_view raw) {
  std::string v = unescape(raw);
  for (const auto& u : iv.uris) {
    if (mod == "below" ? starts_with(u, v) : mod == "above" ? starts_with(v, u) : mod == "contains"
        ? u.find(v) != std::string::npos : u == v)
      return true;
  }
  return false;
}

bool compare_ranges(Prefix pre, int64_t rs, int64_t re, int64_t s, int64_t e, int64_t now) {
  bool eq = rs >= s && re <= e;
  switch (pre) {
    case Prefix::Eq: return eq;
    case Prefix::Ne: return !eq;
    case Prefix::Gt: return re > e;
    case Prefix::Lt: return rs < s;
    case Prefix::Ge: return re > e || eq;
    case Prefix::Le: return rs < s || eq;
    case Prefix::Sa: return rs >= e;
    case Prefix::Eb: return re <= s;
    case Prefix::Ap: {
      // 10% of the distance from now, at least the value's own precision
      double gap = std::fabs(static_cast<double>(s) - static_cast<double>(now)) * 0.1;
      int64_t d = static_cast<int64_t>(gap);
      int64_t lo = s - d, hi = e + d;
      return rs < hi && re > lo;
    }
  }
  return false;
}

bool match_date(const IndexValues& iv, std::string_view raw, const MatchOptions& opt) {
  std::string v = unescape(raw);
  std::string_view sv = v;
  Prefix pre = take_prefix(sv);
  auto r = parse_fhir_datetime_range(sv);
  if (!r) return false;
  int64_t now = opt.now_us != 0 ? opt.now_us : now_us();
  for (const auto& d : iv.dates)
    if (compare_ranges(pre, d.start_us, d.end_us, r->start_us, r->end_us, now)) return true;
  return false;
}

// A resource value (exact value, or [low, high] for a Range) against a search number with prefix.
bool compare_number(Prefix pre, double value, double vlow, double vhigh, bool is_range, double s, double slow,
                    double shigh) {
  if (is_range) {
    switch (pre) {
      case Prefix::Eq: return vlow < shigh && vhigh >= slow;
      case Prefix::Ne: return !(vlow < shigh && vhigh >= slow);
      case Prefix::Gt: case Prefix::Sa: return vhigh > s;
      case Prefix::Lt: case Prefix::Eb: return vlow < s;
      case Prefix::Ge: return vhigh >= s;
      case Prefix::Le: return vlow <= s;
      case Prefix::Ap: return vlow <= s + std::fabs(s) * 0.1 && vhigh >= s - std::fabs(s) * 0.1;
    }
    return false;
  }
  switch (pre) {
    case Prefix::Eq: return value >= slow && value < shigh;
    case Prefix::Ne: return !(value >= slow && value < shigh);
    case Prefix::Gt: case Prefix::Sa: return value > s;
    case Prefix::Lt: case Prefix::Eb: return value < s;
    case Prefix::Ge: return value >= s;
    case Prefix::Le: return value <= s;
    case Prefix::Ap: {
      double tol = std::max(std::fabs(s) * 0.1, (shigh - slow) / 2);
      return std::fabs(value - s) <= tol;
    }
  }
  return false;
}

bool match_number(const IndexValues& iv, std::string_view raw) {
  std::string v = unescape(raw);
  std::string_view sv = v;
  Prefix pre = take_prefix(sv);
  double s, lo, hi;
  if (!decimal_range(sv, s, lo, hi)) return false;
  for (const auto& n : iv.numbers)
    if (compare_number(pre, n.value, n.low, n.high, n.is_range, s, lo, hi)) return true;
  return false;
}

bool match_quantity(const IndexValues& iv, std::string_view raw) {
  auto parts = split_escaped(raw, '|');
  if (parts.size() != 1 && parts.size() != 3) return false;
  std::string num = unescape(parts[0]);
  std::string sys = parts.size() == 3 ? unescape(parts[1]) : std::string();
  std::string code = parts.size() == 3 ? unescape(parts[2]) : std::string();
  std::string_view sv = num;
  Prefix pre = take_prefix(sv);
  double s, lo, hi;
  if (!decimal_range(sv, s, lo, hi)) return false;
  const bool ucum = sys == kUcumSystem;
  if (ucum) to_canonical_ucum(code, s, lo, hi);  // matched against the canonical values too
  for (const auto& q : iv.quantities) {
    if (q.canonical && !ucum) continue;
    if (!sys.empty() && (q.system != sys || q.code != code)) continue;
    if (sys.empty() && !code.empty() && q.code != code && q.unit != code) continue;
    if (compare_number(pre, q.value, q.low, q.high, q.is_range, s, lo, hi)) return true;
  }
  return false;
}

bool match_one(const SearchParam& p, const IndexValues& iv, std::string_view mod, std::string_view v,
               const MatchOptions& opt);

bool match_composite(const SearchParam& p, const IndexValues& iv, std::string_view raw, const MatchOptions& opt) {
  auto parts = split_escaped(raw, '$');
  if (parts.size() != p.components.size()) return false;
  for (const auto& tuple : iv.composites) {
    bool all = tuple.size() == parts.size();
    for (size_t i = 0; all && i < parts.size(); ++i) {
      const SearchParam* cp = p.components[i].param;
      all = cp != nullptr && match_one(*cp, tuple[i], "", parts[i], opt);
    }
    if (all) return true;
  }
  return false;
}

bool match_one(const SearchParam& p, const IndexValues& iv, std::string_view mod, std::string_view v,
               const MatchOptions& opt) {
  switch (p.kind) {
    case ParamType::String: return match_string(iv, mod, v);
    case ParamType::Token: return match_token(iv, mod, v);
    case ParamType::Reference: return match_reference(p, iv, mod, v, opt);
    case ParamType::Uri: return match_uri(iv, mod, v);
    case ParamType::Date: return match_date(iv, v, opt);
    case ParamType::Number: return match_number(iv, v);
    case ParamType::Quantity: return match_quantity(iv, v);
    case ParamType::Composite: return match_composite(p, iv, v, opt);
    default: return false;
  }
}

}  // namespace

std::vector<std::string_view> split_escaped(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == ',' || s[i + 1] == '|' || s[i + 1] == '$' || s[i + 1] == '\\'))
      ++i;
    out.push_back(s[i]);
  }
  return out;
}

bool supported(const SearchParam& p, std::string_view mod) {
  if (mod.empty() || mod == "missing" || mod == "not") return p.kind != ParamType::Special;
  switch (p.kind) {
    case ParamType::String: return mod == "exact" || mod == "contains";
    case ParamType::Token: return mod == "text" || mod == "of-type" || mod == "exact";
    case ParamType::Uri: return mod == "below" || mod == "above" || mod == "contains";
    case ParamType::Reference:
      if (mod == "identifier") return true;
      if (!std::isupper(static_cast<unsigned char>(mod[0]))) return false;
      if (p.target.empty()) return true;
      for (const auto& t : p.target)
        if (t == mod) return true;
      return false;
    default: return false;
  }
}

bool matches(const SearchParam& p, const IndexValues& iv, std::string_view mod, std::string_view value) {
  return matches(p, iv, mod, value, MatchOptions{});
}

bool matches(const SearchParam& p, const IndexValues& iv, std::string_view mod, std::string_view value,
             const MatchOptions& opt) {
  if (!supported(p, mod)) return false;
  if (mod == "missing") {
    if (value == "true") return iv.empty();
    if (value == "false") return !iv.empty();
    return false;
  }
  bool negate = mod == "not";
  if (negate) mod = {};
  bool any = false;
  for (auto part : split_escaped(value, ','))
    if (!part.empty() && match_one(p, iv, mod, part, opt)) {
      any = true;
      break;
    }
  return negate ? !any : any;
}

}  // namespace healthd::search
