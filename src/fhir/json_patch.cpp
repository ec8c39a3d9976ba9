#include "fhir/json_patch.h"

#include <utility>

namespace healthd::fhir {

namespace {

using json::Value;

enum class Op { Add, Remove, Replace, Move, Copy, Test };

std::optional<Op> op_named(std::string_view s) {
  if (s == "add") return Op::Add;
  if (s == "remove") return Op::Remove;
  if (s == "replace") return Op::Replace;
  if (s == "move") return Op::Move;
  if (s == "copy") return Op::Copy;
  if (s == "test") return Op::Test;
  return std::nullopt;
}

std::string_view view(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

// Escapes one reference token back into pointer syntax (~ -> ~0, / -> ~1).
std::string escape_token(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  for (char c : t) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string pointer_of(const std::vector<std::string>& tokens, size_t n) {
  if (n == 0) return "(the document root)";
  std::string out;
  for (size_t i = 0; i < n; ++i) out += "/" + escape_token(tokens[i]);
  return out;
}

// RFC 6901 array index: "0" or digits without a leading zero. nullopt otherwise (including "-").
std::optional<size_t> array_index(std::string_view t) {
  if (t.empty() || t.size() > 15) return std::nullopt;
  if (t.size() > 1 && t[0] == '0') return std::nullopt;
  size_t n = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  return n;
}

const char* type_name(const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "a boolean";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    case rapidjson::kStringType: return "a string";
    case rapidjson::kNumberType: return "a number";
  }
  return "a value";
}

// Applies operations to one working document; every failure is reported through `fail`.
class Applier {
 public:
  explicit Applier(json::Document& doc) : doc_(doc), a_(doc.GetAllocator()) {}

  std::string why;  // reason of the last failure (without the operation prefix)

  // The value at tokens[0..n), or nullptr (why says which prefix is missing).
  Value* resolve(const std::vector<std::string>& tokens, size_t n) {
    Value* cur = &doc_;
    for (size_t i = 0; i < n; ++i) {
      const std::string& t = tokens[i];
      if (cur->IsObject()) {
        auto it = cur->FindMember(Value(rapidjson::StringRef(t.data(), t.size())));
        if (it == cur->MemberEnd()) {
          why = "path " + pointer_of(tokens, i + 1) + " does not exist";
          return nullptr;
        }
        cur = &it->value;
      } else if (cur->IsArray()) {
        auto idx = array_index(t);
        if (!idx) {
          why = "'" + t + "' is not a valid array index at " + pointer_of(tokens, i) +
                (t == "-" ? " ('-' names the element after the last, which does not exist here)" : "");
          return nullptr;
        }
        if (*idx >= cur->Size()) {
          why = "index " + t + " is out of range at " + pointer_of(tokens, i) + " (the array has " +
                std::to_string(cur->Size()) + " elements)";
          return nullptr;
        }
        cur = &(*cur)[static_cast<rapidjson::SizeType>(*idx)];
      } else {
        why = "path " + pointer_of(tokens, i + 1) + " does not exist (" + pointer_of(tokens, i) + " is " +
              type_name(*cur) + ")";
        return nullptr;
      }
    }
    return cur;
  }

  // RFC 6902 4.1: add (or replace an existing member); `v` must use the document's allocator.
  bool add(const std::vector<std::string>& tokens, Value& v) {
    if (tokens.empty()) {
      static_cast<Value&>(doc_) = v;  // moves
      return true;
    }
    Value* parent = resolve(tokens, tokens.size() - 1);
    if (!parent) return false;
    const std::string& last = tokens.back();
    if (parent->IsObject()) {
      auto it = parent->FindMember(Value(rapidjson::StringRef(last.data(), last.size())));
      if (it != parent->MemberEnd()) {
        it->value = v;
      } else {
        parent->AddMember(json::str(last, a_), v, a_);
      }
      return true;
    }
    if (parent->IsArray()) {
      if (last == "-") {
        parent->PushBack(v, a_);
        return true;
      }
      auto idx = array_index(last);
      if (!idx) {
        why = "'" + last + "' is not a valid array index at " + pointer_of(tokens, tokens.size() - 1);
        return false;
      }
      if (*idx > parent->Size()) {
        why = "index " + last + " is out of range at " + pointer_of(tokens, tokens.size() - 1) + " (the array has " +
              std::to_string(parent->Size()) + " elements; an add may use at most " +
              std::to_string(parent->Size()) + " or '-')";
        return false;
      }
      parent->PushBack(v, a_);
      for (auto i = parent->Size() - 1; i > *idx; --i) (*parent)[i].Swap((*parent)[i - 1]);
      return true;
    }
    why = "cannot add " + pointer_of(tokens, tokens.size()) + ": " + pointer_of(tokens, tokens.size() - 1) + " is " +
          type_name(*parent) + ", not an object or array";
    return false;
  }

  // RFC 6902 4.2: removes the target and hands its value back in `out`.
  bool remove(const std::vector<std::string>& tokens, Value& out) {
    if (tokens.empty()) {
      why = "the whole document cannot be removed";
      return false;
    }
    Value* target = resolve(tokens, tokens.size());
    if (!target) return false;
    Value* parent = resolve(tokens, tokens.size() - 1);
    out.Swap(*target);
    if (parent->IsObject()) {
      const std::string& last = tokens.back();
      parent->EraseMember(Value(rapidjson::StringRef(last.data(), last.size())));  // keeps member order
    } else {
      auto idx = array_index(tokens.back());
      parent->Erase(parent->Begin() + *idx);
    }
    return true;
  }

  bool replace(const std::vector<std::string>& tokens, Value& v) {
    Value* target = resolve(tokens, tokens.size());
    if (!target) return false;
    *target = v;
    return true;
  }

  json::Allocator& allocator() { return a_; }

 private:
  json::Document& doc_;
  json::Allocator& a_;
};

struct Parsed {
  Op op;
  std::string_view op_name;
  std::string_view path_text;
  std::vector<std::string> path;
  std::vector<std::string> from;
  const Value* value = nullptr;
};

std::string prefix(int index, std::string_view op, std::string_view path) {
  std::string p = "operation " + std::to_string(index);
  if (!op.empty()) p += " (" + std::string(op) + " '" + std::string(path) + "')";
  return p + ": ";
}

JsonPatchError malformed(int index, std::string message) {
  return {JsonPatchError::Kind::Malformed, index, std::move(message)};
}

// Checks one operation object and extracts what it needs.
std::optional<JsonPatchError> parse_op(const Value& o, int i, Parsed& p) {
  if (!o.IsObject())
    return malformed(i, prefix(i, {}, {}) + "each operation must be a JSON object, found " + type_name(o));
  auto op = o.FindMember("op");
  if (op == o.MemberEnd() || !op->value.IsString())
    return malformed(i, prefix(i, {}, {}) + "the member 'op' is missing or not a string");
  p.op_name = view(op->value);
  auto kind = op_named(p.op_name);
  if (!kind)
    return malformed(i, prefix(i, {}, {}) + "unknown op '" + std::string(p.op_name) +
                            "' (expected add, remove, replace, move, copy or test)");
  p.op = *kind;
  auto path = o.FindMember("path");
  if (path == o.MemberEnd() || !path->value.IsString())
    return malformed(i, prefix(i, p.op_name, "?") + "the member 'path' is missing or not a string");
  p.path_text = view(path->value);
  auto tokens = parse_json_pointer(p.path_text);
  if (!tokens)
    return malformed(i, prefix(i, p.op_name, p.path_text) + "'" + std::string(p.path_text) +
                            "' is not a JSON Pointer (it must be empty or start with '/', and '~' must be "
                            "followed by 0 or 1)");
  p.path = std::move(*tokens);
  if (p.op == Op::Move || p.op == Op::Copy) {
    auto from = o.FindMember("from");
    if (from == o.MemberEnd() || !from->value.IsString())
      return malformed(i, prefix(i, p.op_name, p.path_text) + "the member 'from' is missing or not a string");
    auto ft = parse_json_pointer(view(from->value));
    if (!ft)
      return malformed(i, prefix(i, p.op_name, p.path_text) + "'from' ('" + std::string(view(from->value)) +
                              "') is not a JSON Pointer");
    p.from = std::move(*ft);
  }
  if (p.op == Op::Add || p.op == Op::Replace || p.op == Op::Test) {
    auto value = o.FindMember("value");
    if (value == o.MemberEnd())
      return malformed(i, prefix(i, p.op_name, p.path_text) + "the member 'value' is missing");
    p.value = &value->value;
  }
  return std::nullopt;
}

bool is_proper_prefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() >= b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

std::string short_json(const Value& v) {
  std::string s = json::to_string(v);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

}  // namespace

std::optional<std::vector<std::string>> parse_json_pointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer[0] != '/') return std::nullopt;
  std::string cur;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    char c = pointer[i];
    if (c == '~') {
      if (i + 1 >= pointer.size()) return std::nullopt;
      char e = pointer[++i];
      if (e == '0') cur += '~';
      else if (e == '1') cur += '/';
      else return std::nullopt;
    } else {
      cur += c;
    }
  }
  return tokens;
}

std::optional<JsonPatchError> check_json_patch(const json::Value& patch) {
  if (!patch.IsArray())
    return malformed(-1, std::string("a JSON Patch document must be a JSON array of operations, found ") +
                             type_name(patch));
  int i = 0;
  for (const auto& o : patch.GetArray()) {
    Parsed p;
    if (auto bad = parse_op(o, i, p)) return bad;
    ++i;
  }
  return std::nullopt;
}

std::optional<JsonPatchError> apply_json_patch(json::Document& doc, const json::Value& patch) {
  if (auto bad = check_json_patch(patch)) return bad;

  json::Document work;
  work.CopyFrom(doc, work.GetAllocator());
  Applier ap(work);
  auto& a = ap.allocator();
  int i = 0;
  for (const auto& o : patch.GetArray()) {
    Parsed p;
    parse_op(o, i, p);  // checked above
    bool ok = true;
    switch (p.op) {
      case Op::Add: {
        Value v(*p.value, a);
        ok = ap.add(p.path, v);
        break;
      }
      case Op::Remove: {
        Value out;
        ok = ap.remove(p.path, out);
        break;
      }
      case Op::Replace: {
        Value v(*p.value, a);
        ok = ap.replace(p.path, v);
        break;
      }
      case Op::Move: {
        if (p.from == p.path) {
          ok = ap.resolve(p.from, p.from.size()) != nullptr;  // a no-op, but 'from' must exist
          if (!ok) ap.why = "'from' " + ap.why;
          break;
        }
        if (is_proper_prefix(p.from, p.path)) {
          ok = false;
          ap.why = "cannot move " + pointer_of(p.from, p.from.size()) + " into one of its own children";
          break;
        }
        Value moved;
        ok = ap.remove(p.from, moved);
        if (!ok) {
          ap.why = "'from' " + ap.why;
          break;
        }
        ok = ap.add(p.path, moved);
        break;
      }
      case Op::Copy: {
        const Value* src = ap.resolve(p.from, p.from.size());
        if (!src) {
          ok = false;
          ap.why = "'from' " + ap.why;
          break;
        }
        Value v(*src, a);
        ok = ap.add(p.path, v);
        break;
      }
      case Op::Test: {
        const Value* target = ap.resolve(p.path, p.path.size());
        if (!target) {
          ok = false;
          break;
        }
        if (!(*target == *p.value)) {  // RapidJSON: deep, member order ignored, 1 == 1.0
          ok = false;
          ap.why = "test failed: the value at '" + std::string(p.path_text) + "' is " + short_json(*target) +
                   ", not " + short_json(*p.value);
        }
        break;
      }
    }
    if (!ok) return JsonPatchError{JsonPatchError::Kind::Failed, i, prefix(i, p.op_name, p.path_text) + ap.why};
    ++i;
  }
  doc.Swap(work);
  return std::nullopt;
}

}  // namespace healthd::fhir
