// The evaluator (internal): one per evaluate() call, or one per ResourceEvaluator.
#pragma once

#include <regex>

#include "fhirpath/ast.h"
#include "fhirpath/internal.h"

namespace healthd::fhir {
struct ElementModel;
}

namespace healthd::fhirpath {

class Evaluator {
 public:
  Evaluator(const EvalContext& ctx, const rapidjson::Value& resource);

  Items eval(const Node& n, const Items& input);
  const Value& context_value() const { return context_; }
  // Forgets $this, $index and $total, which an evaluation cut short by an error may have left
  // set: the next expression starts as on a new evaluator.
  void start_over() {
    this_ = nullptr;
    index_ = -1;
    total_ = nullptr;
  }

 private:
  Value from_json(const rapidjson::Value* j, const rapidjson::Value* ext, const fhir::ElementModel* el) const;
  void emit(const rapidjson::Value* j, const rapidjson::Value* ext, const fhir::ElementModel* el, Items& out) const;
  void children(const Value& item, std::string_view name, Items& out) const;
  void all_children(const Value& item, Items& out) const;
  bool is_type(const Value& v, const TypeSpec& t) const;
  void check_type(const TypeSpec& t) const;

  const Value* singleton(const Items& items, const char* what) const;
  std::optional<bool> boolean(const Items& items, const char* what) const;
  static void add_distinct(Items& out, const Value& v);
  std::optional<bool> collection_equals(const Items& a, const Items& b) const;
  bool collection_equivalent(const Items& a, const Items& b) const;

  Items constant(const Node& n);
  Items member_access(const Node& n, const Items& input);
  Items logic(const Node& n, const Items& input);
  Items arithmetic(const Node& n, const Items& input);
  Items call(const Node& n, const Items& input);
  Items resolve(const Value& v);
  Items lambda_map(const Node& body, const Items& focus, bool select);
  const Temporal& now();

  const EvalContext& ctx_;
  const fhir::Definitions* defs_;
  bool strict_;
  Value resource_, root_, context_;
  const Value* this_ = nullptr;
  int64_t index_ = -1;
  const Items* total_ = nullptr;
  std::optional<Temporal> now_;
};

}  // namespace healthd::fhirpath
