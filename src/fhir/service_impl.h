// Internals of FhirService shared by its interaction files (not a public header).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/outcome.h"
#include "common/request.h"
#include "auth/compartment.h"
#include "fhir/conformance.h"
#include "fhir/definitions.h"
#include "fhir/index_plan.h"
#include "fhir/reindex.h"
#include "fhir/routes.h"
#include "fhir/search_request.h"
#include "fhir/service.h"
#include "fhir/service_search_params.h"
#include "fhir/settings.h"
#include "fhir/store.h"
#include "fhir/validator.h"
#include "json/json.h"

namespace healthd::search {
class SearchParameterRegistry;
class Terminology;
struct SearchParam;
}

namespace healthd::fhir {

class SmartAccess;

enum class ReturnPref { Representation, Minimal, OperationOutcome };

// One write made ready for the store, shared by the single interactions and the entries of a
// transaction or batch: the ops to commit and the answer once they commit; or, when nothing is to
// be written (an error, a conditional create that matched, deleting what is already gone), the
// answer alone.
struct PreparedWrite {
  std::optional<Response> answer;  // set: nothing to commit, this is the answer
  std::vector<WriteOp> ops;
  StoredVersion version;  // what the ops make current; a delete: the marker (json empty)
  int status = 200;       // once committed: 200, 201 or 204
  bool if_match = false;  // the client named the version: a lost race is a 412, not a retry

  // The answer once the ops committed (resource, ETag, Last-Modified, Location).
  Response committed(const Request& req, ReturnPref pref) const;
};

// Keeps a history entry when true (SMART confinement of type/system history).
using HistoryFilter = std::function<bool(const StoredVersion&)>;

struct FhirService::Impl {
  std::string name;
  ServiceSettings settings;
  std::shared_ptr<const Definitions> definitions;
  Validator validator;
  std::shared_ptr<const auth::PatientCompartment> compartment;  // for SMART patient/ scopes
  // The R4 and custom search parameters; take current() once per request and keep it.
  ServiceSearchParams search_params;
  IndexPlans index_plans;  // the parameters each write of a type extracts (index_rows)
  // The store, with SearchParameter writes going through search_params.
  std::shared_ptr<Store> store;
  // false until the index is known to be written with this build's string normalization
  // (index_upkeep starts the $reindex that makes it so at the first request).
  std::atomic<bool> index_current{true};
  std::shared_ptr<const search::Terminology> terminology;  // token :in/:not-in/:above/:below (may be null)
  // validate_op.cpp: full validation ($validate, opt-in on writes) and the stored profiles.
  std::shared_ptr<ProfileCache> profiles;
  std::shared_ptr<const Conformance> conformance;

  // CapabilityStatement text per base URL (it names the base URL).
  std::mutex capability_mu;
  std::unordered_map<std::string, std::string> capability_by_base;
  std::string smart_configuration_json;  // set once at wiring time
  // Last member: destroyed first, so its thread stops before what it uses goes away.
  std::unique_ptr<ReindexJob> reindex_job = std::make_unique<ReindexJob>();

  Impl(std::string n, ServiceSettings s, std::shared_ptr<Store> st, std::shared_ptr<const Definitions> d,
       std::shared_ptr<const auth::PatientCompartment> c, std::shared_ptr<const search::SearchParameterRegistry> sp)
      : name(std::move(n)),
        settings(std::move(s)),
        definitions(std::move(d)),
        validator(definitions),
        compartment(std::move(c)),
        search_params(std::move(sp), definitions),
        store(with_search_parameter_hook(std::move(st), search_params)) {
    init_validation();
  }

  Response route(Request& req);

  // The write interactions as store ops (crud.cpp, patch.cpp). `doc` is a parsed, validated
  // resource (its members are moved into the stored JSON). `id` empty: a server-assigned id. `unless`: conditional create.
  PreparedWrite prepare_create(const Request& req, const std::string& type, json::Value& doc, json::Allocator& alloc,
                               std::shared_ptr<const SearchQuery> unless = nullptr, std::string id = {});
  PreparedWrite prepare_update(const Request& req, const std::string& type, const std::string& id,
                               json::Value& doc, json::Allocator& alloc, std::optional<int64_t> if_match);
  PreparedWrite prepare_delete(const std::string& type, const std::string& id, std::optional<int64_t> if_match,
                               bool hard_delete);
  PreparedWrite prepare_patch(const Request& req, const std::string& type, const std::string& id,
                              const json::Value& patch_doc, bool fhirpath, std::optional<int64_t> if_match,
                              const SmartAccess& smart);
  // Commits what `prepare` makes, preparing again when a concurrent writer won (optimistic).
  Response write_with_retries(const Request& req, const std::string& type, const std::string& id,
                              const std::function<PreparedWrite()>& prepare);
  // If-None-Exist: the search of a conditional create. Sets `match` when exactly one resource
  // matches, else `unless` (the query the store checks again at commit); or returns the error
  // answer (malformed condition 400, several matches 412).
  std::optional<Response> if_none_exist(const Request& req, const std::string& type, std::string_view condition,
                                        std::optional<StoredVersion>& match, std::shared_ptr<const SearchQuery>& unless);
  // POST [base] with a Bundle of type batch or transaction (bundle.cpp, transaction.cpp).
  Response bundle(Request& req);
  Response batch(Request& req, json::Document& doc);
  Response transaction(Request& req, json::Document& doc);

  // Interactions (crud.cpp, history.cpp, capability.cpp).
  Response create(Request& req, const std::string& type);
  Response read(Request& req, const std::string& type, const std::string& id);
  Response vread(Request& req, const std::string& type, const std::string& id, const std::string& vid);
  Response update(Request& req, const std::string& type, const std::string& id);
  // patch.cpp (JSON Patch, FHIRPath Patch); `smart` is the request's SMART confinement from route().
  Response patch(Request& req, const std::string& type, const std::string& id, const SmartAccess& smart);
  Response remove(Request& req, const std::string& type, const std::string& id);
  // search.cpp: what parsing a search needs from this service, for this request; strict: unknown
  // parameters are a 400 (conditions), else as Prefer: handling asks.
  SearchContext search_context(const Request& req, bool strict) const;
  // conditional.cpp: PUT/DELETE/PATCH [type]?<search>.
  Response conditional(Request& req, const std::string& type, const SmartAccess& smart);
  Response history(Request& req, const std::string& type, const std::string& id, HistoryFilter filter = {});
  // search.cpp: search over one type (types = {type}) or all/_type (types empty), optionally in
  // a compartment ({"Patient", id}); and the index rows of a version about to be written (none
  // without a SearchParameter registry).
  Response search(Request& req, const std::vector<std::string>& types, const SmartAccess& smart,
                  const std::optional<std::pair<std::string, std::string>>& in_compartment = std::nullopt);
  // The clause "in Patient/patient_id's compartment" for type; nullopt when the type is not in it.
  std::optional<SearchClause> compartment_clause(const std::string& type, const std::string& patient_id) const;
  // everything.cpp: Patient/[id]/$everything (patient_id set) and Patient/$everything.
  Response everything(Request& req, const std::string& patient_id, const SmartAccess& smart);
  std::vector<IndexRow> index_rows(const std::string& type, const json::Value& resource,
                                   const std::string& base_url) const;
  std::optional<Response> smart_gate(const SmartAccess& smart, Interaction interaction, const std::string& type,
                                     const std::string& id, const Request& req);
  HistoryFilter smart_history_filter(const SmartAccess& smart);
  // meta_ops.cpp: [type]/[id]/$meta, $meta-add, $meta-delete, $purge-history.
  Response meta_operation(Request& req, const std::string& type, const std::string& id, const std::string& op);
  // [type]/$meta and [base]/$meta (type empty): the profiles, tags and security labels in use.
  Response meta_in_use(Request& req, const std::string& type, const SmartAccess& smart);
  // reindex.cpp: [base]/$reindex (type empty: the job) and [type]/[id]/$reindex; at open, the
  // custom search parameters and the job; at the first request, the reindex a new string
  // normalization needs.
  Response reindex(Request& req, const std::string& type, const std::string& id);
  ReindexJob::IndexFn index_function(const std::string& base_url) const;
  void open_index();
  void index_upkeep(const Request& req);
  Response capabilities(Request& req);
  // validate_op.cpp: [type]/$validate, [type]/[id]/$validate; the profile cache and the store
  // wrapper that clears it on StructureDefinition writes; opt-in validation of a write (setting
  // profile_validation or header x-ms-profile-validation): the 400 answer when it has errors.
  Response validate_operation(Request& req, const std::string& type, const std::string& id);
  void init_validation();
  bool wants_profile_validation(const Request& req) const;
  std::optional<Response> profile_validation_failure(const Request& req, const json::Value& resource) const;
  Response smart_configuration(Request& req);
};


// ---- representation.cpp: how resources and errors go on the wire ----

// 406 when the client asks for a format other than JSON (_format or Accept), else nullopt.
std::optional<Response> check_accept(const Request& req);
// 415 when the request body is not FHIR JSON, else nullopt.
std::optional<Response> check_content_type(const Request& req);

ReturnPref return_preference(const Request& req);

// A resource response: status, body (pretty when _pretty=true), ETag, Last-Modified, Location.
Response resource_response(const Request& req, int status, const StoredVersion& v, bool with_location,
                           ReturnPref pref = ReturnPref::Representation);
// application/fhir+json body, pretty-printed when asked.
void set_json_body(const Request& req, Response& resp, std::string body);

std::string etag_for(int64_t version);
// Parses W/"3", "3" or 3 into 3; nullopt when malformed.
std::optional<int64_t> parse_etag(std::string_view value);

// ---- shared by the write interactions (crud.cpp, patch.cpp) ----

constexpr int kMaxWriteAttempts = 16;  // optimistic retries when concurrent writers race on one resource
Response conflict_exhausted(const std::string& type, const std::string& id);  // 409 after kMaxWriteAttempts
Response store_failure(const CommitResult& r);  // 500: the store could not commit (400 for Status::Invalid)

// If-Match, when present: the version it names, or a 400 answer for a malformed one.
struct IfMatch {
  std::optional<int64_t> version;
  std::optional<Response> bad;
};
IfMatch read_if_match(const Request& req);

// lastUpdated of the next version: now, but never at or before the current version's.
int64_t next_last_updated(const std::optional<StoredVersion>& current);

// The store op that writes `v` (type, id, version, lastUpdated, body).
WriteOp write_op_for(const StoredVersion& v, WriteOp::Kind kind, bool keep_history = true);

// Whether validation found anything that stops a write (severity error or fatal).
bool has_errors(const std::vector<Issue>& issues);

// Builds an error response with the given route label.
Response error(int status, const char* code, std::string diagnostics, std::string expression = {});

}  // namespace healthd::fhir
