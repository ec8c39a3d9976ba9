// JMESPath evaluation (specification "Expressions" semantics) and the public Expression / Result.
#include "medtech/jmespath_eval.h"

#include <algorithm>
#include <stdexcept>

#include "medtech/json_compare.h"
#include "common/utf8.h"

namespace healthd::medtech::jmespath {

namespace detail {

Val Evaluator::eval(const Node& n, const Val& current) {
  switch (n.type) {
    case NodeType::Identity:
      return current;
    case NodeType::Field:
      return current.member(n.name);
    case NodeType::Subexpr:
      return eval(*n.children[1], eval(*n.children[0], current));
    case NodeType::Index:
      return index(n, current);
    case NodeType::Slice:
      return slice(n, current);
    case NodeType::ListProjection:
    case NodeType::ObjectProjection:
    case NodeType::FilterProjection:
      return project(n, current);
    case NodeType::Flatten: {
      Val base = eval(*n.children[0], current);
      if (base.type() != Type::Array) return Val();
      bool nested = false;
      for (size_t i = 0; i < base.size() && !nested; ++i) nested = base.at(i).type() == Type::Array;
      if (!nested) return base;  // nothing to flatten: no copy
      List* out = arena().list(base.size());
      for (size_t i = 0; i < base.size(); ++i) {
        Val e = base.at(i);
        if (e.type() == Type::Array) {
          for (size_t k = 0; k < e.size(); ++k) out->push_back(e.at(k));
        } else {
          out->push_back(e);
        }
      }
      return Val::of(out);
    }
    case NodeType::Literal:
      return Val::of(n.literal);
    case NodeType::Compare:
      return compare(n, current);
    case NodeType::Or: {
      Val left = eval(*n.children[0], current);
      return truthy(left) ? left : eval(*n.children[1], current);
    }
    case NodeType::And: {
      Val left = eval(*n.children[0], current);
      return truthy(left) ? eval(*n.children[1], current) : left;
    }
    case NodeType::Not:
      return Val::of(Arena::boolean(!truthy(eval(*n.children[0], current))));
    case NodeType::Pipe:
      return eval(*n.children[1], eval(*n.children[0], current));
    case NodeType::MultiList: {
      if (current.is_null()) return Val();
      List* out = arena().list(n.children.size());
      for (const auto& c : n.children) out->push_back(eval(*c, current));
      return Val::of(out);
    }
    case NodeType::MultiHash: {
      if (current.is_null()) return Val();
      Hash* out = arena().hash(n.children.size());
      for (size_t i = 0; i < n.children.size(); ++i) {
        Val v = eval(*n.children[i], current);
        auto same = std::find_if(out->begin(), out->end(), [&](const Member& m) { return m.key == n.keys[i]; });
        if (same != out->end()) {
          same->value = v;  // a repeated key: the last one wins
        } else {
          out->push_back(Member{n.keys[i], v});
        }
      }
      return Val::of(out);
    }
    case NodeType::Function:
      return call(n, current);
    case NodeType::ExpRef:
      return Val::expref(n.children[0].get());
  }
  return Val();
}

Val Evaluator::index(const Node& n, const Val& current) {
  if (current.type() != Type::Array) return Val();
  int64_t size = static_cast<int64_t>(current.size()), i = n.index;
  if (i < 0) i += size;
  if (i < 0 || i >= size) return Val();
  return current.at(static_cast<size_t>(i));
}

// Python slice semantics.
Val Evaluator::slice(const Node& n, const Val& current) {
  if (current.type() != Type::Array) return Val();
  int64_t step = n.slice[2].value_or(1);
  if (step == 0) fail(ErrorKind::InvalidValue, n, "slice step cannot be 0");
  int64_t len = static_cast<int64_t>(current.size());
  auto bound = [&](std::optional<int64_t> v, int64_t dflt) {
    if (!v) return dflt;
    int64_t x = *v;
    if (x < 0) {
      x += len;
      if (x < 0) x = step < 0 ? -1 : 0;
    } else if (x >= len) {
      x = step < 0 ? len - 1 : len;
    }
    return x;
  };
  int64_t start = bound(n.slice[0], step < 0 ? len - 1 : 0);
  int64_t stop = bound(n.slice[1], step < 0 ? -1 : len);
  List* out = arena().list();
  if (step > 0) {
    for (int64_t i = start; i < stop; i += step) out->push_back(current.at(static_cast<size_t>(i)));
  } else {
    for (int64_t i = start; i > stop; i += step) out->push_back(current.at(static_cast<size_t>(i)));
  }
  return Val::of(out);
}

// Projections evaluate their right side on each element and drop null results.
Val Evaluator::project(const Node& n, const Val& current) {
  Val base = eval(*n.children[0], current);
  const Node& right = *n.children[1];
  List* out = nullptr;
  auto add = [&](const Val& element) {
    Val v = right.type == NodeType::Identity ? element : eval(right, element);
    if (!v.is_null()) out->push_back(v);
  };
  if (n.type == NodeType::ObjectProjection) {
    if (base.type() != Type::Object) return Val();
    out = arena().list(base.size());
    for_each_member(base, [&](std::string_view, const Val& v) { add(v); });
    return Val::of(out);
  }
  if (base.type() != Type::Array) return Val();
  out = arena().list(base.size());
  for (size_t i = 0; i < base.size(); ++i) {
    Val e = base.at(i);
    if (n.type == NodeType::FilterProjection && !truthy(eval(*n.children[2], e))) continue;
    add(e);
  }
  return Val::of(out);
}

// == and != compare any values; ordering applies to numbers only (null otherwise).
Val Evaluator::compare(const Node& n, const Val& current) {
  Val a = eval(*n.children[0], current), b = eval(*n.children[1], current);
  if (n.cmp == Cmp::Eq) return Val::of(Arena::boolean(equal(a, b)));
  if (n.cmp == Cmp::Ne) return Val::of(Arena::boolean(!equal(a, b)));
  if (a.type() != Type::Number || b.type() != Type::Number) return Val();
  int c = compare_numbers(a.json(), b.json());
  bool r = n.cmp == Cmp::Lt ? c < 0 : n.cmp == Cmp::Le ? c <= 0 : n.cmp == Cmp::Gt ? c > 0 : c >= 0;
  return Val::of(Arena::boolean(r));
}

Val Evaluator::call(const Node& n, const Val& current) {
  size_t count = n.children.size();
  Val small[4];
  std::vector<Val> large;
  Val* args = small;
  if (count > 4) {
    large.resize(count);
    args = large.data();
  }
  for (size_t i = 0; i < count; ++i) args[i] = eval(*n.children[i], current);
  return n.function->impl(*this, n, args, count);
}

[[noreturn]] void type_error(const Node& call, size_t arg, const char* expected, const Val& got) {
  Evaluator::fail(ErrorKind::InvalidType, call,
                  call.name + "() argument " + std::to_string(arg + 1) + " must be " + expected + ", not " +
                      type_name(got.type()));
}

void expect_type(const Node& call, const Val* args, size_t arg, Type t) {
  if (args[arg].type() != t) type_error(call, arg, type_name(t), args[arg]);
}

const FunctionDef* find_function(std::string_view name) {
  const FunctionDef* f = find_spec_function(name);
  return f != nullptr ? f : find_medtech_function(name);
}

namespace {
// A deep copy that owns all of its strings.
void deep_copy(json::Value& out, const json::Value& in, json::Allocator& a) {
  switch (in.GetType()) {
    case rapidjson::kStringType:
      out.SetString(in.GetString(), in.GetStringLength(), a);
      return;
    case rapidjson::kArrayType:
      out.SetArray();
      out.Reserve(in.Size(), a);
      for (const auto& e : in.GetArray()) {
        json::Value v;
        deep_copy(v, e, a);
        out.PushBack(v, a);
      }
      return;
    case rapidjson::kObjectType:
      out.SetObject();
      for (const auto& m : in.GetObject()) {
        json::Value v;
        deep_copy(v, m.value, a);
        out.AddMember(json::Value(m.name.GetString(), m.name.GetStringLength(), a), v, a);
      }
      return;
    default:
      out.CopyFrom(in, a);
  }
}
}  // namespace

}  // namespace detail

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Syntax: return "syntax";
    case ErrorKind::UnknownFunction: return "unknown-function";
    case ErrorKind::InvalidArity: return "invalid-arity";
    case ErrorKind::InvalidType: return "invalid-type";
    case ErrorKind::InvalidValue: return "invalid-value";
    case ErrorKind::Arithmetic: return "arithmetic";
  }
  return "error";
}

namespace {
const json::Value kNullValue;
}

Result::Result() : value_(&kNullValue) {}
Result::Result(Result&&) noexcept = default;
Result& Result::operator=(Result&&) noexcept = default;
Result::~Result() = default;

json::Value Result::copy(json::Allocator& allocator) const {
  json::Value out;
  detail::deep_copy(out, *value_, allocator);
  return out;
}

std::optional<Expression> Expression::parse(std::string_view text, Error* error) {
  std::shared_ptr<const detail::Program> program = detail::parse(text, error);
  if (!program) return std::nullopt;
  Expression e;
  e.program_ = std::move(program);
  return e;
}

const std::string& Expression::text() const { return program_->text; }

Result Expression::evaluate(const json::Value& input) const {
  Result r;
  r.program_ = program_;
  try {
    detail::Evaluator ev(r.arena_);
    detail::Val v = ev.eval(*program_->root, detail::Val::of(&input));
    r.value_ = v.is_json() ? &v.json() : ev.arena().materialize(v);
  } catch (const detail::EvalError& e) {
    size_t column = utf8::column(program_->text, e.offset);
    r.error_ = Error{e.kind, e.message + " at column " + std::to_string(column), column};
    r.value_ = &kNullValue;
  } catch (const std::exception& e) {  // allocation failure, value nested too deeply
    r.error_ = Error{ErrorKind::InvalidValue, std::string("evaluation failed: ") + e.what(), 0};
    r.value_ = &kNullValue;
  }
  return r;
}

}  // namespace healthd::medtech::jmespath
