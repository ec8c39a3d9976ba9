// JMESPath evaluation values (internal to src/medtech).
//
// A Val is a view: a pointer to a JSON value (in the input, in the expression's literals, or built
// in the evaluation's Arena), or a list / hash the evaluation built whose elements are again Vals.
// Projections therefore collect pointers instead of copying sub-documents.
#pragma once

#include <cstdint>
#include <memory_resource>
#include <string_view>
#include <vector>

#include "json/json.h"

namespace healthd::medtech::jmespath::detail {

struct Node;
class Val;
struct Member;
using List = std::pmr::vector<Val>;
using Hash = std::pmr::vector<Member>;

enum class Type : uint8_t { Null, Boolean, Number, String, Array, Object, ExpRef };
const char* type_name(Type t);  // the names type() returns

class Val {
 public:
  Val();  // null
  static Val of(const json::Value* v) { return Val(Kind::Json, v); }
  static Val of(const List* l) { return Val(Kind::List, l); }
  static Val of(const Hash* h) { return Val(Kind::Hash, h); }
  static Val expref(const Node* n) { return Val(Kind::ExpRef, n); }

  Type type() const;
  bool is_null() const { return kind_ == Kind::Json && json().IsNull(); }
  bool is_json() const { return kind_ == Kind::Json; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_hash() const { return kind_ == Kind::Hash; }
  const json::Value& json() const { return *static_cast<const json::Value*>(ptr_); }
  const List& list() const { return *static_cast<const List*>(ptr_); }
  const Hash& hash() const { return *static_cast<const Hash*>(ptr_); }
  const Node& node() const { return *static_cast<const Node*>(ptr_); }

  // Numbers and strings are always JSON values.
  double number() const { return json().GetDouble(); }
  std::string_view str() const { return {json().GetString(), json().GetStringLength()}; }

  // Arrays (JSON or list).
  size_t size() const;  // elements of an array, members of an object
  Val at(size_t i) const;
  // Objects (JSON or hash): the member's value, or null.
  Val member(std::string_view key) const;
  bool find(std::string_view key, Val& out) const;  // false when there is no such member

 private:
  enum class Kind : uint8_t { Json, List, Hash, ExpRef };
  Val(Kind k, const void* p) : kind_(k), ptr_(p) {}
  Kind kind_;
  const void* ptr_;  // json::Value, List, Hash or Node, by kind_
};

struct Member {
  std::string_view key;
  Val value;
};

// Calls f(key, value) for each member of an object Val, in order.
template <typename F>
void for_each_member(const Val& v, F&& f) {
  if (v.is_hash()) {
    for (const Member& m : v.hash()) f(m.key, m.value);
  } else if (v.is_json() && v.json().IsObject()) {
    for (const auto& m : v.json().GetObject())
      f(std::string_view(m.name.GetString(), m.name.GetStringLength()), Val::of(&m.value));
  }
}

bool truthy(const Val& v);           // false for null, false, "", [], {}
bool equal(const Val& a, const Val& b);  // structural; numbers by value

// Storage for values built during one evaluation. Monotonic: nothing is freed until the Arena dies.
// The first 1 KiB is inline, so small evaluations make one allocation (the Arena itself).
class Arena {
 public:
  Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  const json::Value* integer(int64_t v);
  const json::Value* real(double v);
  const json::Value* string(std::string_view s);     // copies s
  const json::Value* reference(std::string_view s);  // refers to s, which must outlive the Arena's use
  static const json::Value* boolean(bool b);
  static const json::Value* null();
  List* list(size_t reserve = 0);
  Hash* hash(size_t reserve = 0);

  // A JSON value equal to v, built in this arena. Strings are referenced, not copied: the result
  // stays valid while the input and literals do.
  const json::Value* materialize(const Val& v);

  json::Allocator& allocator() { return pool_; }

 private:
  json::Value* value();
  void build(json::Value& out, const Val& v, int depth);

  class Resource : public std::pmr::memory_resource {
   public:
    explicit Resource(json::Allocator* pool) : pool_(pool) {}

   private:
    void* do_allocate(size_t bytes, size_t align) override;
    void do_deallocate(void*, size_t, size_t) override {}
    bool do_is_equal(const memory_resource& o) const noexcept override { return this == &o; }
    json::Allocator* pool_;
  };

  alignas(8) char inline_[1024];
  json::Allocator pool_;
  Resource resource_;
};

}  // namespace healthd::medtech::jmespath::detail
