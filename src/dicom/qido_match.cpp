#include "dicom/qido_match.h"
#include "common/utf8.h"
#include "dicom/text_decoder.h"
#include "dicom/value_rules.h"

#include <charconv>
#include <cstdint>
#include <vector>

namespace healthd::dicom {

namespace {

// Decodes one UTF-8 code point at s[i]; advances i. Invalid bytes read as themselves (Latin-1).
uint32_t next_code_point(std::string_view s, size_t& i) {
  const auto b = static_cast<unsigned char>(s[i]);
  const char32_t cp = utf8::decode(s, i);
  return cp == utf8::kInvalid ? b : cp;
}

// Base letters of U+00C0..U+017F (lower case); '\0' keeps the character.
constexpr const char* kLatin1 =  // U+00C0..U+00FF
    "aaaaaaaceeeeiiii"           // C0-CF (C6 AE -> a)
    "dnooooo\0ouuuuyts"          // D0-DF (D7 x, DE thorn, DF sharp s)
    "aaaaaaaceeeeiiii"           // E0-EF
    "dnooooo\0ouuuuyty";         // F0-FF (F7 division)
constexpr const char* kLatinA =  // U+0100..U+017F
    "aaaaaaccccccccdd"
    "ddeeeeeeeeeegggg"
    "gggghhhhiiiiiiii"
    "iijjjjkkklllllll"
    "lllnnnnnnnnnoooo"
    "oooorrrrrrssssss"
    "ssttttttuuuuuuuu"
    "uuuuwwyyyzzzzzzs";

uint32_t fold(uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp >= 0xC0 && cp <= 0xFF && kLatin1[cp - 0xC0]) return static_cast<unsigned char>(kLatin1[cp - 0xC0]);
  if (cp >= 0x100 && cp <= 0x17F) return static_cast<unsigned char>(kLatinA[cp - 0x100]);
  if (cp >= 0x391 && cp <= 0x3A9) return cp + 0x20;  // Greek capitals
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;  // Cyrillic capitals
  return cp;
}

std::vector<std::string> words(std::string_view folded) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : folded) {
    if (c == '^' || c == ' ' || c == '=' || c == ',' || c == '-' || c == '.' || c == '*' || c == '\t') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool fuzzy_match(std::string_view query, std::string_view name) {
  const auto q = words(fold_text(query));
  if (q.empty()) return true;
  const auto n = words(fold_text(name));
  for (const auto& w : q) {
    bool found = false;
    for (const auto& candidate : n)
      if (candidate.starts_with(w)) {
        found = true;
        break;
      }
    if (!found) return false;
  }
  return true;
}

// TM values compared at full precision: "0930" -> "093000.000000" (low) or "093059.999999" (high).
std::string time_bound(std::string_view t, bool high) {
  std::string digits;
  std::string frac;
  const size_t dot = t.find('.');
  digits = std::string(t.substr(0, dot));
  if (dot != std::string_view::npos) frac = std::string(t.substr(dot + 1));
  while (digits.size() < 6) digits += high ? "59" : "00";
  digits.resize(6);
  while (frac.size() < 6) frac += high ? '9' : '0';
  return digits + "." + frac;
}

// DT values compared at full precision without their offset: "2020" -> "20200101000000.000000"
// (low) or "20201231235959.999999" (high).
std::string datetime_bound(std::string_view t, bool high) {
  const size_t zone = t.find_first_of("+-", 4);
  if (zone != std::string_view::npos) t = t.substr(0, zone);
  const size_t dot = t.find('.');
  std::string digits(t.substr(0, dot));
  std::string frac = dot == std::string_view::npos ? "" : std::string(t.substr(dot + 1));
  static constexpr std::string_view kLow = "00000101000000", kHigh = "99991231235959";
  if (digits.size() < kLow.size()) digits += std::string(high ? kHigh.substr(digits.size()) : kLow.substr(digits.size()));
  while (frac.size() < 6) frac += high ? '9' : '0';
  return digits + "." + frac;
}


std::optional<double> number(std::string_view s) {
  double d = 0;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return d;
}

bool in_range(const Condition& c, const std::string& value) {
  if (std::string_view(c.attribute->vr) == "DT") {
    const std::string v = datetime_bound(value, false);
    if (!c.low.empty() && v < datetime_bound(c.low, false)) return false;
    if (!c.high.empty() && v > datetime_bound(c.high, true)) return false;
    return true;
  }
  if (std::string_view(c.attribute->vr) == "TM") {
    const std::string v = time_bound(value, false);
    if (!c.low.empty() && v < time_bound(c.low, false)) return false;
    if (!c.high.empty() && v > time_bound(c.high, true)) return false;
    return true;
  }
  if (!c.low.empty() && value < c.low) return false;
  if (!c.high.empty() && value > c.high) return false;
  return true;
}

}  // namespace

std::string fold_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) utf8::append(out, fold(next_code_point(s, i)));
  return out;
}

bool wildcard_match(std::string_view pattern, std::string_view text) {
  // Iterative glob with backtracking to the last '*'; '?' consumes one UTF-8 code point.
  size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = p++;
      star_t = t;
    } else if (p < pattern.size() && pattern[p] == '?') {
      ++p;
      next_code_point(text, t);
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star_p != std::string_view::npos) {
      p = star_p + 1;
      next_code_point(text, star_t);
      t = star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool matches_value(const Condition& c, const std::optional<std::string>& value) {
  if (!value || value->empty()) return false;
  const bool pn = std::string_view(c.attribute->vr) == "PN";
  switch (c.kind) {
    case MatchKind::Single:
      if (is_numeric_vr(c.attribute->vr)) {
        auto want = number(c.values[0]), have = number(*value);
        return want && have && *want == *have;
      }
      if (std::string_view(c.attribute->vr) == "DT") return datetime_bound(c.values[0], false) == datetime_bound(*value, false);
      return pn ? fold_text(c.values[0]) == fold_text(*value) : c.values[0] == *value;
    case MatchKind::Wildcard:
      return pn ? wildcard_match(fold_text(c.values[0]), fold_text(*value)) : wildcard_match(c.values[0], *value);
    case MatchKind::List: {
      if (c.attribute->computed == Computed::ModalitiesInStudy) {
        // the row's value holds the modalities joined with "\"; any shared modality matches
        size_t start = 0;
        const std::string& v = *value;
        for (size_t i = 0; i <= v.size(); ++i) {
          if (i == v.size() || v[i] == '\\') {
            const std::string_view m(v.data() + start, i - start);
            for (const auto& want : c.values)
              if (m == want) return true;
            start = i + 1;
          }
        }
        return false;
      }
      for (const auto& want : c.values)
        if (want == *value) return true;
      return false;
    }
    case MatchKind::Range: return in_range(c, *value);
    case MatchKind::Fuzzy: return fuzzy_match(c.values[0], *value);
  }
  return false;
}

bool matches_row(const QidoQuery& query, const IndexRow& row) {
  for (const Condition& c : query.conditions)
    if (!matches_value(c, qido_value(*c.attribute, row))) return false;
  return true;
}

}  // namespace healthd::dicom
