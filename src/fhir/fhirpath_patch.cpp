// FHIRPath Patch engine (see fhirpath_patch.h). Paths are evaluated with the FHIRPath engine, whose
// results point into the resource; each result is turned into a step path from the root (member
// name + array index per level) so the operation can edit a mutable copy of the document.
#include "fhir/fhirpath_patch.h"

#include <cctype>
#include <cstdint>
#include <vector>

#include "fhir/definitions.h"
#include "fhirpath/fhirpath.h"

namespace healthd::fhir {

namespace {

using json::Allocator;
using json::Value;

enum class OpType { Add, Insert, Delete, Replace, Move };

struct Op {
  OpType type = OpType::Add;
  std::string type_text, path, name;
  const Value* value = nullptr;  // the `value` part (holds value[x], resource or part)
  std::optional<int64_t> index, source, destination;
  std::optional<fhirpath::Expression> expr;
};

struct Step {
  std::string name;
  int index = -1;  // >= 0: element `index` of the array `name`
};
using StepPath = std::vector<Step>;

// A location selected by a path: the steps to it, and whether only its `_name` sibling exists.
struct Loc {
  StepPath path;
  bool ext_only = false;  // a primitive with id/extension and no value: path ends at `_name`
};

struct Failure {
  FhirPathPatchError::Kind kind;
  std::string message;
};

bool starts_upper_after(std::string_view s, std::string_view prefix) {
  return s.size() > prefix.size() && s.substr(0, prefix.size()) == prefix &&
         std::isupper(static_cast<unsigned char>(s[prefix.size()]));
}

std::string_view sv(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

// ---------------------------------------------------------------------------------------------
// Parsing the Parameters

// The value[x] member of a Parameters part ("valueCode" -> its value and suffix "Code").
const Value* typed_value(const Value& part, std::string_view base, std::string* suffix, const Value** ext) {
  const Value* found = nullptr;
  if (ext) *ext = nullptr;
  for (auto it = part.MemberBegin(); it != part.MemberEnd(); ++it) {
    std::string_view m = sv(it->name);
    if (starts_upper_after(m, base)) {
      found = &it->value;
      if (suffix) *suffix = std::string(m.substr(base.size()));
    }
  }
  for (auto it = part.MemberBegin(); it != part.MemberEnd(); ++it) {
    std::string_view m = sv(it->name);
    if (!m.empty() && m[0] == '_' && starts_upper_after(m.substr(1), base)) {
      if (ext) *ext = &it->value;
      if (!found && suffix) *suffix = std::string(m.substr(1 + base.size()));
    }
  }
  return found;
}

std::optional<Failure> parse_operations(const Value& params, std::vector<Op>& ops) {
  auto malformed = [](std::string m) { return Failure{FhirPathPatchError::Kind::Malformed, std::move(m)}; };
  if (!params.IsObject()) return malformed("a FHIRPath Patch is a Parameters resource (a JSON object)");
  auto rt = json::get_string(params, "resourceType");
  if (!rt || *rt != "Parameters") return malformed("a FHIRPath Patch is a Parameters resource");
  const Value* list = json::get_member(params, "parameter");
  if (list == nullptr) return std::nullopt;  // no operations: nothing changes
  if (!list->IsArray()) return malformed("Parameters.parameter must be an array");
  for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
    const Value& p = (*list)[i];
    std::string at = "parameter " + std::to_string(i) + ": ";
    if (!p.IsObject()) return malformed(at + "not an object");
    auto name = json::get_string(p, "name");
    if (!name || *name != "operation")
      return malformed(at + "a FHIRPath Patch has only parameters named 'operation', not '" +
                       std::string(name.value_or("")) + "'");
    const Value* parts = json::get_member(p, "part");
    if (parts == nullptr || !parts->IsArray()) return malformed(at + "an operation needs its parts (type, path, ...)");
    Op op;
    for (const auto& part : parts->GetArray()) {
      if (!part.IsObject()) return malformed(at + "a part is not an object");
      auto pn = json::get_string(part, "name");
      if (!pn) return malformed(at + "a part has no name");
      auto string_of = [&](std::string& out) -> std::optional<Failure> {
        std::string suffix;
        const Value* v = typed_value(part, "value", &suffix, nullptr);
        if (v == nullptr || !v->IsString() || v->GetStringLength() == 0)
          return malformed(at + "part '" + std::string(*pn) + "' needs a string value (valueString/valueCode)");
        out.assign(v->GetString(), v->GetStringLength());
        return std::nullopt;
      };
      auto int_of = [&](std::optional<int64_t>& out) -> std::optional<Failure> {
        std::string suffix;
        const Value* v = typed_value(part, "value", &suffix, nullptr);
        if (v == nullptr || !v->IsInt64())
          return malformed(at + "part '" + std::string(*pn) + "' needs an integer value (valueInteger)");
        out = v->GetInt64();
        return std::nullopt;
      };
      std::optional<Failure> bad;
      if (*pn == "type") bad = string_of(op.type_text);
      else if (*pn == "path") bad = string_of(op.path);
      else if (*pn == "name") bad = string_of(op.name);
      else if (*pn == "index") bad = int_of(op.index);
      else if (*pn == "source") bad = int_of(op.source);
      else if (*pn == "destination") bad = int_of(op.destination);
      else if (*pn == "value") {
        const Value* ext = nullptr;
        if (!typed_value(part, "value", nullptr, &ext) && ext == nullptr && !part.HasMember("resource") &&
            !part.HasMember("part"))
          return malformed(at + "part 'value' has no value[x], resource or parts");
        op.value = &part;
      } else {
        return malformed(at + "unknown operation part '" + std::string(*pn) + "'");
      }
      if (bad) return bad;
    }
    if (op.type_text.empty()) return malformed(at + "an operation needs a 'type'");
    if (op.type_text == "add") op.type = OpType::Add;
    else if (op.type_text == "insert") op.type = OpType::Insert;
    else if (op.type_text == "delete") op.type = OpType::Delete;
    else if (op.type_text == "replace") op.type = OpType::Replace;
    else if (op.type_text == "move") op.type = OpType::Move;
    else return malformed(at + "unknown operation type '" + op.type_text + "' (add, insert, delete, replace, move)");
    at = "operation " + std::to_string(i) + " (" + op.type_text + (op.path.empty() ? "" : " " + op.path) + "): ";
    if (op.path.empty()) return malformed(at + "needs a 'path'");
    std::string why;
    op.expr = fhirpath::Expression::parse(op.path, &why);
    if (!op.expr) return malformed(at + "the path is not a valid FHIRPath expression: " + why);
    auto need = [&](bool have, const char* part) -> std::optional<Failure> {
      if (have) return std::nullopt;
      return malformed(at + "needs a '" + part + "' part");
    };
    switch (op.type) {
      case OpType::Add:
        if (auto b = need(!op.name.empty(), "name")) return b;
        if (auto b = need(op.value != nullptr, "value")) return b;
        break;
      case OpType::Insert:
        if (auto b = need(op.index.has_value(), "index")) return b;
        if (auto b = need(op.value != nullptr, "value")) return b;
        break;
      case OpType::Replace:
        if (auto b = need(op.value != nullptr, "value")) return b;
        break;
      case OpType::Move:
        if (auto b = need(op.source.has_value(), "source")) return b;
        if (auto b = need(op.destination.has_value(), "destination")) return b;
        break;
      case OpType::Delete:
        break;
    }
    ops.push_back(std::move(op));
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// The document

class Patcher {
 public:
  Patcher(json::Document& doc, const Definitions* defs) : doc_(doc), a_(doc.GetAllocator()), defs_(defs) {}

  std::optional<std::string> apply(const Op& op);

 private:
  json::Document& doc_;
  Allocator& a_;
  const Definitions* defs_;

  // --- navigation
  Value* at(const StepPath& p, size_t n) {
    Value* cur = &doc_;
    for (size_t i = 0; i < n; ++i) {
      if (!cur->IsObject()) return nullptr;
      auto it = cur->FindMember(p[i].name.c_str());
      if (it == cur->MemberEnd()) return nullptr;
      cur = &it->value;
      if (p[i].index >= 0) {
        if (!cur->IsArray() || static_cast<rapidjson::SizeType>(p[i].index) >= cur->Size()) return nullptr;
        cur = &(*cur)[static_cast<rapidjson::SizeType>(p[i].index)];
      }
    }
    return cur;
  }
  Value* at(const StepPath& p) { return at(p, p.size()); }

  const TypeModel* root_model() const {
    if (!defs_) return nullptr;
    auto rt = json::get_string(doc_, "resourceType");
    return rt ? defs_->resource(*rt) : nullptr;
  }

  // Model of the object at the first n steps (nullptr when unknown or not an object).
  const TypeModel* model_at(const StepPath& p, size_t n) {
    const TypeModel* m = root_model();
    for (size_t i = 0; i < n && m != nullptr; ++i) {
      const std::string& name = p[i].name;
      if (!name.empty() && name[0] == '_') {
        m = &defs_->element();
        continue;
      }
      const ElementModel* el = m->find(name);
      if (el == nullptr) return nullptr;
      if (el->kind == ElementKind::Complex) m = el->type;
      else if (el->kind == ElementKind::Resource) {
        Value* v = at(p, i + 1);
        auto rt = v ? json::get_string(*v, "resourceType") : std::nullopt;
        m = rt ? defs_->resource(*rt) : nullptr;
      } else {
        return nullptr;
      }
    }
    return m;
  }

  // Finds where each selected item lives. Error text when an item is not part of the resource.
  std::optional<std::string> locate(const fhirpath::Collection& c, std::vector<Loc>& out) {
    for (const auto& item : c.items) {
      const Value* target = item.node ? item.node : item.ext;
      if (target == nullptr) return "the path selects a value that is not an element of the resource";
      if (target == &doc_) {
        out.push_back(Loc{});
        continue;
      }
      StepPath path;
      if (!find(doc_, target, path)) return "the path selects a value that is not an element of the resource";
      Loc loc;
      if (item.node == nullptr && !path.empty() && !path.back().name.empty() && path.back().name[0] == '_') {
        loc.ext_only = true;
        path.back().name.erase(0, 1);
      }
      loc.path = std::move(path);
      out.push_back(std::move(loc));
    }
    return std::nullopt;
  }

  static bool find(const Value& v, const Value* target, StepPath& path) {
    if (!v.IsObject()) return false;
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      std::string name(it->name.GetString(), it->name.GetStringLength());
      if (&it->value == target) {
        path.push_back({name, -1});
        return true;
      }
      if (it->value.IsArray()) {
        for (rapidjson::SizeType i = 0; i < it->value.Size(); ++i) {
          path.push_back({name, static_cast<int>(i)});
          if (&it->value[i] == target || find(it->value[i], target, path)) return true;
          path.pop_back();
        }
      } else if (it->value.IsObject()) {
        path.push_back({name, -1});
        if (find(it->value, target, path)) return true;
        path.pop_back();
      }
    }
    return false;
  }

  // --- values

  struct Built {
    Value value;          // null when only id/extension
    Value ext;            // the `_name` object, or null
    std::string suffix;   // value[x] type suffix ("Date"); empty for parts and resources
  };

  // JSON name of element n of model m for a value of type suffix; error text when unknown.
  std::optional<std::string> resolve_name(const TypeModel* m, const std::string& n, const std::string& suffix,
                                          const ElementModel** el_out, std::string* json_name) {
    *el_out = nullptr;
    *json_name = n;
    if (m == nullptr) return std::nullopt;
    if (const ElementModel* el = m->find(n); el != nullptr) {
      *el_out = el;
      return std::nullopt;
    }
    if (!suffix.empty()) {
      if (const ElementModel* el = m->find(n + suffix); el != nullptr && el->choice) {
        *el_out = el;
        *json_name = n + suffix;
        return std::nullopt;
      }
      bool choice = false;
      for (const auto& s : m->slot_names) choice |= s == n + "[x]";
      if (choice) return "'" + n + "' cannot hold a value of type " + suffix;
    }
    return "'" + n + "' is not an element of " + m->name;
  }

  // Builds the value of a `value` part (or of a nested part) for an element whose type model is m.
  std::optional<std::string> build(const Value& part, const TypeModel* m, Built& out) {
    const Value* ext = nullptr;
    if (const Value* v = typed_value(part, "value", &out.suffix, &ext); v != nullptr || ext != nullptr) {
      if (v) out.value.CopyFrom(*v, a_);
      if (ext) out.ext.CopyFrom(*ext, a_);
      return std::nullopt;
    }
    if (const Value* r = json::get_member(part, "resource"); r != nullptr) {
      out.value.CopyFrom(*r, a_);
      return std::nullopt;
    }
    const Value* parts = json::get_member(part, "part");
    if (parts == nullptr || !parts->IsArray()) return "a value part has no value[x], resource or parts";
    out.value.SetObject();
    for (const auto& sub : parts->GetArray()) {
      auto n = sub.IsObject() ? json::get_string(sub, "name") : std::nullopt;
      if (!n || n->empty()) return "a part of a complex value has no name";
      Built child;
      std::string name(*n);
      // the child's model needs its element, which may need the value's suffix: peek at it first
      std::string suffix;
      const Value* peek_ext = nullptr;
      typed_value(sub, "value", &suffix, &peek_ext);
      const ElementModel* el = nullptr;
      std::string json_name;
      if (auto bad = resolve_name(m, name, suffix, &el, &json_name)) return bad;
      const TypeModel* cm = (el && el->kind == ElementKind::Complex) ? el->type : nullptr;
      if (auto bad = build(sub, cm, child)) return "part '" + name + "': " + *bad;
      bool array = el ? el->array : out.value.HasMember(json_name.c_str());
      auto existing = out.value.FindMember(json_name.c_str());
      if (array) {
        if (existing == out.value.MemberEnd()) {
          out.value.AddMember(json::str(json_name, a_), Value(rapidjson::kArrayType), a_);
          existing = out.value.FindMember(json_name.c_str());
        } else if (!existing->value.IsArray()) {
          Value first(std::move(existing->value));
          existing->value.SetArray();
          existing->value.PushBack(first, a_);
        }
        list_insert(out.value, json_name, existing->value.Size(), child);
      } else {
        if (existing != out.value.MemberEnd())
          return "part '" + name + "' is given more than once but does not repeat";
        set_member(out.value, json_name, child);
      }
    }
    return std::nullopt;
  }

  // --- edits

  static void erase(Value& obj, std::string_view name) {
    auto it = obj.FindMember(Value(rapidjson::StringRef(name.data(), name.size())));
    if (it != obj.MemberEnd()) obj.EraseMember(it);
  }

  // Sets obj[name] (a single element) and its `_name`.
  void set_member(Value& obj, const std::string& name, Built& b) {
    std::string uname = "_" + name;
    erase(obj, uname);
    if (!b.value.IsNull()) {
      auto it = obj.FindMember(name.c_str());
      if (it != obj.MemberEnd()) it->value = std::move(b.value);
      else obj.AddMember(json::str(name, a_), std::move(b.value), a_);
    } else {
      erase(obj, name);
    }
    if (!b.ext.IsNull()) obj.AddMember(json::str(uname, a_), std::move(b.ext), a_);
  }

  // Inserts into the list obj[name] at index i, keeping `_name` aligned. The list exists (maybe empty).
  void list_insert(Value& obj, const std::string& name, rapidjson::SizeType i, Built& b) {
    std::string uname = "_" + name;
    Value& arr = obj.FindMember(name.c_str())->value;
    rapidjson::SizeType old_size = arr.Size();
    insert_at(arr, i, std::move(b.value));
    auto u = obj.FindMember(uname.c_str());
    if (u == obj.MemberEnd() && !b.ext.IsNull()) {
      Value nulls(rapidjson::kArrayType);
      for (rapidjson::SizeType k = 0; k < old_size; ++k) nulls.PushBack(Value(), a_);
      obj.AddMember(json::str(uname, a_), std::move(nulls), a_);
      u = obj.FindMember(uname.c_str());
    }
    if (u != obj.MemberEnd() && u->value.IsArray()) {
      while (u->value.Size() < old_size) u->value.PushBack(Value(), a_);
      insert_at(u->value, i, std::move(b.ext));
    }
  }

  void insert_at(Value& arr, rapidjson::SizeType i, Value v) {
    arr.PushBack(Value(), a_);
    for (rapidjson::SizeType k = arr.Size() - 1; k > i; --k) arr[k] = std::move(arr[k - 1]);
    arr[i] = std::move(v);
  }

  // Removes element i of obj[name] (and of `_name`); drops the lists when nothing is left.
  void list_remove(Value& obj, const std::string& name, rapidjson::SizeType i, Value* removed, Value* removed_ext) {
    std::string uname = "_" + name;
    auto it = obj.FindMember(name.c_str());
    if (it != obj.MemberEnd() && it->value.IsArray() && i < it->value.Size()) {
      if (removed) *removed = std::move(it->value[i]);
      it->value.Erase(it->value.Begin() + i);
    }
    auto u = obj.FindMember(uname.c_str());
    if (u != obj.MemberEnd() && u->value.IsArray() && i < u->value.Size()) {
      if (removed_ext) *removed_ext = std::move(u->value[i]);
      u->value.Erase(u->value.Begin() + i);
    }
    tidy_list(obj, name);
  }

  // An all-null `_name` list or an empty list is dropped.
  static void tidy_list(Value& obj, const std::string& name) {
    std::string uname = "_" + name;
    auto u = obj.FindMember(uname.c_str());
    if (u != obj.MemberEnd() && u->value.IsArray()) {
      bool any = false;
      for (const auto& e : u->value.GetArray()) any |= !e.IsNull();
      if (!any) obj.EraseMember(u);
    }
    auto it = obj.FindMember(name.c_str());
    if (it != obj.MemberEnd() && it->value.IsArray() && it->value.Empty()) obj.EraseMember(it);
  }

  // Removes the element at p (non-empty), then every ancestor object left empty.
  void remove_at(StepPath p) {
    while (!p.empty()) {
      Value* parent = at(p, p.size() - 1);
      if (parent == nullptr || !parent->IsObject()) return;
      const Step& last = p.back();
      if (last.index >= 0) {
        if (!last.name.empty() && last.name[0] == '_') {  // keep `_name` aligned with `name`
          auto u = parent->FindMember(last.name.c_str());
          if (u != parent->MemberEnd() && u->value.IsArray() && static_cast<rapidjson::SizeType>(last.index) < u->value.Size())
            u->value[static_cast<rapidjson::SizeType>(last.index)].SetNull();
          tidy_list(*parent, last.name.substr(1));
        } else {
          list_remove(*parent, last.name, static_cast<rapidjson::SizeType>(last.index), nullptr, nullptr);
        }
      } else {
        erase(*parent, last.name);
        if (last.name.empty() || last.name[0] != '_') erase(*parent, "_" + last.name);
      }
      p.pop_back();
      if (p.empty()) return;
      Value* up = at(p);
      if (up == nullptr || !up->IsObject() || up->MemberCount() != 0) return;
    }
  }

  std::optional<std::string> evaluate(const fhirpath::Expression& e, std::vector<Loc>& locs) {
    fhirpath::EvalContext ctx;
    ctx.definitions = defs_;
    fhirpath::Collection c = fhirpath::evaluate(e, doc_, ctx);
    if (!c.ok()) return "the path could not be evaluated: " + c.error;
    return locate(c, locs);
  }

  // The list a path selects (insert, move): parent steps + member name + current size.
  std::optional<std::string> list_of(const Op& op, StepPath& parent, std::string& name, size_t& size);

  std::optional<std::string> add(const Op& op);
  std::optional<std::string> insert(const Op& op);
  std::optional<std::string> remove(const Op& op);
  std::optional<std::string> replace(const Op& op);
  std::optional<std::string> move(const Op& op);
};

std::string describe(const StepPath& p) {
  std::string s;
  for (const auto& st : p) {
    if (!s.empty()) s += '.';
    s += st.name;
    if (st.index >= 0) s += "[" + std::to_string(st.index) + "]";
  }
  return s;
}

std::optional<std::string> Patcher::add(const Op& op) {
  std::vector<Loc> locs;
  if (auto bad = evaluate(*op.expr, locs)) return bad;
  if (locs.empty()) return "no content found at " + op.path + " when adding";
  if (locs.size() > 1) return "the path selects " + std::to_string(locs.size()) + " elements; add needs exactly one";
  Loc& loc = locs[0];
  Value* target = at(loc.path);
  const TypeModel* m = nullptr;
  Value* obj = nullptr;
  bool primitive = loc.ext_only || target == nullptr || !target->IsObject();
  if (primitive) {
    // id/extension of a primitive go into its `_name` sibling
    if (op.name != "extension" && op.name != "id")
      return "the path selects a primitive; only 'extension' or 'id' can be added to it";
    if (loc.path.empty()) return "the path selects nothing that can be added to";
    Value* parent = at(loc.path, loc.path.size() - 1);
    if (parent == nullptr || !parent->IsObject()) return "the path selects nothing that can be added to";
    const Step& st = loc.path.back();
    std::string uname = "_" + st.name;
    auto u = parent->FindMember(uname.c_str());
    if (st.index < 0) {
      if (u == parent->MemberEnd()) {
        parent->AddMember(json::str(uname, a_), Value(rapidjson::kObjectType), a_);
        u = parent->FindMember(uname.c_str());
      }
      obj = &u->value;
    } else {
      auto arr = parent->FindMember(st.name.c_str());
      rapidjson::SizeType n = (arr != parent->MemberEnd() && arr->value.IsArray()) ? arr->value.Size() : 0;
      if (u == parent->MemberEnd()) {
        parent->AddMember(json::str(uname, a_), Value(rapidjson::kArrayType), a_);
        u = parent->FindMember(uname.c_str());
      }
      while (u->value.Size() < n) u->value.PushBack(Value(), a_);
      Value& slot = u->value[static_cast<rapidjson::SizeType>(st.index)];
      if (!slot.IsObject()) slot.SetObject();
      obj = &slot;
    }
    if (!obj->IsObject()) return "the primitive's id/extension sibling is not an object";
    m = defs_ ? &defs_->element() : nullptr;
  } else {
    obj = target;
    m = model_at(loc.path, loc.path.size());
  }
  std::string suffix;
  const Value* peek_ext = nullptr;
  typed_value(*op.value, "value", &suffix, &peek_ext);
  const ElementModel* el = nullptr;
  std::string json_name;
  if (auto bad = resolve_name(m, op.name, suffix, &el, &json_name)) return bad;
  Built b;
  if (auto bad = build(*op.value, (el && el->kind == ElementKind::Complex) ? el->type : nullptr, b)) return bad;
  auto existing = obj->FindMember(json_name.c_str());
  bool array = el ? el->array : (existing != obj->MemberEnd() && existing->value.IsArray());
  if (array) {
    if (existing == obj->MemberEnd()) {
      obj->AddMember(json::str(json_name, a_), Value(rapidjson::kArrayType), a_);
      existing = obj->FindMember(json_name.c_str());
    }
    if (!existing->value.IsArray()) return "'" + json_name + "' is not a list in the resource";
    list_insert(*obj, json_name, existing->value.Size(), b);
    return std::nullopt;
  }
  // a single element: it (or, for a choice, any of its types) must not exist yet
  bool present = existing != obj->MemberEnd() || obj->HasMember(("_" + json_name).c_str());
  if (el && el->choice && m) {
    for (auto it = obj->MemberBegin(); it != obj->MemberEnd(); ++it) {
      std::string_view nm = sv(it->name);
      if (!nm.empty() && nm[0] == '_') nm.remove_prefix(1);
      const ElementModel* other = m->find(nm);
      present |= other != nullptr && other->choice && other->slot == el->slot;
    }
  }
  if (present) return "'" + op.name + "' already has a value and does not repeat; use replace";
  set_member(*obj, json_name, b);
  return std::nullopt;
}

std::optional<std::string> Patcher::list_of(const Op& op, StepPath& parent, std::string& name, size_t& size) {
  std::vector<Loc> locs;
  if (auto bad = evaluate(*op.expr, locs)) return bad;
  if (locs.empty()) {
    // an empty list: the path's last step names it, its parent must exist
    size_t dot = op.path.rfind('.');
    std::string last = dot == std::string::npos ? std::string() : op.path.substr(dot + 1);
    bool ident = !last.empty() && (std::isalpha(static_cast<unsigned char>(last[0])) || last[0] == '_');
    for (char c : last) ident &= std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!ident) return "no content found at " + op.path;
    std::string why;
    auto prefix = fhirpath::Expression::parse(op.path.substr(0, dot), &why);
    if (!prefix) return "no content found at " + op.path;
    std::vector<Loc> up;
    if (auto bad = evaluate(*prefix, up)) return bad;
    if (up.size() != 1 || up[0].ext_only) return "no content found at " + op.path;
    Value* p = at(up[0].path);
    if (p == nullptr || !p->IsObject()) return "no content found at " + op.path;
    const TypeModel* m = model_at(up[0].path, up[0].path.size());
    const ElementModel* el = m ? m->find(last) : nullptr;
    if (m && (el == nullptr || !el->array)) return "'" + last + "' is not a list in " + m->name;
    parent = up[0].path;
    name = last;
    size = 0;
    return std::nullopt;
  }
  for (const auto& l : locs) {
    if (l.path.empty() || l.path.back().index < 0 || l.ext_only)
      return "the path does not select the items of a list";
    StepPath p(l.path.begin(), l.path.end() - 1);
    if (&l == &locs[0]) {
      parent = p;
      name = l.path.back().name;
    } else if (l.path.back().name != name || describe(p) != describe(parent)) {
      return "the path selects items of more than one list";
    }
  }
  Value* obj = at(parent);
  auto it = obj ? obj->FindMember(name.c_str()) : Value::MemberIterator();
  if (obj == nullptr || it == obj->MemberEnd() || !it->value.IsArray()) return "the path does not select a list";
  size = it->value.Size();
  return std::nullopt;
}

std::optional<std::string> Patcher::insert(const Op& op) {
  StepPath parent;
  std::string name;
  size_t size = 0;
  if (auto bad = list_of(op, parent, name, size)) return bad;
  if (*op.index < 0 || static_cast<size_t>(*op.index) > size)
    return "index " + std::to_string(*op.index) + " is outside the list of " + std::to_string(size) + " items";
  const TypeModel* m = model_at(parent, parent.size());
  const ElementModel* el = m ? m->find(name) : nullptr;
  Built b;
  if (auto bad = build(*op.value, (el && el->kind == ElementKind::Complex) ? el->type : nullptr, b)) return bad;
  Value* obj = at(parent);
  if (!obj->HasMember(name.c_str())) obj->AddMember(json::str(name, a_), Value(rapidjson::kArrayType), a_);
  list_insert(*obj, name, static_cast<rapidjson::SizeType>(*op.index), b);
  return std::nullopt;
}

std::optional<std::string> Patcher::move(const Op& op) {
  StepPath parent;
  std::string name;
  size_t size = 0;
  if (auto bad = list_of(op, parent, name, size)) return bad;
  auto in = [&](int64_t i) { return i >= 0 && static_cast<size_t>(i) < size; };
  if (!in(*op.source))
    return "source " + std::to_string(*op.source) + " is outside the list of " + std::to_string(size) + " items";
  if (!in(*op.destination))
    return "destination " + std::to_string(*op.destination) + " is outside the list of " + std::to_string(size) + " items";
  Value* obj = at(parent);
  std::string uname = "_" + name;
  bool had_ext = obj->HasMember(uname.c_str());
  if (had_ext) {  // pad `_name` so both lists move the same way
    Value& u = obj->FindMember(uname.c_str())->value;
    if (u.IsArray())
      while (u.Size() < size) u.PushBack(Value(), a_);
  }
  Built b;
  list_remove(*obj, name, static_cast<rapidjson::SizeType>(*op.source), &b.value, &b.ext);
  if (!obj->HasMember(name.c_str())) obj->AddMember(json::str(name, a_), Value(rapidjson::kArrayType), a_);
  list_insert(*obj, name, static_cast<rapidjson::SizeType>(*op.destination), b);
  tidy_list(*obj, name);
  return std::nullopt;
}

std::optional<std::string> Patcher::remove(const Op& op) {
  std::vector<Loc> locs;
  if (auto bad = evaluate(*op.expr, locs)) return bad;
  if (locs.empty()) return std::nullopt;  // nothing to delete
  if (locs.size() > 1) return "the path selects " + std::to_string(locs.size()) + " elements; only one can be deleted";
  if (locs[0].path.empty()) return "the resource itself cannot be deleted";
  remove_at(locs[0].path);
  return std::nullopt;
}

std::optional<std::string> Patcher::replace(const Op& op) {
  std::vector<Loc> locs;
  if (auto bad = evaluate(*op.expr, locs)) return bad;
  if (locs.empty()) return "no content found at " + op.path + " to replace";
  if (locs.size() > 1) return "the path selects " + std::to_string(locs.size()) + " elements; replace needs exactly one";
  const StepPath& p = locs[0].path;
  if (p.empty()) return "the resource itself cannot be replaced";
  Value* parent = at(p, p.size() - 1);
  if (parent == nullptr || !parent->IsObject()) return "the element to replace was not found";
  const Step& st = p.back();
  if (!st.name.empty() && st.name[0] == '_') return "an id/extension sibling cannot be replaced; replace its parts";
  const TypeModel* m = model_at(p, p.size() - 1);
  const ElementModel* el = m ? m->find(st.name) : nullptr;
  Built b;
  if (auto bad = build(*op.value, (el && el->kind == ElementKind::Complex) ? el->type : nullptr, b)) return bad;
  std::string uname = "_" + st.name;
  if (st.index >= 0) {
    auto it = parent->FindMember(st.name.c_str());
    if (b.value.IsNull()) return "a list item needs a value";
    it->value[static_cast<rapidjson::SizeType>(st.index)] = std::move(b.value);
    auto u = parent->FindMember(uname.c_str());
    if (u != parent->MemberEnd() && u->value.IsArray()) {
      while (u->value.Size() < it->value.Size()) u->value.PushBack(Value(), a_);
      u->value[static_cast<rapidjson::SizeType>(st.index)] = std::move(b.ext);
    } else if (!b.ext.IsNull()) {
      Value nulls(rapidjson::kArrayType);
      for (rapidjson::SizeType k = 0; k < it->value.Size(); ++k) nulls.PushBack(Value(), a_);
      nulls[static_cast<rapidjson::SizeType>(st.index)] = std::move(b.ext);
      parent->AddMember(json::str(uname, a_), std::move(nulls), a_);
    }
    tidy_list(*parent, st.name);
    return std::nullopt;
  }
  std::string json_name = st.name;
  if (el && el->choice && !b.suffix.empty()) {  // the value's type picks the choice's JSON name
    std::string base = m->slot_names[el->slot];
    if (base.size() > 3 && base.ends_with("[x]")) base.resize(base.size() - 3);
    const ElementModel* ne = m->find(base + b.suffix);
    if (ne == nullptr || !ne->choice || ne->slot != el->slot)
      return "'" + base + "' cannot hold a value of type " + b.suffix;
    json_name = base + b.suffix;
  }
  if (json_name != st.name) {
    erase(*parent, st.name);
    erase(*parent, uname);
  }
  set_member(*parent, json_name, b);
  return std::nullopt;
}

std::optional<std::string> Patcher::apply(const Op& op) {
  switch (op.type) {
    case OpType::Add: return add(op);
    case OpType::Insert: return insert(op);
    case OpType::Delete: return remove(op);
    case OpType::Replace: return replace(op);
    case OpType::Move: return move(op);
  }
  return "unknown operation";
}

std::string op_label(int i, const Op& op) {
  return "operation " + std::to_string(i) + " (" + op.type_text + " " + op.path + ")";
}

std::optional<FhirPathPatchError> check(const Value& params, std::vector<Op>& ops) {
  if (auto bad = parse_operations(params, ops)) {
    FhirPathPatchError e;
    e.kind = bad->kind;
    // parse_operations names the parameter; recover its index for callers
    e.index = static_cast<int>(ops.size());
    if (bad->message.rfind("Parameters", 0) == 0 || bad->message.rfind("a FHIRPath Patch is", 0) == 0) e.index = -1;
    e.message = std::move(bad->message);
    return e;
  }
  return std::nullopt;
}

}  // namespace

std::optional<FhirPathPatchError> check_fhirpath_patch(const json::Value& params) {
  std::vector<Op> ops;
  return check(params, ops);
}

std::optional<FhirPathPatchError> apply_fhirpath_patch(json::Document& doc, const json::Value& params,
                                                       const Definitions* defs) {
  std::vector<Op> ops;
  if (auto bad = check(params, ops)) return bad;
  if (ops.empty()) return std::nullopt;
  json::Document work;
  work.CopyFrom(doc, work.GetAllocator());
  Patcher patcher(work, defs);
  for (size_t i = 0; i < ops.size(); ++i) {
    if (auto failed = patcher.apply(ops[i])) {
      FhirPathPatchError e;
      e.kind = FhirPathPatchError::Kind::Failed;
      e.index = static_cast<int>(i);
      e.message = op_label(static_cast<int>(i), ops[i]) + ": " + *failed;
      return e;
    }
  }
  doc.Swap(work);
  return std::nullopt;
}

}  // namespace healthd::fhir
