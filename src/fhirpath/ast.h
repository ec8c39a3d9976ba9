// The compiled form of a FHIRPath expression.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fhirpath/fhirpath.h"

namespace healthd::fhirpath {

enum class Op : uint8_t {
  Empty,     // {}
  Literal,   // literal value
  Member,    // args[0] (or input when absent) . name
  Function,  // args[0] = focus (may be null), args[1..] = parameters
  This, Index, Total,
  Constant,  // %name
  Indexer,   // args[0][args[1]]
  Neg, Pos,
  Mul, Div, IntDiv, Mod,
  Add, Sub, Concat,
  Is, As,    // args[0] is/as type
  Union,
  Lt, Gt, Le, Ge,
  Eq, Equiv, Ne, NotEquiv,
  In, Contains,
  And, Or, Xor, Implies,
};

enum class Fn : uint8_t {
  Unknown,
  Empty, Exists, All, AllTrue, AnyTrue, AllFalse, AnyFalse, SubsetOf, SupersetOf, Count, Distinct,
  IsDistinct,
  Where, Select, Repeat, OfType,
  Single, First, Last, Tail, Skip, Take, Intersect, Exclude,
  Union, Combine,
  Iif, ToBoolean, ConvertsToBoolean, ToInteger, ConvertsToInteger, ToDecimal, ConvertsToDecimal,
  ToString, ConvertsToString, ToDate, ConvertsToDate, ToDateTime, ConvertsToDateTime, ToTime,
  ConvertsToTime, ToQuantity, ConvertsToQuantity,
  IndexOf, Substring, StartsWith, EndsWith, ContainsStr, Upper, Lower, Replace, Matches,
  ReplaceMatches, Length, ToChars, Trim, Split, Join, Encode, Decode, Escape, Unescape,
  Abs, Ceiling, Exp, Floor, Ln, Log, Power, Round, Sqrt, Truncate,
  Children, Descendants,
  Trace, Now, Today, TimeOfDay,
  Aggregate, Sort,
  Not, Is, As, Type,
  Extension, HasValue, GetValue, Resolve, MemberOf, ConformsTo, HtmlChecks, ElementDefinition, Slice,
  CheckModifiers, Subsumes, SubsumedBy,
  LowBoundary, HighBoundary, Precision, Comparable,
};

struct TypeSpec {
  std::string ns;    // "System", "FHIR" or empty (unqualified)
  std::string name;  // "Integer", "Patient", "date"
};

struct Node {
  Op op = Op::Empty;
  Fn fn = Fn::Unknown;
  std::string name;  // member / function / constant name
  Value literal;
  TypeSpec type;     // Is/As, and is()/as()/ofType() parameters
  bool root_type_check = false;  // Member at the start of a path whose name may be a type ("Patient.name")
  std::vector<std::unique_ptr<Node>> args;
  uint32_t pos = 0;  // offset in the text
};

}  // namespace healthd::fhirpath
