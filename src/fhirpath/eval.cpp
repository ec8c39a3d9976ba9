// Evaluator core: navigation over FHIR JSON, operators, types, the public evaluate().
#include "fhirpath/eval.h"

#include <cmath>
#include <cstring>

#include "fhir/definitions.h"

namespace healthd::fhirpath {

namespace {

Kind kind_of_primitive(fhir::PrimitiveKind p) {
  using P = fhir::PrimitiveKind;
  switch (p) {
    case P::Boolean: return Kind::Boolean;
    case P::Integer:
    case P::UnsignedInt:
    case P::PositiveInt: return Kind::Integer;
    case P::Decimal: return Kind::Decimal;
    case P::Date: return Kind::Date;
    case P::DateTime:
    case P::Instant: return Kind::DateTime;
    case P::Time: return Kind::Time;
    default: return Kind::String;
  }
}

// Fills the System value of a JSON primitive. Falls back to String/number kinds when the text does not parse.
void fill_primitive(Value& v, const rapidjson::Value& j, Kind want) {
  if (j.IsBool()) {
    v.kind = Kind::Boolean;
    v.boolean = j.GetBool();
  } else if (j.IsNumber()) {
    if (want == Kind::Decimal || !(j.IsInt64() || j.IsUint64())) {
      v.kind = Kind::Decimal;
      v.decimal = j.GetDouble();
      v.scale = static_cast<int8_t>(decimal_scale(v.decimal));
    } else {
      v.kind = Kind::Integer;
      v.integer = j.IsInt64() ? j.GetInt64() : static_cast<int64_t>(j.GetUint64());
    }
  } else if (j.IsString()) {
    v.kind = Kind::String;
    if (want == Kind::Date || want == Kind::DateTime || want == Kind::Time) {
      std::string_view s(j.GetString(), j.GetStringLength());
      if (parse_temporal(s, want, v.temporal)) {
        v.kind = want;
      } else if (want == Kind::Date && parse_temporal(s, Kind::DateTime, v.temporal)) {
        v.kind = Kind::DateTime;
      }
    }
  }
}

std::string_view json_type_name(const rapidjson::Value& j) {
  if (j.IsBool()) return "boolean";
  if (j.IsNumber()) return (j.IsInt64() || j.IsUint64()) ? "integer" : "decimal";
  return "string";
}

bool starts_with(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.substr(0, p.size()) == p; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Values from JSON

Value Evaluator::from_json(const rapidjson::Value* j, const rapidjson::Value* ext, const fhir::ElementModel* el) const {
  Value v;
  v.node = j;
  v.ext = ext;
  if (j != nullptr && j->IsObject()) {
    v.kind = Kind::Object;
    auto rt = j->FindMember("resourceType");
    if (rt != j->MemberEnd() && rt->value.IsString() && (el == nullptr || el->kind != fhir::ElementKind::Complex)) {
      std::string_view name(rt->value.GetString(), rt->value.GetStringLength());
      const fhir::TypeModel* m = defs_ ? defs_->resource(name) : nullptr;
      v.model = m;
      v.fhir_type = m ? std::string_view(m->name) : name;
    } else if (el != nullptr) {
      v.model = el->type;
      v.fhir_type = el->type_code;
    }
    return v;
  }
  Kind want = Kind::String;
  if (el != nullptr && el->kind == fhir::ElementKind::Primitive) {
    want = kind_of_primitive(el->primitive);
    v.fhir_type = fhir::primitive_name(el->primitive);
  } else if (j != nullptr) {
    v.fhir_type = json_type_name(*j);
    if (j->IsNumber()) want = (j->IsInt64() || j->IsUint64()) ? Kind::Integer : Kind::Decimal;
  }
  if (j == nullptr || j->IsNull()) {
    v.node = nullptr;
    v.kind = want;
    v.has_value = false;
    return v;
  }
  fill_primitive(v, *j, want);
  return v;
}

void Evaluator::emit(const rapidjson::Value* j, const rapidjson::Value* ext, const fhir::ElementModel* el, Items& out) const {
  if (j != nullptr && j->IsArray()) {
    rapidjson::SizeType n = j->Size();
    rapidjson::SizeType en = (ext != nullptr && ext->IsArray()) ? ext->Size() : 0;
    for (rapidjson::SizeType i = 0; i < std::max(n, en); ++i) {
      const rapidjson::Value* a = i < n ? &(*j)[i] : nullptr;
      const rapidjson::Value* b = i < en ? &(*ext)[i] : nullptr;
      if (a != nullptr && a->IsNull()) a = nullptr;
      if (b != nullptr && b->IsNull()) b = nullptr;
      if (a == nullptr && b == nullptr) continue;
      out.push_back(from_json(a, b, el));
    }
    return;
  }
  if (j == nullptr && ext != nullptr && ext->IsArray()) {
    for (const auto& e : ext->GetArray())
      if (e.IsObject()) out.push_back(from_json(nullptr, &e, el));
    return;
  }
  if (j != nullptr && j->IsNull()) j = nullptr;
  if (j == nullptr && (ext == nullptr || !ext->IsObject())) return;
  out.push_back(from_json(j, ext, el));
}

static const rapidjson::Value* member(const rapidjson::Value& obj, std::string_view name) {
  auto it = obj.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

static const rapidjson::Value* underscore_member(const rapidjson::Value& obj, std::string_view name) {
  char buf[256];
  if (name.size() + 1 > sizeof buf) return nullptr;
  buf[0] = '_';
  std::memcpy(buf + 1, name.data(), name.size());
  return member(obj, std::string_view(buf, name.size() + 1));
}

void Evaluator::children(const Value& item, std::string_view name, Items& out) const {
  if (item.kind == Kind::TypeInfo) {
    if (name == "namespace") out.push_back(Value::of_string(item.text));
    else if (name == "name") out.push_back(Value::of_string(item.unit));
    return;
  }
  if (item.kind != Kind::Object || item.node == nullptr) {
    // a primitive: id and extension live in the `_name` sibling
    if (item.ext != nullptr && item.ext->IsObject() && (name == "extension" || name == "id")) {
      const fhir::ElementModel* el = defs_ ? defs_->element().find(name) : nullptr;
      emit(member(*item.ext, name), nullptr, el, out);
    }
    return;
  }
  const rapidjson::Value& obj = *item.node;
  if (!obj.IsObject()) return;
  const fhir::TypeModel* model = item.model;
  if (model != nullptr) {
    const fhir::ElementModel* el = model->find(name);
    if (el != nullptr && !el->choice) {
      const rapidjson::Value* j = member(obj, name);
      const rapidjson::Value* ext = el->kind == fhir::ElementKind::Primitive ? underscore_member(obj, name) : nullptr;
      emit(j, ext, el, out);
      return;
    }
    if (el != nullptr && el->choice && strict_)
      throw EvalError("'" + std::string(name) + "' is one type of a choice element; use '" +
                      model->slot_names[el->slot] + "' instead");
    size_t before = out.size();
    bool known = false;
    for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
      std::string_view m(it->name.GetString(), it->name.GetStringLength());
      if (m.size() > name.size() && starts_with(m, name) && std::isupper(static_cast<unsigned char>(m[name.size()]))) {
        const fhir::ElementModel* ce = model->find(m);
        if (ce != nullptr && ce->choice) {
          known = true;
          const rapidjson::Value* ext = ce->kind == fhir::ElementKind::Primitive ? underscore_member(obj, m) : nullptr;
          emit(&it->value, ext, ce, out);
          break;
        }
      } else if (m.size() == name.size() + 1 + 0 && m[0] == '_' && m.substr(1) == name) {
        // `_name` only (no value): handled by the model path above; ignore here
      }
    }
    if (out.size() == before && !known) {
      // `_valueString` without a value
      for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
        std::string_view m(it->name.GetString(), it->name.GetStringLength());
        if (m.size() > name.size() + 1 && m[0] == '_' && starts_with(m.substr(1), name) &&
            std::isupper(static_cast<unsigned char>(m[name.size() + 1]))) {
          const fhir::ElementModel* ce = model->find(m.substr(1));
          if (ce != nullptr && ce->choice) {
            emit(nullptr, &it->value, ce, out);
            known = true;
          }
        }
      }
    }
    if (strict_ && el == nullptr && !known) {
      bool declared = false;
      for (const auto& s : model->slot_names) {
        if (s == name || (s.size() == name.size() + 3 && starts_with(s, name) && s.substr(name.size()) == "[x]")) {
          declared = true;
          break;
        }
      }
      if (!declared) throw EvalError("'" + std::string(name) + "' is not an element of " + model->name);
    }
    return;
  }
  // untyped navigation: exact name, else the value[x] prefix rule
  if (const rapidjson::Value* j = member(obj, name); j != nullptr) {
    emit(j, underscore_member(obj, name), nullptr, out);
    return;
  }
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    std::string_view m(it->name.GetString(), it->name.GetStringLength());
    if (m.size() > name.size() && starts_with(m, name) && std::isupper(static_cast<unsigned char>(m[name.size()]))) {
      size_t n = out.size();
      emit(&it->value, underscore_member(obj, m), nullptr, out);
      // a choice element without definitions: the type is the suffix
      for (size_t i = n; i < out.size(); ++i)
        if (out[i].kind == Kind::Object) out[i].fhir_type = m.substr(name.size());
      return;
    }
  }
  if (const rapidjson::Value* ext = underscore_member(obj, name); ext != nullptr) emit(nullptr, ext, nullptr, out);
}

void Evaluator::all_children(const Value& item, Items& out) const {
  if (item.kind != Kind::Object || item.node == nullptr || !item.node->IsObject()) {
    if (item.ext != nullptr && item.ext->IsObject()) {
      children(item, "id", out);
      children(item, "extension", out);
    }
    return;
  }
  const rapidjson::Value& obj = *item.node;
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    std::string_view m(it->name.GetString(), it->name.GetStringLength());
    if (m == "resourceType") continue;
    if (!m.empty() && m[0] == '_') {
      if (member(obj, m.substr(1)) != nullptr) continue;  // handled with its value
      const fhir::ElementModel* el = item.model ? item.model->find(m.substr(1)) : nullptr;
      emit(nullptr, &it->value, el, out);
      continue;
    }
    const fhir::ElementModel* el = item.model ? item.model->find(m) : nullptr;
    const rapidjson::Value* ext = (el == nullptr || el->kind == fhir::ElementKind::Primitive) ? underscore_member(obj, m) : nullptr;
    emit(&it->value, ext, el, out);
  }
}

// ---------------------------------------------------------------------------------------------
// Types

namespace {

bool is_quantity_type(std::string_view t) {
  return t == "Age" || t == "Distance" || t == "Duration" || t == "Count" || t == "SimpleQuantity" || t == "MoneyQuantity";
}

bool primitive_specializes(std::string_view t, std::string_view want) {
  if (want == "uri") return t == "url" || t == "canonical" || t == "oid" || t == "uuid";
  if (want == "integer") return t == "unsignedInt" || t == "positiveInt";
  return false;
}

}  // namespace

void Evaluator::check_type(const TypeSpec& t) const {
  static const char* system[] = {"Boolean", "Integer", "Decimal", "String", "Date", "DateTime", "Time", "Quantity"};
  if (t.ns != "FHIR")
    for (const char* s : system)
      if (t.name == s) return;
  if (t.ns == "System") return;  // never matches
  if (defs_ == nullptr) return;
  if (defs_->is_resource_type(t.name) || defs_->type(t.name) != nullptr || fhir::primitive_kind(t.name)) return;
  if (t.name == "Resource" || t.name == "DomainResource" || t.name == "Element" || t.name == "BackboneElement") return;
  throw EvalError("unknown type " + t.name);
}

bool Evaluator::is_type(const Value& v, const TypeSpec& t) const {
  check_type(t);
  if (v.kind == Kind::TypeInfo) return false;
  if (!v.fhir_type.empty()) {
    if (t.ns == "System") return false;
    std::string_view want = t.name;
    if (v.fhir_type == want) return true;
    if (want == "Quantity" && is_quantity_type(v.fhir_type)) return true;
    if (primitive_specializes(v.fhir_type, want)) return true;
    bool resource = (v.model != nullptr && v.model->is_resource) ||
                    (v.kind == Kind::Object && (v.node == nullptr || v.node->HasMember("resourceType")));
    if (resource) {
      if (want == "Resource") return true;
      if (want == "DomainResource") return v.fhir_type != "Bundle" && v.fhir_type != "Parameters" && v.fhir_type != "Binary";
      return false;
    }
    if (want == "Element") return true;
    if (want == "BackboneElement") return v.fhir_type == "BackboneElement";
    return false;
  }
  if (t.ns == "FHIR") return false;
  return type_name(v) == t.name;
}


// ---------------------------------------------------------------------------------------------
// Helpers

const Value* Evaluator::singleton(const Items& items, const char* what) const {
  if (items.empty()) return nullptr;
  if (items.size() > 1) throw EvalError(std::string(what) + " expects a single item but got " + std::to_string(items.size()));
  if (!items[0].has_value && items[0].kind != Kind::Object) return nullptr;
  return &items[0];
}

std::optional<bool> Evaluator::boolean(const Items& items, const char* what) const {
  const Value* v = singleton(items, what);
  if (v == nullptr) return std::nullopt;
  if (v->kind == Kind::Boolean) return v->boolean;
  return true;  // a single non-boolean item is true in a boolean context
}

void Evaluator::add_distinct(Items& out, const Value& v) {
  for (const auto& x : out) {
    auto e = equals(x, v);
    if (e && *e) return;
  }
  out.push_back(v);
}

// ---------------------------------------------------------------------------------------------
// Expressions

Items Evaluator::eval(const Node& n, const Items& input) {
  switch (n.op) {
    case Op::Empty: return {};
    case Op::Literal: return {n.literal};
    case Op::This: return this_ ? Items{*this_} : input;
    case Op::Index: return index_ >= 0 ? Items{Value::of_int(index_)} : Items{};
    case Op::Total: return total_ ? *total_ : Items{};
    case Op::Constant: return constant(n);
    case Op::Member: return member_access(n, input);
    case Op::Function: return call(n, input);
    case Op::Indexer: {
      Items base = eval(*n.args[0], input);
      Items idx = eval(*n.args[1], input);
      const Value* i = singleton(idx, "indexer");
      if (i == nullptr) return {};
      if (i->kind != Kind::Integer) throw EvalError("an index must be an integer");
      if (i->integer < 0 || static_cast<size_t>(i->integer) >= base.size()) return {};
      return {std::move(base[static_cast<size_t>(i->integer)])};
    }
    case Op::Neg:
    case Op::Pos: {
      Items a = eval(*n.args[0], input);
      const Value* v = singleton(a, "unary operator");
      if (v == nullptr) return {};
      Value r = *v;
      r.node = nullptr;
      r.fhir_type = {};
      if (r.kind != Kind::Integer && r.kind != Kind::Decimal && r.kind != Kind::Quantity)
        throw EvalError("unary minus needs a number");
      if (n.op == Op::Neg) {
        r.integer = -r.integer;
        r.decimal = r.decimal == 0 ? 0.0 : -r.decimal;  // no negative zero
      }
      return {r};
    }
    case Op::Is:
    case Op::As: {
      Items a = eval(*n.args[0], input);
      if (a.empty()) return {};
      if (n.op == Op::Is) {
        if (a.size() > 1) throw EvalError("'is' expects a single item");
        return {Value::of_bool(is_type(a[0], n.type))};
      }
      Items out;
      for (auto& v : a)
        if (is_type(v, n.type)) out.push_back(std::move(v));
      return out;
    }
    case Op::Union: {
      Items a = eval(*n.args[0], input);
      Items b = eval(*n.args[1], input);
      Items out;
      for (const auto& v : a) add_distinct(out, v);
      for (const auto& v : b) add_distinct(out, v);
      return out;
    }
    case Op::And:
    case Op::Or:
    case Op::Xor:
    case Op::Implies: return logic(n, input);
    case Op::Eq:
    case Op::Ne: {
      Items a = eval(*n.args[0], input);
      Items b = eval(*n.args[1], input);
      auto r = collection_equals(a, b);
      if (!r) return {};
      return {Value::of_bool(n.op == Op::Eq ? *r : !*r)};
    }
    case Op::Equiv:
    case Op::NotEquiv: {
      Items a = eval(*n.args[0], input);
      Items b = eval(*n.args[1], input);
      bool r = collection_equivalent(a, b);
      return {Value::of_bool(n.op == Op::Equiv ? r : !r)};
    }
    case Op::Lt:
    case Op::Gt:
    case Op::Le:
    case Op::Ge: {
      Items a = eval(*n.args[0], input);
      Items b = eval(*n.args[1], input);
      const Value* x = singleton(a, "comparison");
      const Value* y = singleton(b, "comparison");
      if (x == nullptr || y == nullptr) return {};
      auto c = compare(*x, *y);
      if (!c) return {};
      bool r = n.op == Op::Lt ? *c < 0 : n.op == Op::Gt ? *c > 0 : n.op == Op::Le ? *c <= 0 : *c >= 0;
      return {Value::of_bool(r)};
    }
    case Op::In:
    case Op::Contains: {
      Items a = eval(*n.args[0], input);
      Items b = eval(*n.args[1], input);
      Items& needle = n.op == Op::In ? a : b;
      Items& hay = n.op == Op::In ? b : a;
      if (needle.empty()) return {};
      if (needle.size() > 1) throw EvalError("'in'/'contains' expects a single item");
      for (const auto& h : hay) {
        auto e = equals(needle[0], h);
        if (e && *e) return {Value::of_bool(true)};
      }
      return {Value::of_bool(false)};
    }
    default: return arithmetic(n, input);
  }
}

Items Evaluator::constant(const Node& n) {
  const std::string& name = n.name;
  if (name == "resource") return {resource_};
  if (name == "rootResource") return {root_};
  if (name == "context") return {context_};
  if (name == "ucum") return {Value::of_string("http://unitsofmeasure.org")};
  if (name == "sct") return {Value::of_string("http://snomed.info/sct")};
  if (name == "loinc") return {Value::of_string("http://loinc.org")};
  if (auto it = ctx_.constants.find(name); it != ctx_.constants.end()) return it->second;
  if (starts_with(name, "vs-")) return {Value::of_string("http://hl7.org/fhir/ValueSet/" + name.substr(3))};
  if (starts_with(name, "ext-")) return {Value::of_string("http://hl7.org/fhir/StructureDefinition/" + name.substr(4))};
  throw EvalError("undefined constant %" + name);
}

Items Evaluator::member_access(const Node& n, const Items& input) {
  Items base;
  const Items* focus = &input;
  if (!n.args.empty()) {
    base = eval(*n.args[0], input);
    focus = &base;
  } else if (this_ != nullptr) {
    // inside a lambda the input is $this
  }
  Items out;
  if (n.root_type_check && n.args.empty() && !n.name.empty() && std::isupper(static_cast<unsigned char>(n.name[0]))) {
    // "Observation.code" on an Observation: the model names the type, no lookup by name needed.
    if (focus->size() == 1 && (*focus)[0].model != nullptr && (*focus)[0].model->name == n.name) return *focus;
    TypeSpec t{"", n.name};
    for (const auto& v : *focus)
      if (v.kind == Kind::Object && is_type(v, t)) out.push_back(v);
    if (!out.empty()) return out;
    for (const auto& v : *focus) children(v, n.name, out);
    if (out.empty() && strict_ && defs_ != nullptr && defs_->is_resource_type(n.name))
      throw EvalError("the context is not a " + n.name);
    return out;
  }
  for (const auto& v : *focus) children(v, n.name, out);
  return out;
}

std::optional<bool> Evaluator::collection_equals(const Items& a, const Items& b) const {
  if (a.empty() || b.empty()) return std::nullopt;
  if (a.size() != b.size()) return false;
  bool unknown = false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].has_value || !b[i].has_value) return std::nullopt;
    auto e = equals(a[i], b[i]);
    if (!e) unknown = true;
    else if (!*e) return false;
  }
  if (unknown) return std::nullopt;
  return true;
}

bool Evaluator::collection_equivalent(const Items& a, const Items& b) const {
  if (a.empty() && b.empty()) return true;
  if (a.size() != b.size()) return false;
  std::vector<bool> used(b.size(), false);
  for (const auto& x : a) {
    bool found = false;
    for (size_t j = 0; j < b.size(); ++j) {
      if (!used[j] && equivalent(x, b[j])) {
        used[j] = true;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

Items Evaluator::logic(const Node& n, const Items& input) {
  std::optional<bool> a = boolean(eval(*n.args[0], input), "boolean operator");
  auto rhs = [&]() { return boolean(eval(*n.args[1], input), "boolean operator"); };
  auto out = [](std::optional<bool> r) { return r ? Items{Value::of_bool(*r)} : Items{}; };
  switch (n.op) {
    case Op::And: {
      if (a && !*a) return out(false);
      auto b = rhs();
      if (b && !*b) return out(false);
      if (a && b) return out(true);
      return {};
    }
    case Op::Or: {
      if (a && *a) return out(true);
      auto b = rhs();
      if (b && *b) return out(true);
      if (a && b) return out(false);
      return {};
    }
    case Op::Xor: {
      auto b = rhs();
      if (!a || !b) return {};
      return out(*a != *b);
    }
    default: {  // implies
      if (a && !*a) return out(true);
      auto b = rhs();
      if (b && *b) return out(true);
      if (a && b) return out(false);
      return {};
    }
  }
}

Items Evaluator::arithmetic(const Node& n, const Items& input) {
  Items ia = eval(*n.args[0], input);
  Items ib = eval(*n.args[1], input);
  if (n.op == Op::Concat) {
    const Value* x = singleton(ia, "&");
    const Value* y = singleton(ib, "&");
    std::string s;
    if (x) s += to_string(*x);
    if (y) s += to_string(*y);
    return {Value::of_string(std::move(s))};
  }
  const Value* x = singleton(ia, "arithmetic");
  const Value* y = singleton(ib, "arithmetic");
  if (x == nullptr || y == nullptr) return {};
  auto is_num = [](const Value& v) { return v.kind == Kind::Integer || v.kind == Kind::Decimal; };
  auto num = [](const Value& v) { return v.kind == Kind::Integer ? static_cast<double>(v.integer) : v.decimal; };
  auto sc = [](const Value& v) -> int { return v.kind == Kind::Integer ? 0 : v.scale; };
  auto temporal = [](const Value& v) { return v.kind == Kind::Date || v.kind == Kind::DateTime || v.kind == Kind::Time; };
  switch (n.op) {
    case Op::Add:
    case Op::Sub: {
      bool add = n.op == Op::Add;
      if (add && x->kind == Kind::String && y->kind == Kind::String)
        return {Value::of_string(std::string(x->str()) + std::string(y->str()))};
      if (is_num(*x) && is_num(*y)) {
        if (x->kind == Kind::Integer && y->kind == Kind::Integer)
          return {Value::of_int(add ? x->integer + y->integer : x->integer - y->integer)};
        int s = (sc(*x) < 0 || sc(*y) < 0) ? -1 : std::max(sc(*x), sc(*y));
        return {Value::of_decimal(add ? num(*x) + num(*y) : num(*x) - num(*y), s)};
      }
      Value q;
      if (temporal(*x) && as_quantity(*y, q)) {
        Value r;
        r.kind = x->kind;
        r.temporal = x->temporal;
        if (q.text != "calendar" && (q.unit == "a" || q.unit == "mo") && x->kind != Kind::Time)
          throw EvalError("years and months in UCUM ('a', 'mo') are not calendar durations");
        if (!add_duration(r.temporal, r.kind, add ? q.decimal : -q.decimal, q.unit))
          throw EvalError("'" + q.unit + "' is not a time unit");
        return {r};
      }
      Value qa, qb;
      if (x->kind == Kind::Quantity && as_quantity(*x, qa) && as_quantity(*y, qb)) {
        double a, b;
        std::string ca, cb;
        double fa, fb;
        if (qa.unit == qb.unit) {
          a = qa.decimal;
          b = qb.decimal;
        } else if (ucum_canonical(qa.unit, ca, fa) && ucum_canonical(qb.unit, cb, fb) && ca == cb) {
          a = qa.decimal;
          b = qb.decimal * fb / fa;
        } else {
          return {};
        }
        Value r = qa;
        r.decimal = add ? a + b : a - b;
        r.scale = static_cast<int8_t>(std::max(qa.scale, qb.scale));
        return {r};
      }
      throw EvalError("cannot apply " + std::string(add ? "+" : "-") + " to " + std::string(type_name(*x)) + " and " +
                      std::string(type_name(*y)));
    }
    case Op::Mul: {
      if (is_num(*x) && is_num(*y)) {
        if (x->kind == Kind::Integer && y->kind == Kind::Integer) return {Value::of_int(x->integer * y->integer)};
        int s = (sc(*x) < 0 || sc(*y) < 0) ? -1 : sc(*x) + sc(*y);
        return {Value::of_decimal(num(*x) * num(*y), s)};
      }
      Value qa, qb;
      bool xq = as_quantity(*x, qa), yq = as_quantity(*y, qb);
      if (xq && is_num(*y)) {
        qa.decimal *= num(*y);
        return {qa};
      }
      if (yq && is_num(*x)) {
        qb.decimal *= num(*x);
        return {qb};
      }
      if (xq && yq) {
        Value r = qa;
        r.decimal = qa.decimal * qb.decimal;
        r.scale = -1;
        r.text.clear();
        std::string ca, cb;
        double fa, fb;
        if (qa.unit != qb.unit && ucum_canonical(qa.unit, ca, fa) && ucum_canonical(qb.unit, cb, fb) && ca == cb &&
            ca != "1") {
          r.decimal = qa.decimal * fa * qb.decimal * fb;
          r.unit = ca + "2";
        } else if (qa.unit == "1") r.unit = qb.unit;
        else if (qb.unit != "1") r.unit = qa.unit == qb.unit ? qa.unit + "2" : qa.unit + "." + qb.unit;
        return {r};
      }
      throw EvalError("cannot multiply " + std::string(type_name(*x)) + " and " + std::string(type_name(*y)));
    }
    case Op::Div: {
      if (is_num(*x) && is_num(*y)) {
        if (num(*y) == 0) return {};
        return {Value::of_decimal(num(*x) / num(*y), -1)};
      }
      Value qa, qb;
      bool xq = as_quantity(*x, qa), yq = as_quantity(*y, qb);
      if (xq && is_num(*y)) {
        if (num(*y) == 0) return {};
        qa.decimal /= num(*y);
        qa.scale = -1;
        return {qa};
      }
      if (xq && yq) {
        if (qb.decimal == 0) return {};
        double a, b;
        std::string ca, cb;
        double fa, fb;
        Value r;
        r.kind = Kind::Quantity;
        r.scale = -1;
        if (qa.unit == qb.unit) {
          r.decimal = qa.decimal / qb.decimal;
          r.unit = "1";
        } else if (ucum_canonical(qa.unit, ca, fa) && ucum_canonical(qb.unit, cb, fb) && ca == cb) {
          a = qa.decimal * fa;
          b = qb.decimal * fb;
          r.decimal = a / b;
          r.unit = "1";
        } else {
          r.decimal = qa.decimal / qb.decimal;
          r.unit = qa.unit + "/" + qb.unit;
        }
        return {r};
      }
      throw EvalError("cannot divide " + std::string(type_name(*x)) + " by " + std::string(type_name(*y)));
    }
    case Op::IntDiv:
    case Op::Mod: {
      if (!is_num(*x) || !is_num(*y)) throw EvalError("div/mod need numbers");
      if (x->kind == Kind::Integer && y->kind == Kind::Integer) {
        if (y->integer == 0) return {};
        return {Value::of_int(n.op == Op::IntDiv ? x->integer / y->integer : x->integer % y->integer)};
      }
      double a = num(*x), b = num(*y);
      if (b == 0) return {};
      if (n.op == Op::IntDiv) return {Value::of_int(static_cast<int64_t>(std::trunc(a / b)))};
      return {Value::of_decimal(std::fmod(a, b), std::max(sc(*x), sc(*y)))};
    }
    default: break;
  }
  throw EvalError("unsupported operator");
}

// ---------------------------------------------------------------------------------------------
// Public entry

Evaluator::Evaluator(const EvalContext& ctx, const rapidjson::Value& resource)
    : ctx_(ctx), defs_(ctx.definitions), strict_(ctx.strict) {
  // Usually %resource, %rootResource and %context are the evaluated resource itself: its model is
  // looked up once.
  const rapidjson::Value& res = ctx.resource ? *ctx.resource : resource;
  resource_ = from_json(&res, nullptr, nullptr);
  root_ = ctx.root_resource && ctx.root_resource != &res ? from_json(ctx.root_resource, nullptr, nullptr) : resource_;
  if (ctx.context) context_ = from_json(ctx.context, nullptr, ctx.context_element);
  else context_ = &resource == &res ? resource_ : from_json(&resource, nullptr, nullptr);
  if (ctx.context_model != nullptr && context_.kind == Kind::Object && context_.model == nullptr) {
    context_.model = ctx.context_model;
    context_.fhir_type = ctx.context_model->name;
  }
}

namespace {

// Runs one evaluation; every failure becomes the collection's error.
template <class Run>
Collection collect(Run run) {
  Collection out;
  try {
    out.items = run();
  } catch (const EvalError& e) {
    out.items.clear();
    out.error = e.what();
  } catch (const std::regex_error& e) {
    out.items.clear();
    out.error = std::string("invalid regular expression: ") + e.what();
  } catch (const std::exception& e) {
    out.items.clear();
    out.error = e.what();
  }
  return out;
}

}  // namespace

Collection evaluate(const Expression& expr, const rapidjson::Value& resource, const EvalContext& ctx) {
  return collect([&] {
    Evaluator ev(ctx, resource);
    Items input{ev.context_value()};
    return ev.eval(expr.root(), input);
  });
}

ResourceEvaluator::ResourceEvaluator(const rapidjson::Value& resource, const EvalContext& ctx)
    : resource_(resource), ctx_(ctx) {
  try {
    ev_ = std::make_unique<Evaluator>(ctx, resource);
  } catch (const std::exception&) {
    ev_.reset();  // each evaluate() then fails the way evaluate() would
  }
}

ResourceEvaluator::~ResourceEvaluator() = default;

Collection ResourceEvaluator::evaluate(const Expression& expr) {
  if (!ev_) return fhirpath::evaluate(expr, resource_, ctx_);
  return collect([&] {
    ev_->start_over();
    Items input{ev_->context_value()};
    return ev_->eval(expr.root(), input);
  });
}

}  // namespace healthd::fhirpath
