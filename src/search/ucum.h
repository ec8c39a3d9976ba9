// UCUM units (https://ucum.org) reduced to a canonical unit, so quantities in commensurable units
// compare: "mg" -> 1e-3 "g", "mmol/L" -> 1 "mol.m-3", "[lb_av]" -> 453.59237 "g", "mm[Hg]" ->
// 133.322 "g.m-1.s-2".
//
//   if (auto c = search::ucum_canonical("mg/dL")) value_in_canonical = c->scale(value);   // c->unit == "g.m-3"
//
// The parser reads UCUM's case-sensitive syntax: products '.', quotients '/', integer exponents,
// parentheses, annotations {..} (unity), 10*n / 10^n, metric prefixes (Y..y, "u" for micro, "da")
// on metric atoms, and a table of common atoms (SI base and derived units, litre, time units up
// to the Julian year, percent, parts per million, US/British customary length and mass, mm[Hg],
// cmH2O via m[H2O], equivalents and osmoles as moles, the enzyme unit U, international units
// [iU]/[IU] as an arbitrary unit of their own). Units it does not know, and the affine
// temperatures Cel and [degF] (a scale is not enough), give nullopt: such quantities are indexed
// and searched in their own unit only.
//
// Canonical units are products of base units in a fixed order: [iU] mol g m s K C cd rad, e.g.
// "g.m-3", "mol.m-3"; dimensionless "1". mol stays a base unit (UCUM defines it as a number of particles;
// keeping it makes canonical codes readable and loses nothing between amounts of substance).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace healthd::search {

inline constexpr std::string_view kUcumSystem = "http://unitsofmeasure.org";

struct UcumCanonical {
  std::string unit;    // canonical unit code
  double multiplier = 1;  // value in the canonical unit = value * multiplier * 10^exponent10
  int exponent10 = 0;     // kept apart so prefixes scale by exact powers of ten

  double scale(double value) const;
};

// nullopt when `code` is not a UCUM expression this parser knows, or is affine (Cel, [degF]).
std::optional<UcumCanonical> ucum_canonical(std::string_view code);

}  // namespace healthd::search
