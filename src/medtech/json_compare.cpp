#include "medtech/json_compare.h"

#include <string_view>

namespace healthd::medtech {

namespace {
constexpr int kMaxDepth = 1000;

bool integral(const json::Value& v) { return v.IsInt64() || v.IsUint64(); }

__int128 as_int128(const json::Value& v) {
  return v.IsInt64() ? static_cast<__int128>(v.GetInt64()) : static_cast<__int128>(v.GetUint64());
}
}  // namespace

int compare_numbers(const json::Value& a, const json::Value& b) {
  if (integral(a) && integral(b)) {
    __int128 x = as_int128(a), y = as_int128(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  double x = a.GetDouble(), y = b.GetDouble();
  return x < y ? -1 : x > y ? 1 : 0;
}

bool json_equal(const json::Value& a, const json::Value& b, int depth) {
  if (depth > kMaxDepth) return false;
  if (a.IsNumber() && b.IsNumber()) return compare_numbers(a, b) == 0;
  if (a.GetType() != b.GetType()) return false;
  switch (a.GetType()) {
    case rapidjson::kNullType:
    case rapidjson::kTrueType:
    case rapidjson::kFalseType:
      return true;
    case rapidjson::kStringType:
      return std::string_view(a.GetString(), a.GetStringLength()) ==
             std::string_view(b.GetString(), b.GetStringLength());
    case rapidjson::kArrayType: {
      if (a.Size() != b.Size()) return false;
      for (rapidjson::SizeType i = 0; i < a.Size(); ++i)
        if (!json_equal(a[i], b[i], depth + 1)) return false;
      return true;
    }
    case rapidjson::kObjectType: {
      if (a.MemberCount() != b.MemberCount()) return false;
      for (const auto& m : a.GetObject()) {
        auto it = b.FindMember(m.name);
        if (it == b.MemberEnd() || !json_equal(m.value, it->value, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace healthd::medtech
