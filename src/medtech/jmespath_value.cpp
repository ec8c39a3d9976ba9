#include "medtech/jmespath_value.h"

#include <cstring>
#include <new>
#include <stdexcept>

#include "medtech/json_compare.h"

namespace healthd::medtech::jmespath::detail {

namespace {
const json::Value kNull;
const json::Value kTrue(true);
const json::Value kFalse(false);
constexpr int kMaxDepth = 1000;
}  // namespace

const char* type_name(Type t) {
  switch (t) {
    case Type::Null: return "null";
    case Type::Boolean: return "boolean";
    case Type::Number: return "number";
    case Type::String: return "string";
    case Type::Array: return "array";
    case Type::Object: return "object";
    case Type::ExpRef: return "expref";
  }
  return "null";
}

Val::Val() : kind_(Kind::Json), ptr_(&kNull) {}

Type Val::type() const {
  switch (kind_) {
    case Kind::List: return Type::Array;
    case Kind::Hash: return Type::Object;
    case Kind::ExpRef: return Type::ExpRef;
    case Kind::Json: break;
  }
  switch (json().GetType()) {
    case rapidjson::kNullType: return Type::Null;
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return Type::Boolean;
    case rapidjson::kNumberType: return Type::Number;
    case rapidjson::kStringType: return Type::String;
    case rapidjson::kArrayType: return Type::Array;
    case rapidjson::kObjectType: return Type::Object;
  }
  return Type::Null;
}

size_t Val::size() const {
  if (kind_ == Kind::List) return list().size();
  if (kind_ == Kind::Hash) return hash().size();
  if (kind_ == Kind::Json) {
    if (json().IsArray()) return json().Size();
    if (json().IsObject()) return json().MemberCount();
  }
  return 0;
}

Val Val::at(size_t i) const {
  if (kind_ == Kind::List) return list()[i];
  return Val::of(&json()[static_cast<rapidjson::SizeType>(i)]);
}

bool Val::find(std::string_view key, Val& out) const {
  if (kind_ == Kind::Hash) {
    for (const Member& m : hash()) {
      if (m.key == key) {
        out = m.value;
        return true;
      }
    }
    return false;
  }
  if (kind_ != Kind::Json || !json().IsObject()) return false;
  json::Value name(rapidjson::StringRef(key.data(), key.size()));
  auto it = json().FindMember(name);
  if (it == json().MemberEnd()) return false;
  out = Val::of(&it->value);
  return true;
}

Val Val::member(std::string_view key) const {
  Val out;
  find(key, out);
  return out;
}

bool truthy(const Val& v) {
  switch (v.type()) {
    case Type::Null: return false;
    case Type::Boolean: return v.json().IsTrue();
    case Type::String: return v.json().GetStringLength() > 0;
    case Type::Array:
    case Type::Object: return v.size() > 0;
    default: return true;
  }
}

namespace {
bool equal_at(const Val& a, const Val& b, int depth) {
  if (depth > kMaxDepth) return false;
  if (a.is_json() && b.is_json()) return json_equal(a.json(), b.json(), depth);
  Type t = a.type();
  if (t != b.type()) return false;
  if (t == Type::Array) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!equal_at(a.at(i), b.at(i), depth + 1)) return false;
    return true;
  }
  if (t == Type::Object) {
    if (a.size() != b.size()) return false;
    bool same = true;
    for_each_member(a, [&](std::string_view key, const Val& v) {
      Val other;
      if (same && !(b.find(key, other) && equal_at(v, other, depth + 1))) same = false;
    });
    return same;
  }
  return false;  // ExpRefs never compare equal
}
}  // namespace

bool equal(const Val& a, const Val& b) { return equal_at(a, b, 0); }

// ---- Arena ----

void* Arena::Resource::do_allocate(size_t bytes, size_t align) {
  if (align > 8) throw std::bad_alloc();  // the pool aligns to 8
  void* p = pool_->Malloc(bytes == 0 ? 1 : bytes);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

Arena::Arena() : pool_(inline_, sizeof inline_, 4096), resource_(&pool_) {}

json::Value* Arena::value() {
  void* p = pool_.Malloc(sizeof(json::Value));
  return new (p) json::Value();
}

const json::Value* Arena::integer(int64_t v) {
  json::Value* out = value();
  out->SetInt64(v);
  return out;
}

const json::Value* Arena::real(double v) {
  json::Value* out = value();
  out->SetDouble(v);
  return out;
}

const json::Value* Arena::string(std::string_view s) {
  json::Value* out = value();
  out->SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), pool_);
  return out;
}

const json::Value* Arena::reference(std::string_view s) {
  json::Value* out = value();
  out->SetString(rapidjson::StringRef(s.data(), s.size()));
  return out;
}

const json::Value* Arena::boolean(bool b) { return b ? &kTrue : &kFalse; }
const json::Value* Arena::null() { return &kNull; }

List* Arena::list(size_t reserve) {
  void* p = pool_.Malloc(sizeof(List));
  auto* l = new (p) List(&resource_);
  if (reserve > 0) l->reserve(reserve);
  return l;
}

Hash* Arena::hash(size_t reserve) {
  void* p = pool_.Malloc(sizeof(Hash));
  auto* h = new (p) Hash(&resource_);
  if (reserve > 0) h->reserve(reserve);
  return h;
}

const json::Value* Arena::materialize(const Val& v) {
  if (v.is_json()) return &v.json();
  json::Value* out = value();
  build(*out, v, 0);
  return out;
}

void Arena::build(json::Value& out, const Val& v, int depth) {
  if (depth > kMaxDepth) throw std::length_error("value nested too deeply");
  if (v.is_json()) {
    const json::Value& j = v.json();
    switch (j.GetType()) {
      case rapidjson::kStringType:
        out.SetString(rapidjson::StringRef(j.GetString(), j.GetStringLength()));
        return;
      case rapidjson::kArrayType:
        out.SetArray();
        out.Reserve(j.Size(), pool_);
        for (const auto& e : j.GetArray()) {
          json::Value item;
          build(item, Val::of(&e), depth + 1);
          out.PushBack(item, pool_);
        }
        return;
      case rapidjson::kObjectType:
        out.SetObject();
        for (const auto& m : j.GetObject()) {
          json::Value item;
          build(item, Val::of(&m.value), depth + 1);
          out.AddMember(json::Value(rapidjson::StringRef(m.name.GetString(), m.name.GetStringLength())), item, pool_);
        }
        return;
      default:
        out.CopyFrom(j, pool_);  // scalars: no allocation
        return;
    }
  }
  if (v.is_list()) {
    out.SetArray();
    out.Reserve(static_cast<rapidjson::SizeType>(v.size()), pool_);
    for (const Val& e : v.list()) {
      json::Value item;
      build(item, e, depth + 1);
      out.PushBack(item, pool_);
    }
    return;
  }
  if (v.is_hash()) {
    out.SetObject();
    for (const Member& m : v.hash()) {
      json::Value item;
      build(item, m.value, depth + 1);
      out.AddMember(json::Value(rapidjson::StringRef(m.key.data(), m.key.size())), item, pool_);
    }
    return;
  }
  out.SetNull();  // an expref is not a JSON value
}

}  // namespace healthd::medtech::jmespath::detail
