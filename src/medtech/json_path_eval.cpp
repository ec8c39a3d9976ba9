// JSONPath evaluation (RFC 9535 section 2): nodes are pointers into the document, never copies.
#include <algorithm>

#include "medtech/json_compare.h"
#include "medtech/json_path.h"
#include "medtech/json_path_ast.h"
#include "common/utf8.h"

namespace healthd::medtech::jsonpath {

namespace {

using Nodes = std::vector<const json::Value*>;

bool test(const FilterExpr& e, const json::Value& current, const json::Value& root);

// A comparable or function argument: a value, or Nothing (v == nullptr). `tmp` holds computed numbers.
struct Operand {
  const json::Value* v = nullptr;
  json::Value tmp;
};

const json::Value* member(const json::Value& obj, std::string_view name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(json::Value(rapidjson::StringRef(name.data(), name.size())));
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

const json::Value* element(const json::Value& arr, int64_t index) {
  if (!arr.IsArray()) return nullptr;
  int64_t n = arr.Size();
  if (index < 0) index += n;
  if (index < 0 || index >= n) return nullptr;
  return &arr[static_cast<rapidjson::SizeType>(index)];
}

// RFC 9535 section 2.3.4.2.2: slice bounds.
void slice(const Selector& s, const json::Value& arr, Nodes& out) {
  int64_t n = arr.Size(), step = s.step;
  if (step == 0) return;
  auto normalize = [n](int64_t i) { return i >= 0 ? i : n + i; };
  if (step > 0) {
    int64_t start = s.start ? normalize(*s.start) : 0;
    int64_t end = s.end ? normalize(*s.end) : n;
    int64_t lower = std::clamp<int64_t>(start, 0, n), upper = std::clamp<int64_t>(end, 0, n);
    for (int64_t i = lower; i < upper; i += step) out.push_back(&arr[static_cast<rapidjson::SizeType>(i)]);
  } else {
    int64_t start = s.start ? normalize(*s.start) : n - 1;
    int64_t end = s.end ? normalize(*s.end) : -n - 1;
    int64_t upper = std::clamp<int64_t>(start, -1, n - 1), lower = std::clamp<int64_t>(end, -1, n - 1);
    for (int64_t i = upper; lower < i; i += step) out.push_back(&arr[static_cast<rapidjson::SizeType>(i)]);
  }
}

// Applies one selector to the children of node.
void apply(const Selector& s, const json::Value& node, const json::Value& root, Nodes& out) {
  switch (s.kind) {
    case SelectorKind::Name:
      if (const json::Value* v = member(node, s.name)) out.push_back(v);
      return;
    case SelectorKind::Index:
      if (const json::Value* v = element(node, s.index)) out.push_back(v);
      return;
    case SelectorKind::Wildcard:
      if (node.IsArray()) {
        for (const auto& v : node.GetArray()) out.push_back(&v);
      } else if (node.IsObject()) {
        for (const auto& m : node.GetObject()) out.push_back(&m.value);
      }
      return;
    case SelectorKind::Slice:
      if (node.IsArray()) slice(s, node, out);
      return;
    case SelectorKind::Filter:
      if (node.IsArray()) {
        for (const auto& v : node.GetArray())
          if (test(*s.filter, v, root)) out.push_back(&v);
      } else if (node.IsObject()) {
        for (const auto& m : node.GetObject())
          if (test(*s.filter, m.value, root)) out.push_back(&m.value);
      }
      return;
  }
}

void apply(const Segment& seg, const json::Value& node, const json::Value& root, Nodes& out) {
  if (!seg.descendant) {
    for (const Selector& s : seg.selectors) apply(s, node, root, out);
    return;
  }
  // Newtonsoft (MedTech `$..[?(@x)]`): a descendant filter also tests the start node itself.
  for (const Selector& s : seg.selectors)
    if (s.kind == SelectorKind::Filter && test(*s.filter, node, root)) out.push_back(&node);
  // Pre-order walk with an explicit stack: each node is visited before its descendants, arrays in order.
  std::vector<const json::Value*> stack{&node};
  while (!stack.empty()) {
    const json::Value* n = stack.back();
    stack.pop_back();
    for (const Selector& s : seg.selectors) apply(s, *n, root, out);
    if (n->IsArray()) {
      for (auto it = n->End(); it != n->Begin();) stack.push_back(&*--it);
    } else if (n->IsObject()) {
      for (auto it = n->MemberEnd(); it != n->MemberBegin();) stack.push_back(&(--it)->value);
    }
  }
}

void run(const Query& q, const json::Value& root, const json::Value& current, Nodes& out) {
  const json::Value& start = q.relative ? current : root;
  if (q.segments.empty()) {
    out.push_back(&start);
    return;
  }
  Nodes cur{&start}, next;
  for (size_t k = 0; k < q.segments.size(); ++k) {
    Nodes& dest = k + 1 == q.segments.size() ? out : next;
    size_t before = dest.size();
    for (const json::Value* n : cur) apply(q.segments[k], *n, root, dest);
    if (&dest == &out) return;
    if (dest.size() == before) return;
    std::swap(cur, next);
    next.clear();
  }
}

std::string_view str(const json::Value& v) { return {v.GetString(), v.GetStringLength()}; }

void evaluate(const FilterExpr& e, const json::Value& current, const json::Value& root, Operand& out);

bool regex_call(const FilterExpr& e, const json::Value& current, const json::Value& root) {
  Operand text, pattern;
  evaluate(*e.children[0], current, root, text);
  if (text.v == nullptr || !text.v->IsString()) return false;
  bool full = e.function == Function::Match;
  if (e.regex) return full ? e.regex->full_match(str(*text.v)) : e.regex->search(str(*text.v));
  if (e.bad_regex) return false;
  evaluate(*e.children[1], current, root, pattern);
  if (pattern.v == nullptr || !pattern.v->IsString()) return false;
  auto re = IRegexp::compile(str(*pattern.v));
  if (!re) return false;
  return full ? re->full_match(str(*text.v)) : re->search(str(*text.v));
}

// Value of a comparable or ValueType argument.
void evaluate(const FilterExpr& e, const json::Value& current, const json::Value& root, Operand& out) {
  out.v = nullptr;
  switch (e.kind) {
    case FilterExpr::Kind::Literal:
      out.v = &e.literal;
      return;
    case FilterExpr::Kind::Singular:
      out.v = select_singular(*e.query, root, current);
      return;
    case FilterExpr::Kind::Call:
      switch (e.function) {
        case Function::Length: {
          Operand arg;
          evaluate(*e.children[0], current, root, arg);
          if (arg.v == nullptr) return;
          if (arg.v->IsString()) {
            out.tmp.SetUint64(utf8::length(str(*arg.v)));
          } else if (arg.v->IsArray()) {
            out.tmp.SetUint64(arg.v->Size());
          } else if (arg.v->IsObject()) {
            out.tmp.SetUint64(arg.v->MemberCount());
          } else {
            return;
          }
          out.v = &out.tmp;
          return;
        }
        case Function::Count: {
          Nodes nodes;
          run(*e.children[0]->query, root, current, nodes);
          out.tmp.SetUint64(nodes.size());
          out.v = &out.tmp;
          return;
        }
        case Function::Value: {
          Nodes nodes;
          run(*e.children[0]->query, root, current, nodes);
          if (nodes.size() == 1) out.v = nodes[0];
          return;
        }
        default:
          return;  // match/search are LogicalType: the parser keeps them out of comparisons
      }
    default:
      return;
  }
}

// RFC 9535 section 2.3.5.2.2. Nothing (nullptr) equals only Nothing; order is for numbers and strings.
bool equal(const json::Value* a, const json::Value* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return json_equal(*a, *b);
}

bool less(const json::Value* a, const json::Value* b) {
  if (a == nullptr || b == nullptr) return false;
  if (a->IsNumber() && b->IsNumber()) return compare_numbers(*a, *b) < 0;
  if (a->IsString() && b->IsString()) return str(*a) < str(*b);  // UTF-8 byte order is code point order
  return false;
}

bool compare(CompareOp op, const json::Value* a, const json::Value* b) {
  switch (op) {
    case CompareOp::Eq: return equal(a, b);
    case CompareOp::Ne: return !equal(a, b);
    case CompareOp::Lt: return less(a, b);
    case CompareOp::Le: return less(a, b) || equal(a, b);
    case CompareOp::Gt: return less(b, a);
    case CompareOp::Ge: return less(b, a) || equal(a, b);
  }
  return false;
}

bool test(const FilterExpr& e, const json::Value& current, const json::Value& root) {
  switch (e.kind) {
    case FilterExpr::Kind::Or:
      for (const auto& c : e.children)
        if (test(*c, current, root)) return true;
      return false;
    case FilterExpr::Kind::And:
      for (const auto& c : e.children)
        if (!test(*c, current, root)) return false;
      return true;
    case FilterExpr::Kind::Not:
      return !test(*e.children[0], current, root);
    case FilterExpr::Kind::Compare: {
      Operand a, b;
      evaluate(*e.children[0], current, root, a);
      evaluate(*e.children[1], current, root, b);
      return compare(e.op, a.v, b.v);
    }
    case FilterExpr::Kind::Exists: {
      if (e.query->singular()) return select_singular(*e.query, root, current) != nullptr;
      Nodes nodes;
      run(*e.query, root, current, nodes);
      return !nodes.empty();
    }
    case FilterExpr::Kind::Call:
      return regex_call(e, current, root);
    default:
      return false;
  }
}

}  // namespace

void select(const Query& q, const json::Value& root, const json::Value& current, Nodes& out) {
  if (q.singular()) {
    if (const json::Value* v = select_singular(q, root, current)) out.push_back(v);
    return;
  }
  run(q, root, current, out);
}

const json::Value* select_singular(const Query& q, const json::Value& root, const json::Value& current) {
  const json::Value* v = q.relative ? &current : &root;
  for (const Segment& s : q.segments) {
    const Selector& sel = s.selectors[0];
    v = sel.kind == SelectorKind::Name ? member(*v, sel.name) : element(*v, sel.index);
    if (v == nullptr) return nullptr;
  }
  return v;
}

}  // namespace healthd::medtech::jsonpath

namespace healthd::medtech {

std::optional<JsonPath> JsonPath::parse(std::string_view text, ExpressionError* error) {
  std::shared_ptr<const jsonpath::Query> q = jsonpath::parse(text, error);
  if (!q) return std::nullopt;
  JsonPath p;
  p.text_ = std::string(text);
  p.query_ = std::move(q);
  return p;
}

void JsonPath::select(const json::Value& root, std::vector<const json::Value*>& out) const {
  jsonpath::select(*query_, root, root, out);
}

std::vector<const json::Value*> JsonPath::select(const json::Value& root) const {
  std::vector<const json::Value*> out;
  select(root, out);
  return out;
}

const json::Value* JsonPath::select_first(const json::Value& root) const {
  if (query_->singular()) return jsonpath::select_singular(*query_, root, root);
  std::vector<const json::Value*> out;
  select(root, out);
  return out.empty() ? nullptr : out.front();
}

bool JsonPath::singular() const { return query_->singular(); }

}  // namespace healthd::medtech
