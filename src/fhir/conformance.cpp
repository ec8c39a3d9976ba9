#include "fhir/conformance.h"

#include <algorithm>

namespace healthd::fhir {

namespace {

constexpr std::string_view kCorePrefix = "http://hl7.org/fhir/StructureDefinition/";
constexpr int kMaxProfileDepth = 8;  // a profile of a profile of ...

// The checks $validate adds to the structural walk.
class FullChecks : public ValidationHook {
 public:
  FullChecks(const Definitions& defs, const BaseInvariants& invariants, const ValueSetMembership* terminology)
      : defs_(defs), invariants_(invariants), terminology_(terminology) {
    env_ = invariant_env(defs, terminology);
  }

  void object(const rapidjson::Value& v, const TypeModel& model, const Scope& scope, const ValidatorPath& at,
              std::vector<Issue>& issues) override {
    // ele-1: an element has a value or children other than id (a primitive's `_name` is judged
    // with its value, so it is left out here).
    if (!model.is_resource && &model != &defs_.element() && v.MemberCount() == 1 && v.HasMember("id")) {
      Issue i;
      i.code = "invariant";
      i.diagnostics = "Constraint ele-1 failed: All FHIR elements must have a @value or children";
      i.expression.push_back(at.str());
      issues.push_back(std::move(i));
    }
    if (model.constraints.empty()) return;
    InvariantFocus focus;
    focus.value = &v;
    focus.model = &model;
    focus.resource = scope.resource;
    focus.root = scope.root;
    for (const auto& c : model.constraints)
      if (const CompiledConstraint* cc = invariants_.find(c)) check_constraint(*cc, focus, env_, at, issues, skipped_);
  }

  void value(const rapidjson::Value& v, const ElementModel& el, const Scope& scope, const ValidatorPath& at,
             std::vector<Issue>& issues) override {
    if (el.binding && terminology_) check_required_binding(*terminology_, *el.binding, el.type_code, v, at, issues);
    if (el.constraints.empty()) return;
    InvariantFocus focus;
    focus.value = &v;
    focus.element = &el;
    focus.resource = scope.resource;
    focus.root = scope.root;
    for (const auto& c : el.constraints)
      if (const CompiledConstraint* cc = invariants_.find(c)) check_constraint(*cc, focus, env_, at, issues, skipped_);
  }

 private:
  const Definitions& defs_;
  const BaseInvariants& invariants_;
  const ValueSetMembership* terminology_;
  InvariantEnv env_;
  std::vector<std::string> skipped_;
};

}  // namespace

InvariantEnv invariant_env(const Definitions& defs, const ValueSetMembership* terminology) {
  InvariantEnv env;
  env.definitions = &defs;
  if (terminology)
    env.member_of = [terminology](const fhirpath::Value& v, const std::string& vs) {
      return member_of(*terminology, v.node, v.str(), vs);
    };
  return env;
}

namespace {

Issue profile_issue(const char* severity, std::string diagnostics) {
  Issue i;
  i.severity = severity;
  i.code = "processing";
  i.diagnostics = std::move(diagnostics);
  return i;
}

}  // namespace

Conformance::Conformance(std::shared_ptr<const Definitions> defs, std::shared_ptr<const ValueSetMembership> terminology)
    : defs_(std::move(defs)), terminology_(std::move(terminology)), structural_(defs_), invariants_(defs_) {}

std::vector<Issue> Conformance::validate(const rapidjson::Value& resource, const ValidationOptions& options,
                                         ProfileCache* profiles) const {
  FullChecks checks(*defs_, invariants_, terminology_.get());
  std::vector<Issue> issues = structural_.validate(resource, &checks);
  if (!resource.IsObject()) return issues;

  // Profiles: those asked for (unknown: error), then those the resource claims (unknown: warning).
  std::vector<std::pair<std::string, bool>> wanted;  // url, required
  for (const auto& p : options.profiles) wanted.emplace_back(p.substr(0, p.find('|')), true);
  if (options.meta_profiles) {
    auto meta = resource.FindMember("meta");
    if (meta != resource.MemberEnd() && meta->value.IsObject()) {
      auto prof = meta->value.FindMember("profile");
      if (prof != meta->value.MemberEnd() && prof->value.IsArray())
        for (const auto& p : prof->value.GetArray())
          if (p.IsString()) {
            std::string url(p.GetString(), p.GetStringLength());
            wanted.emplace_back(url.substr(0, url.find('|')), false);
          }
    }
  }
  std::string type;
  if (auto rt = resource.FindMember("resourceType"); rt != resource.MemberEnd() && rt->value.IsString())
    type = rt->value.GetString();
  std::vector<std::string> done;
  Profile::Env env{defs_.get(), terminology_.get()};
  for (size_t i = 0; i < wanted.size(); ++i) {
    auto [url, required] = wanted[i];
    if (std::find(done.begin(), done.end(), url) != done.end()) continue;
    done.push_back(url);
    // The base definition of the resource's own type is what the walk above checked.
    if (url == std::string(kCorePrefix) + type) continue;
    ProfileCache::Result r;
    if (profiles) r = profiles->get(url);
    else r.error = "Profile " + url + " is not known";
    if (!r.profile) {
      issues.push_back(profile_issue(required ? "error" : "warning", r.error));
      continue;
    }
    if (r.profile->type() != type) {
      issues.push_back(profile_issue(required ? "error" : "warning",
                                     "Profile " + url + " is a profile of " + r.profile->type() + ", not of " + type));
      continue;
    }
    r.profile->validate(resource, env, issues);
    // A profile of a profile: the one it constrains applies too.
    if (!r.profile->base_profile().empty() && done.size() < kMaxProfileDepth)
      wanted.emplace_back(r.profile->base_profile(), true);
  }
  return issues;
}

}  // namespace healthd::fhir
