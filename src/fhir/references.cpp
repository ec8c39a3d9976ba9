#include "fhir/references.h"

#include "fhir/definitions.h"
#include "fhirpath/fhirpath.h"
#include "search/index_values.h"
#include "search/search_parameters.h"

namespace healthd::fhir {

std::vector<std::pair<std::string, std::string>> local_references(const search::SearchParameterRegistry& params,
                                                                  const Definitions& definitions,
                                                                  const std::string& type,
                                                                  const json::Value& resource,
                                                                  std::string_view param,
                                                                  std::string_view base_url) {
  std::vector<std::pair<std::string, std::string>> out;
  fhirpath::EvalContext ctx;
  ctx.definitions = &definitions;
  ctx.resource = &resource;
  for (const search::SearchParam* sp : params.for_type(type)) {
    if (sp->kind != search::ParamType::Reference || !sp->compiled_ok) continue;
    if (param != "*" && sp->code != param) continue;
    for (const auto& ref : search::extract(*sp, resource, ctx).references) {
      auto local = ref.local_key(base_url);
      if (!local) continue;
      auto slash = local->find('/');
      if (slash == std::string::npos) continue;
      out.emplace_back(local->substr(0, slash), local->substr(slash + 1));
    }
  }
  return out;
}

}  // namespace healthd::fhir
