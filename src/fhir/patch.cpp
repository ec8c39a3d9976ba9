// PATCH [base]/[type]/[id] with a JSON Patch (RFC 6902) body or a FHIRPath Patch (a Parameters
// resource sent as application/fhir+json): apply it to the current version, validate the result like
// any write and store it as a new version (optimistic, like update).
#include <cctype>

#include "common/time.h"
#include "fhir/fhirpath_patch.h"
#include "fhir/json_patch.h"
#include "fhir/resource_body.h"
#include "fhir/service_impl.h"
#include "fhir/smart_access.h"

namespace healthd::fhir {

namespace {

// Media type without parameters, lower case: "application/json-patch+json".
std::string media_type(std::string_view v) {
  if (auto semi = v.find(';'); semi != std::string_view::npos) v = v.substr(0, semi);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  std::string out(v);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

enum class PatchKind { Json, FhirPath };

// The kind of patch the Content-Type announces; else the 415 answer.
std::optional<Response> check_patch_content_type(const Request& req, PatchKind& kind) {
  auto ct = req.headers.get("Content-Type");
  std::string mt = ct ? media_type(*ct) : std::string();
  kind = PatchKind::Json;
  if (mt == "application/json-patch+json") return std::nullopt;
  kind = PatchKind::FhirPath;
  if (mt == "application/fhir+json" || mt == "application/json+fhir") return std::nullopt;
  if (mt.empty())
    return error(415, "not-supported",
                 "PATCH needs a Content-Type: send a JSON Patch document as application/json-patch+json or a "
                 "FHIRPath Patch (Parameters) as application/fhir+json");
  return error(415, "not-supported",
               "Unsupported Content-Type '" + std::string(*ct) + "' for PATCH; send a JSON Patch document as "
               "application/json-patch+json or a FHIRPath Patch (Parameters) as application/fhir+json");
}

// The server owns meta.versionId and meta.lastUpdated: whatever the patch did to them is dropped
// before validation and stamp_resource sets them again.
void drop_server_meta(json::Document& doc) {
  auto it = doc.FindMember("meta");
  if (it == doc.MemberEnd() || !it->value.IsObject()) return;
  it->value.RemoveMember("versionId");
  it->value.RemoveMember("lastUpdated");
  if (it->value.MemberCount() == 0) doc.EraseMember(it);
}

}  // namespace

Response FhirService::Impl::patch(Request& req, const std::string& type, const std::string& id,
                                  const SmartAccess& smart) {
  PatchKind kind = PatchKind::Json;
  if (auto bad = check_patch_content_type(req, kind)) return *bad;
  const bool fhirpath = kind == PatchKind::FhirPath;
  const char* what = fhirpath ? "FHIRPath Patch" : "JSON Patch";

  IfMatch im = read_if_match(req);
  if (im.bad) return *im.bad;
  if (req.body.size() > settings.max_resource_bytes)
    return error(413, "too-costly",
                 "Patch document of " + std::to_string(req.body.size()) + " bytes exceeds the limit of " +
                     std::to_string(settings.max_resource_bytes) + " bytes");
  if (req.body.empty())
    return error(400, "invalid", std::string("The request has no body; a ") +
                                     (fhirpath ? "FHIRPath Patch (Parameters)" : "JSON Patch document") + " was expected");
  json::Document patch_doc;
  std::string why;
  if (!json::parse(req.body, patch_doc, &why))
    return error(400, "structure", std::string("The ") + what + " document is not valid JSON: " + why);
  return write_with_retries(req, type, id, [&] {
    return prepare_patch(req, type, id, patch_doc, fhirpath, im.version, smart);
  });
}

PreparedWrite FhirService::Impl::prepare_patch(const Request& req, const std::string& type, const std::string& id,
                                               const json::Value& patch_doc, bool fhirpath,
                                               std::optional<int64_t> if_match, const SmartAccess& smart) {
  PreparedWrite p;
  p.if_match = if_match.has_value();
  auto fail = [&p](Response r) {
    p.answer = std::move(r);
    return std::move(p);
  };
  Versioning policy = settings.versioning_for(type);
  if (policy == Versioning::VersionUpdate && !if_match)
    return fail(error(412, "business-rule",
                      "The versioning policy of " + type + " is version-update: a patch must carry If-Match"));
  if (fhirpath) {
    if (auto bad = check_fhirpath_patch(patch_doc)) return fail(error(400, "invalid", "Invalid FHIRPath Patch: " + bad->message));
  } else if (auto bad = check_json_patch(patch_doc)) {
    return fail(error(400, "invalid", "Invalid JSON Patch document: " + bad->message));
  }

  // Under SMART scopes the patched resource must stay within their reach (route()'s gate checked
  // the current version before we got here).
  auto cur = store->current(type, id);
  if (!cur) return fail(error(404, "not-found", "Resource " + type + "/" + id + " is not known"));
  if (cur->deleted()) {
    Response r = error(410, "deleted", "Resource " + type + "/" + id + " was deleted");
    r.headers.set("ETag", etag_for(cur->version));
    return fail(std::move(r));
  }
  if (if_match && *if_match != cur->version)
    return fail(error(412, "conflict",
                      "If-Match " + etag_for(*if_match) + " does not match the current version " +
                          etag_for(cur->version) + " of " + type + "/" + id));

  // Apply the patch to the current version (again on each retry: the patch is relative to it).
  json::Document doc;
  std::string why;
  if (!json::parse(cur->json, doc, &why) || !doc.IsObject())
    return fail(error(500, "exception", "The stored " + type + "/" + id + " is not a JSON object: " + why));
  if (fhirpath) {
    if (auto failed = apply_fhirpath_patch(doc, patch_doc, definitions.get())) {
      if (failed->kind == FhirPathPatchError::Kind::Malformed)
        return fail(error(400, "invalid", "Invalid FHIRPath Patch: " + failed->message));
      return fail(error(422, "processing", "The FHIRPath Patch could not be applied to " + type + "/" + id +
                                               " version " + std::to_string(cur->version) + ": " + failed->message));
    }
  } else if (auto failed = apply_json_patch(doc, patch_doc)) {
    if (failed->kind == JsonPatchError::Kind::Malformed)
      return fail(error(400, "invalid", "Invalid JSON Patch document: " + failed->message));
    return fail(error(422, "processing", "The JSON Patch could not be applied to " + type + "/" + id + " version " +
                                             std::to_string(cur->version) + ": " + failed->message));
  }

  // What the patch may not change.
  if (!doc.IsObject()) return fail(error(400, "invalid", "The patched " + type + " is not a JSON object"));
  auto rt = json::get_string(doc, "resourceType");
  if (!rt || *rt != type)
    return fail(error(400, "invalid", "A patch may not change or remove resourceType ('" + type + "')", "resourceType"));
  auto body_id = json::get_string(doc, "id");
  if (!body_id || *body_id != id)
    return fail(error(400, "invalid", "A patch may not change or remove the id ('" + id + "')", type + ".id"));
  drop_server_meta(doc);

  // Validate like any write.
  std::vector<Issue> issues = validator.validate(doc);
  if (has_errors(issues)) {
    for (auto& is : issues) is.diagnostics = "The patched resource is invalid: " + is.diagnostics;
    return fail(outcome_response(400, issues));
  }
  if (auto bad = profile_validation_failure(req, doc)) return fail(std::move(*bad));
  if (smart.needs_resource_check() && !smart.permits(doc, auth::Interaction::Update))
    return fail(SmartAccess::outside_compartment("The patched " + type + "/" + id));

  StoredVersion& v = p.version;
  v.type = type;
  v.id = id;
  v.version = cur->version + 1;
  v.last_updated_us = next_last_updated(cur);
  v.kind = StoredVersion::Kind::Update;
  std::vector<IndexRow> index = index_rows(type, doc, req.base_url);  // before stamping (it moves)
  v.json = stamp_resource(doc, id, v.version, v.last_updated_us);
  if (v.json.size() > settings.max_resource_bytes)
    return fail(error(413, "too-costly",
                      "The patched resource of " + std::to_string(v.json.size()) + " bytes exceeds the limit of " +
                          std::to_string(settings.max_resource_bytes) + " bytes"));
  p.status = 200;
  WriteOp& op = p.ops.emplace_back(write_op_for(v, WriteOp::Kind::Update, policy != Versioning::NoVersion));
  op.index = std::move(index);
  return p;
}

}  // namespace healthd::fhir
