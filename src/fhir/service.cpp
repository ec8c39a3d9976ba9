// FhirService: routes a request below the service base to its interaction.
#include "fhir/service.h"

#include "common/ids.h"
#include "fhir/routes.h"
#include "fhir/smart_access.h"
#include "fhir/service_impl.h"
#include "fhir/subsetting.h"
#include "fhir/value_set_catalog.h"

namespace healthd::fhir {

FhirService::FhirService(std::string name, ServiceSettings settings, std::shared_ptr<Store> store,
                         std::shared_ptr<const Definitions> definitions,
                         std::shared_ptr<const auth::PatientCompartment> compartment,
                         std::shared_ptr<const search::SearchParameterRegistry> search_params)
    : impl_(std::make_unique<Impl>(std::move(name), std::move(settings), std::move(store), std::move(definitions),
                                   std::move(compartment), std::move(search_params))) {
  impl_->open_index();
}

FhirService::~FhirService() = default;

const ServiceSettings& FhirService::settings() const { return impl_->settings; }

void FhirService::set_smart_configuration(std::string json) { impl_->smart_configuration_json = std::move(json); }

void FhirService::set_terminology(std::shared_ptr<const search::Terminology> terminology) {
  // Required bindings are checked against the same expansions (and expansion limit) as :in.
  if (terminology)
    impl_->conformance =
        std::make_shared<Conformance>(impl_->definitions, std::make_shared<ValueSetCatalog>(terminology));
  impl_->terminology = std::move(terminology);
}

Response FhirService::Impl::smart_configuration(Request& req) {
  if (smart_configuration_json.empty())
    return error(404, "not-found", "This service has no SMART configuration");
  Response r;
  r.body = smart_configuration_json;
  r.headers.set("Content-Type", "application/json");
  return r;
}

void FhirService::close() {
  impl_->reindex_job->stop();  // a running job resumes when the service opens again
  impl_->store->close();
}

Response FhirService::handle(Request& req) {
  Response r;
  if (auto bad = check_accept(req)) {
    r = std::move(*bad);
    r.route = "fhir.format";
    return r;
  }
  try {
    r = impl_->route(req);
  } catch (const std::exception& e) {
    r = error(500, "exception", std::string("Internal error: ") + e.what());
    r.route = "fhir.error";
  }
  return r;
}

namespace {

Response method_not_allowed(const std::string& method, const char* allowed, const std::string& what) {
  Response r = error(405, "not-supported", "Method " + method + " is not allowed on " + what);
  r.headers.set("Allow", allowed);
  return r;
}

Response labelled(Response r, const char* route) {
  r.route = route;
  return r;
}

}  // namespace

// Scope and compartment checks that can be made before the interaction runs.
std::optional<Response> FhirService::Impl::smart_gate(const SmartAccess& smart, Interaction interaction,
                                                      const std::string& type, const std::string& id,
                                                      const Request& req) {
  using I = auth::Interaction;
  switch (interaction) {
    case Interaction::Capabilities:
    case Interaction::SmartConfiguration:
      return std::nullopt;
    case Interaction::Read:
    case Interaction::VRead:
      return smart.check(type, I::Read);
    case Interaction::HistoryInstance: {
      if (auto d = smart.check(type, I::Read)) return d;
      if (!smart.needs_resource_check()) return std::nullopt;
      // The newest version with a body says whose resource this is.
      HistoryQuery q;
      q.type = type;
      q.id = id;
      q.count = 50;
      for (const auto& v : store->history(q).entries)
        if (!v.deleted()) {
          if (smart.permits_json(v.json, I::Read)) return std::nullopt;
          break;
        }
      return SmartAccess::outside_compartment(type + "/" + id);
    }
    case Interaction::HistoryType:
    case Interaction::Search:
      return smart.check(type, I::Search);
    case Interaction::HistorySystem:
    case Interaction::SearchSystem:
      return std::nullopt;  // entries are filtered one by one
    case Interaction::SearchCompartment:
      return req.segments.size() >= 3 ? smart.check(req.segments[2], I::Search) : std::nullopt;
    case Interaction::Create:
    case Interaction::Update:
    case Interaction::Patch: {
      if (auto d = smart.check(type, interaction == Interaction::Create ? I::Create : I::Update)) return d;
      if (!smart.needs_resource_check()) return std::nullopt;
      I letter = interaction == Interaction::Create ? I::Create : I::Update;
      if (interaction != Interaction::Patch && !smart.permits_json(req.body, letter))
        return SmartAccess::outside_compartment("The " + type + " sent");
      if (interaction != Interaction::Create) {
        auto cur = store->current(type, id);
        if (cur && !cur->deleted() && !smart.permits_json(cur->json, I::Update))
          return SmartAccess::outside_compartment(type + "/" + id);
      }
      return std::nullopt;
    }
    case Interaction::Delete: {
      if (auto d = smart.check(type, I::Delete)) return d;
      if (!smart.needs_resource_check()) return std::nullopt;
      auto cur = store->current(type, id);
      if (cur && !cur->deleted() && !smart.permits_json(cur->json, I::Delete))
        return SmartAccess::outside_compartment(type + "/" + id);
      return std::nullopt;
    }
    case Interaction::Conditional:
      // The type-level check here; the matches are filtered resource by resource (conditional.cpp).
      return smart.check(type, req.method == "DELETE" ? I::Delete : I::Update);
    case Interaction::Operation: {
      // Instance operations read or change one resource: the same confinement as read/update.
      if (type.empty() || id.empty()) return std::nullopt;
      const I letter = req.segments.back() == "$meta" || req.segments.back() == "$everything" ||
                               (req.segments.back() == "$reindex" && req.method == "GET")
                           ? I::Read
                           : I::Update;
      if (auto d = smart.check(type, letter)) return d;
      if (!smart.needs_resource_check()) return std::nullopt;
      auto cur = store->current(type, id);
      if (cur && !cur->deleted() && !smart.permits_json(cur->json, letter))
        return SmartAccess::outside_compartment(type + "/" + id);
      return std::nullopt;
    }
    case Interaction::Bundle:
      return std::nullopt;  // each entry is checked like the request it stands for (bundle.cpp)
  }
  return std::nullopt;
}

// Type/system history under SMART: only versions of types the scopes let the caller search, and,
// for patient/ scopes, only versions in the compartment (deleted versions carry no body: left out).
HistoryFilter FhirService::Impl::smart_history_filter(const SmartAccess& smart) {
  if (!smart.active()) return {};
  return [&smart](const StoredVersion& v) {
    if (smart.check(v.type, auth::Interaction::Search)) return false;
    if (!smart.needs_resource_check()) return true;
    return !v.deleted() && smart.permits_json(v.json, auth::Interaction::Search);
  };
}

Response FhirService::Impl::route(Request& req) {
  index_upkeep(req);
  RouteMatch m = match_fhir_route(req);
  if (!m.route) {
    if (!m.allowed.empty()) return labelled(method_not_allowed(req.method, m.allowed.c_str(), req.path), "fhir.method");
    return labelled(error(404, "not-found", "No FHIR interaction at this path"), "fhir.unknown");
  }
  const RouteSpec& route = *m.route;
  const auto& seg = req.segments;
  std::string pattern = route.pattern;
  // {type} is always the first segment and {id} the second.
  std::string type, id;
  if (pattern.starts_with("{type}")) {
    type = seg[0];
    if (!definitions->is_resource_type(type))
      return labelled(error(404, "not-found", "Unknown resource type '" + type + "'"), "fhir.unknown");
  }
  if (pattern.find("{id}") != std::string::npos) {
    id = seg[1];
    if (!is_valid_fhir_id(id))
      return labelled(error(400, "invalid", "'" + id + "' is not a valid resource id ([A-Za-z0-9-.]{1,64})"),
                      "fhir.invalid-id");
  }

  std::optional<Response> bad;
  SmartAccess smart = SmartAccess::for_request(req, *definitions, compartment, &bad, search_params.current());
  if (bad) return labelled(std::move(*bad), route.name);
  if (smart.active())
    if (auto denied = smart_gate(smart, route.interaction, type, id, req)) return labelled(std::move(*denied), route.name);

  Response r;
  switch (route.interaction) {
    case Interaction::Capabilities: r = capabilities(req); break;
    case Interaction::SmartConfiguration: r = smart_configuration(req); break;
    case Interaction::Create: r = create(req, type); break;
    case Interaction::Read:
    case Interaction::VRead: {
      // Under patient/ scopes a 304 would tell whether another patient's resource changed: read it
      // whole, check the compartment, then answer the condition.
      Headers conditions;
      if (smart.needs_resource_check())
        for (const char* h : {"If-None-Match", "If-Modified-Since"})
          if (auto v = req.headers.get(h)) {
            conditions.set(h, std::string(*v));
            req.headers.remove(h);
          }
      r = route.interaction == Interaction::Read ? read(req, type, id) : vread(req, type, id, seg[3]);
      if (smart.needs_resource_check() && r.status == 200) {
        if (!smart.permits_json(r.body, auth::Interaction::Read)) {
          r = SmartAccess::outside_compartment(type + "/" + id);
        } else if (!conditions.entries().empty()) {
          req.headers = [&] {
            Headers h = req.headers;
            for (const auto& [k, v] : conditions.entries()) h.set(k, v);
            return h;
          }();
          r = route.interaction == Interaction::Read ? read(req, type, id) : vread(req, type, id, seg[3]);
        }
      }
      // After the compartment check, which needs the whole resource.
      if (auto bad = subset_read(*definitions, req, r)) r = std::move(*bad);
      break;
    }
    case Interaction::Update: r = update(req, type, id); break;
    case Interaction::Delete: r = remove(req, type, id); break;
    case Interaction::HistoryInstance: r = history(req, type, id); break;
    case Interaction::HistoryType: r = history(req, type, "", smart_history_filter(smart)); break;
    case Interaction::HistorySystem: r = history(req, "", "", smart_history_filter(smart)); break;
    case Interaction::Search: r = search(req, {type}, smart); break;
    case Interaction::SearchSystem: r = search(req, {}, smart); break;
    case Interaction::SearchCompartment: {
      const std::string& ctype = seg[2];
      if (type != "Patient") {
        r = error(400, "not-supported", "Only the Patient compartment can be searched");
      } else if (!definitions->is_resource_type(ctype)) {
        r = error(404, "not-found", "Unknown resource type '" + ctype + "'");
      } else {
        r = search(req, {ctype}, smart, std::make_pair(type, id));
      }
      break;
    }
    case Interaction::Bundle: r = bundle(req); break;
    case Interaction::Patch: r = patch(req, type, id, smart); break;
    case Interaction::Conditional: r = conditional(req, type, smart); break;
    case Interaction::Operation:
      if (seg.back() == "$reindex" && (seg.size() == 1 || seg.size() == 3)) {
        r = reindex(req, type, id);
      } else if (seg.back() == "$everything" && type == "Patient" && seg.size() <= 3) {
        r = everything(req, id, smart);
      } else if (seg.back() == "$validate" && (seg.size() == 2 || seg.size() == 3)) {
        r = validate_operation(req, type, id);
      } else if (seg.size() == 3 && (seg.back() == "$meta" || seg.back() == "$meta-add" ||
                                     seg.back() == "$meta-delete" || seg.back() == "$purge-history")) {
        r = meta_operation(req, type, id, seg.back());
      } else if (seg.size() <= 2 && seg.back() == "$meta") {
        r = meta_in_use(req, type, smart);
      } else {
        r = error(501, "not-supported", "Operation " + seg.back() + " is not supported yet");
      }
      break;
  }
  return labelled(std::move(r), route.name);
}

}  // namespace healthd::fhir
