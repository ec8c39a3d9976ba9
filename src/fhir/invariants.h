// FHIRPath invariants (ElementDefinition.constraint) compiled once and evaluated on elements.
// The base R4 constraints are compiled when the service starts; profiles compile their own.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <functional>
#include <unordered_map>
#include <vector>

#include "common/outcome.h"
#include "fhir/definitions.h"
#include "fhir/validator_path.h"
#include "fhirpath/fhirpath.h"

namespace healthd::fhir {

struct CompiledConstraint {
  Constraint def;
  std::optional<fhirpath::Expression> expr;  // nullopt: not checked, see skip
  std::string skip;                          // why it is not checked (known-unsupported, parse error)
};

CompiledConstraint compile_constraint(const Constraint& c);

// invariant_skips.cpp: the constraints the engine is known not to evaluate correctly, by key,
// with the reason; nullopt for the others.
std::optional<std::string_view> invariant_skip_reason(std::string_view key);

// Where and how to evaluate: the element (focus) with its FHIR type, and the resources around it.
struct InvariantFocus {
  const rapidjson::Value* value = nullptr;
  const ElementModel* element = nullptr;  // the element's definition (a value of an element)
  const TypeModel* model = nullptr;       // or the object's model (a resource, backbone, datatype)
  const rapidjson::Value* resource = nullptr;
  const rapidjson::Value* root = nullptr;
};

// What evaluation needs besides the focus: definitions and terminology for memberOf().
struct InvariantEnv {
  const Definitions* definitions = nullptr;
  std::function<std::optional<bool>(const fhirpath::Value&, const std::string&)> member_of;
};

class ValueSetMembership;
// The environment for a validation run: memberOf() answered by terminology (may be null).
InvariantEnv invariant_env(const Definitions& defs, const ValueSetMembership* terminology);

// Evaluates c on the focus; adds an error/warning issue (code invariant) when it does not hold,
// and an information issue when it could not be evaluated or is skipped (once per key per run:
// `skipped` collects the keys already reported).
void check_constraint(const CompiledConstraint& c, const InvariantFocus& focus, const InvariantEnv& env,
                      const ValidatorPath& at, std::vector<Issue>& issues, std::vector<std::string>& skipped);

// The base R4 invariants, compiled once per Definitions (keyed by the Constraint's address in the
// immutable model).
class BaseInvariants {
 public:
  explicit BaseInvariants(std::shared_ptr<const Definitions> defs);
  const CompiledConstraint* find(const Constraint& c) const;

  struct Counts {
    size_t total = 0;     // distinct key + expression pairs
    size_t compiled = 0;  // parsed by the engine and not on the skip list
    size_t skipped = 0;   // on the skip list or not parsed
  };
  Counts counts() const { return counts_; }

 private:
  std::shared_ptr<const Definitions> defs_;
  std::unordered_map<const Constraint*, std::shared_ptr<const CompiledConstraint>> by_address_;
  Counts counts_;
};

}  // namespace healthd::fhir
