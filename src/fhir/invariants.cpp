#include "fhir/invariants.h"

#include <algorithm>
#include <map>

namespace healthd::fhir {

CompiledConstraint compile_constraint(const Constraint& c) {
  CompiledConstraint out;
  out.def = c;
  if (auto reason = invariant_skip_reason(c.key)) {
    out.skip = std::string(*reason);
    return out;
  }
  std::string error;
  out.expr = fhirpath::Expression::parse(c.expression, &error);
  if (!out.expr) out.skip = "the expression does not parse: " + error;
  return out;
}

namespace {

void skipped_once(const CompiledConstraint& c, const std::string& why, const ValidatorPath& at,
                  std::vector<Issue>& issues, std::vector<std::string>& skipped) {
  if (std::find(skipped.begin(), skipped.end(), c.def.key) != skipped.end()) return;
  skipped.push_back(c.def.key);
  Issue i;
  i.severity = "information";
  i.code = "informational";
  i.diagnostics = "Constraint " + c.def.key + " was not checked: " + why;
  i.expression.push_back(at.str());
  issues.push_back(std::move(i));
}

}  // namespace

void check_constraint(const CompiledConstraint& c, const InvariantFocus& focus, const InvariantEnv& env,
                      const ValidatorPath& at, std::vector<Issue>& issues, std::vector<std::string>& skipped) {
  if (!c.expr) return skipped_once(c, c.skip, at, issues, skipped);
  fhirpath::EvalContext ctx;
  ctx.definitions = env.definitions;
  ctx.resource = focus.resource;
  ctx.root_resource = focus.root;
  ctx.context = focus.value;
  ctx.context_element = focus.element;
  ctx.context_model = focus.model;
  ctx.member_of = env.member_of;
  ctx.lenient_as = true;
  fhirpath::Collection r = fhirpath::evaluate(*c.expr, *focus.value, ctx);
  if (!r.ok()) return skipped_once(c, "the engine could not evaluate it: " + r.error, at, issues, skipped);
  // An empty result, or anything but a single false, counts as satisfied (FHIR validators agree).
  if (r.size() != 1 || r[0].kind != fhirpath::Kind::Boolean || r[0].boolean) return;
  Issue i;
  i.severity = c.def.error ? "error" : "warning";
  i.code = "invariant";
  i.diagnostics = "Constraint " + c.def.key + " failed: " + (c.def.human.empty() ? c.def.expression : c.def.human) +
                  " (" + c.def.expression + ")";
  i.expression.push_back(at.str());
  issues.push_back(std::move(i));
}

BaseInvariants::BaseInvariants(std::shared_ptr<const Definitions> defs) : defs_(std::move(defs)) {
  // Many elements share an expression (dom-2 on every resource): compile each text once.
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const CompiledConstraint>> by_text;
  auto add = [&](const Constraint& c) {
    auto key = std::make_pair(c.key, c.expression);
    auto it = by_text.find(key);
    if (it == by_text.end()) {
      auto compiled = std::make_shared<const CompiledConstraint>(compile_constraint(c));
      ++counts_.total;
      ++(compiled->expr ? counts_.compiled : counts_.skipped);
      it = by_text.emplace(key, std::move(compiled)).first;
    }
    by_address_[&c] = it->second;
  };
  for (const auto& model : defs_->models()) {
    for (const auto& c : model->constraints) add(c);
    for (const auto& el : model->elements)
      for (const auto& c : el.constraints) add(c);
  }
}

const CompiledConstraint* BaseInvariants::find(const Constraint& c) const {
  auto it = by_address_.find(&c);
  return it == by_address_.end() ? nullptr : it->second.get();
}

}  // namespace healthd::fhir
