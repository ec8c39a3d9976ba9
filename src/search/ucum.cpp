#include "search/ucum.h"

#include <array>
#include <cctype>
#include <cmath>
#include <numbers>
#include <unordered_map>
#include <vector>

namespace healthd::search {

namespace {

// Base units, in the order canonical codes list them.
constexpr std::array<std::string_view, 9> kBase = {"[iU]", "mol", "g", "m", "s", "K", "C", "cd", "rad"};
enum : size_t { IU, MOL, G, M, S, K, C, CD, RAD };
using Dims = std::array<int, kBase.size()>;

struct Unit {
  double multiplier = 1;
  int exponent10 = 0;
  Dims dims{};
};

struct Atom {
  std::string_view symbol;
  bool metric;  // takes prefixes
  double multiplier;
  int exponent10;
  Dims dims;
  bool affine = false;  // a temperature scale with an offset: not reducible to a factor
};

Dims d(std::initializer_list<std::pair<size_t, int>> parts) {
  Dims out{};
  for (auto [i, e] : parts) out[i] = e;
  return out;
}

const std::vector<Atom>& atoms() {
  static const std::vector<Atom> kAtoms = {
      // SI base units (UCUM's gram, not kilogram) and mol, cd, rad
      {"m", true, 1, 0, d({{M, 1}})},
      {"s", true, 1, 0, d({{S, 1}})},
      {"g", true, 1, 0, d({{G, 1}})},
      {"mol", true, 1, 0, d({{MOL, 1}})},
      {"K", true, 1, 0, d({{K, 1}})},
      {"C", true, 1, 0, d({{C, 1}})},
      {"cd", true, 1, 0, d({{CD, 1}})},
      {"rad", true, 1, 0, d({{RAD, 1}})},
      // derived metric units
      {"L", true, 1, -3, d({{M, 3}})},
      {"l", true, 1, -3, d({{M, 3}})},
      {"ar", true, 1, 2, d({{M, 2}})},
      {"t", true, 1, 6, d({{G, 1}})},
      {"Hz", true, 1, 0, d({{S, -1}})},
      {"N", true, 1, 3, d({{G, 1}, {M, 1}, {S, -2}})},
      {"Pa", true, 1, 3, d({{G, 1}, {M, -1}, {S, -2}})},
      {"bar", true, 1, 8, d({{G, 1}, {M, -1}, {S, -2}})},
      {"m[Hg]", true, 133.322, 6, d({{G, 1}, {M, -1}, {S, -2}})},
      {"m[H2O]", true, 9.80665, 6, d({{G, 1}, {M, -1}, {S, -2}})},
      {"J", true, 1, 3, d({{G, 1}, {M, 2}, {S, -2}})},
      {"cal", true, 4.184, 3, d({{G, 1}, {M, 2}, {S, -2}})},
      {"[Cal]", false, 4.184, 6, d({{G, 1}, {M, 2}, {S, -2}})},
      {"W", true, 1, 3, d({{G, 1}, {M, 2}, {S, -3}})},
      {"A", true, 1, 0, d({{C, 1}, {S, -1}})},
      {"V", true, 1, 3, d({{G, 1}, {M, 2}, {S, -2}, {C, -1}})},
      {"eq", true, 1, 0, d({{MOL, 1}})},
      {"osm", true, 1, 0, d({{MOL, 1}})},
      {"kat", true, 1, 0, d({{MOL, 1}, {S, -1}})},
      {"U", true, 1.0 / 60, -6, d({{MOL, 1}, {S, -1}})},  // enzyme unit: umol/min
      {"[iU]", true, 1, 0, d({{IU, 1}})},
      {"[IU]", true, 1, 0, d({{IU, 1}})},
      // time
      {"min", false, 60, 0, d({{S, 1}})},
      {"h", false, 3600, 0, d({{S, 1}})},
      {"d", false, 86400, 0, d({{S, 1}})},
      {"wk", false, 604800, 0, d({{S, 1}})},
      {"mo", false, 2629800, 0, d({{S, 1}})},   // mean Julian month
      {"a", false, 31557600, 0, d({{S, 1}})},   // Julian year
      // dimensionless
      {"%", false, 1, -2, {}},
      {"[ppth]", false, 1, -3, {}},
      {"[ppm]", false, 1, -6, {}},
      {"[ppb]", false, 1, -9, {}},
      {"deg", false, std::numbers::pi / 180, 0, d({{RAD, 1}})},
      // customary units
      {"[in_i]", false, 2.54, -2, d({{M, 1}})},
      {"[ft_i]", false, 30.48, -2, d({{M, 1}})},
      {"[yd_i]", false, 91.44, -2, d({{M, 1}})},
      {"[mi_i]", false, 1609.344, 0, d({{M, 1}})},
      {"[lb_av]", false, 453.59237, 0, d({{G, 1}})},
      {"[oz_av]", false, 28.349523125, 0, d({{G, 1}})},
      {"[gr]", false, 64.79891, -3, d({{G, 1}})},
      {"[gal_us]", false, 3.785411784, -3, d({{M, 3}})},
      {"[pt_us]", false, 0.473176473, -3, d({{M, 3}})},
      {"[foz_us]", false, 29.5735295625, -6, d({{M, 3}})},
      // temperature scales with an offset
      {"Cel", true, 1, 0, d({{K, 1}}), true},
      {"[degF]", false, 1, 0, d({{K, 1}}), true},
      {"[degRe]", false, 1, 0, d({{K, 1}}), true},
  };
  return kAtoms;
}

constexpr std::pair<std::string_view, int> kPrefixes[] = {
    {"da", 1},  {"Y", 24}, {"Z", 21}, {"E", 18},  {"P", 15},  {"T", 12},  {"G", 9},   {"M", 6},  {"k", 3},  {"h", 2},
    {"d", -1},  {"c", -2}, {"m", -3}, {"u", -6},  {"n", -9},  {"p", -12}, {"f", -15}, {"a", -18}, {"z", -21}, {"y", -24},
};

const Atom* find_atom(std::string_view symbol) {
  for (const Atom& a : atoms())
    if (a.symbol == symbol) return &a;
  return nullptr;
}

void combine(Unit& acc, const Unit& u, bool divide) {
  const int sign = divide ? -1 : 1;
  acc.multiplier = divide ? acc.multiplier / u.multiplier : acc.multiplier * u.multiplier;
  acc.exponent10 += sign * u.exponent10;
  for (size_t i = 0; i < acc.dims.size(); ++i) acc.dims[i] += sign * u.dims[i];
}

Unit power(const Unit& u, int n) {
  Unit out;
  out.multiplier = std::pow(u.multiplier, n);
  out.exponent10 = u.exponent10 * n;
  for (size_t i = 0; i < u.dims.size(); ++i) out.dims[i] = u.dims[i] * n;
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  bool parse(Unit& out) {
    if (s_.empty() || !term(out)) return false;
    return i_ == s_.size();
  }

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }

  bool term(Unit& out) {
    out = Unit{};
    bool divide = false;
    if (peek() == '/') {  // "/min"
      divide = true;
      ++i_;
    }
    for (;;) {
      Unit c;
      if (!component(c)) return false;
      combine(out, c, divide);
      if (peek() == '.' || peek() == '/') {
        divide = peek() == '/';
        ++i_;
        continue;
      }
      return true;
    }
  }

  bool annotation() {  // {anything}: unity
    if (peek() != '{') return false;
    size_t close = s_.find('}', i_);
    if (close == std::string_view::npos) return false;
    i_ = close + 1;
    return true;
  }

  bool integer(int& out, bool allow_sign) {
    size_t start = i_;
    bool neg = false;
    if (allow_sign && (peek() == '+' || peek() == '-')) {
      neg = peek() == '-';
      ++i_;
    }
    size_t digits = i_;
    int64_t v = 0;
    while (std::isdigit(static_cast<unsigned char>(peek())) && v < 1000000) v = v * 10 + (s_[i_++] - '0');
    if (i_ == digits) {
      i_ = start;
      return false;
    }
    out = static_cast<int>(neg ? -v : v);
    return true;
  }

  bool component(Unit& u) {
    u = Unit{};
    if (peek() == '(') {
      ++i_;
      if (!term(u) || peek() != ')') return false;
      ++i_;
      return true;
    }
    if (peek() == '{') return annotation();
    if (std::isdigit(static_cast<unsigned char>(peek()))) {
      size_t start = i_;
      int n;
      integer(n, false);
      if (s_.substr(start, i_ - start) == "10" && (peek() == '*' || peek() == '^')) {
        ++i_;
        int e;
        if (!integer(e, true)) return false;
        u.exponent10 = e;
      } else {
        u.multiplier = n;  // a factor: "100/{cells}"
      }
      annotation();
      return true;
    }
    // A unit symbol: letters and the like, with [...] groups (which may hold digits).
    size_t start = i_;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '[') {
        size_t close = s_.find(']', i_);
        if (close == std::string_view::npos) return false;
        i_ = close + 1;
        continue;
      }
      if (c == '.' || c == '/' || c == '(' || c == ')' || c == '{' || c == '}' || c == '+' || c == '-' ||
          std::isdigit(static_cast<unsigned char>(c)) || c == ' ')
        break;
      ++i_;
    }
    if (i_ == start) return false;
    Unit base;
    if (!resolve(s_.substr(start, i_ - start), base)) return false;
    int e = 1;
    if (peek() == '+' || peek() == '-' || std::isdigit(static_cast<unsigned char>(peek())))
      if (!integer(e, true)) return false;
    u = power(base, e);
    annotation();
    return true;
  }

  bool resolve(std::string_view symbol, Unit& u) {
    const Atom* atom = find_atom(symbol);
    int prefix = 0;
    if (!atom) {
      for (const auto& [p, e] : kPrefixes) {
        if (!symbol.starts_with(p) || symbol.size() == p.size()) continue;
        const Atom* a = find_atom(symbol.substr(p.size()));
        if (a && a->metric) {
          atom = a;
          prefix = e;
          break;
        }
      }
    }
    if (!atom || atom->affine) return false;
    u.multiplier = atom->multiplier;
    u.exponent10 = atom->exponent10 + prefix;
    u.dims = atom->dims;
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

std::optional<UcumCanonical> compute(std::string_view code) {
  Unit u;
  if (!Parser(code).parse(u) || !std::isfinite(u.multiplier) || u.multiplier <= 0) return std::nullopt;
  UcumCanonical c;
  c.multiplier = u.multiplier;
  c.exponent10 = u.exponent10;
  for (size_t i = 0; i < kBase.size(); ++i) {
    if (u.dims[i] == 0) continue;
    if (!c.unit.empty()) c.unit += '.';
    c.unit += kBase[i];
    if (u.dims[i] != 1) c.unit += std::to_string(u.dims[i]);
  }
  if (c.unit.empty()) c.unit = "1";
  return c;
}

}  // namespace

double UcumCanonical::scale(double value) const {
  double v = value * multiplier;
  // Exact powers of ten (up to 1e22) keep "500 mg" at exactly 0.5 g.
  const int e = exponent10 < 0 ? -exponent10 : exponent10;
  const double p = e <= 22 ? std::pow(10.0, e) : std::pow(10.0, static_cast<double>(e));
  return exponent10 < 0 ? v / p : v * p;
}

std::optional<UcumCanonical> ucum_canonical(std::string_view code) {
  // Few distinct units occur in practice: remember them per thread.
  thread_local std::unordered_map<std::string, std::optional<UcumCanonical>> memo;
  if (auto it = memo.find(std::string(code)); it != memo.end()) return it->second;
  if (memo.size() > 4096) memo.clear();
  auto c = compute(code);
  memo.emplace(std::string(code), c);
  return c;
}

}  // namespace healthd::search
