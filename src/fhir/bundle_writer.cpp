#include "fhir/bundle_writer.h"

namespace healthd::fhir::bundle {

void key(Writer& w, std::string_view k) { w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
void string(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void link(Writer& w, const char* relation, const std::string& url) {
  w.StartObject();
  key(w, "relation");
  string(w, relation);
  key(w, "url");
  string(w, url);
  w.EndObject();
}

void begin(Writer& w, const char* type, std::optional<int64_t> total) {
  w.StartObject();
  key(w, "resourceType");
  string(w, "Bundle");
  key(w, "type");
  string(w, type);
  if (total) {
    key(w, "total");
    w.Int64(*total);
  }
}

void outcome_entry(Writer& w, const std::vector<Issue>& warnings) {
  if (warnings.empty()) return;
  w.StartObject();
  key(w, "resource");
  std::string oo = operation_outcome_json(warnings);
  w.RawValue(oo.data(), oo.size(), rapidjson::kObjectType);
  key(w, "search");
  w.StartObject();
  key(w, "mode");
  string(w, "outcome");
  w.EndObject();
  w.EndObject();
}

}  // namespace healthd::fhir::bundle
