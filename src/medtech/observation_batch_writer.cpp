#include "medtech/observation_batch_writer.h"

#include <set>

namespace healthd::medtech {

namespace {

constexpr int kMaxAttempts = 8;

// One PUT entry of the transaction Bundle, as JSON text.
std::string put_entry(const std::string& id, const std::string& resource, const std::string& if_match) {
  std::string e = R"({"resource":)" + resource +
                  R"(,"request":{"method":"PUT","url":"Observation/)" + id + '"';
  if (!if_match.empty()) {
    json::Document tag;
    tag.SetString(if_match.data(), rapidjson::SizeType(if_match.size()), tag.GetAllocator());
    e += R"(,"ifMatch":)" + json::to_string(tag);
  }
  return e + "}}";
}

}  // namespace

std::vector<SaveResult> save_observations(FhirClient& client, const std::vector<ObservationToSave>& items,
                                          const ObservationOptions& options) {
  std::vector<SaveResult> results(items.size());
  std::vector<std::optional<BuiltObservation>> built(items.size());
  std::vector<size_t> batched, alone;  // alone: a second window with an id already in the batch
  std::set<std::string> ids_in_batch;
  std::vector<PipelineError> errors;
  for (size_t i = 0; i < items.size(); ++i) {
    errors.clear();
    built[i] = build_observation(*items[i].t, *items[i].window, *items[i].ids, options, errors);
    if (!built[i]) {
      results[i] = {SaveOutcome::Failed, {}, errors.empty() ? "InvalidResource" : errors.front().kind,
                    errors.empty() ? "the Observation could not be built" : errors.front().message};
      continue;
    }
    (ids_in_batch.insert(built[i]->id).second ? batched : alone).push_back(i);
  }

  for (int attempt = 0; !batched.empty(); ++attempt) {
    if (attempt == kMaxAttempts) throw TransientError("Observations of the batch kept changing concurrently");
    std::vector<std::string> ids;
    for (size_t i : batched) ids.push_back(built[i]->id);
    auto existing = client.read_many("Observation", ids);

    std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
    std::vector<size_t> written;
    for (size_t i : batched) {
      const ObservationToSave& item = items[i];
      const std::string& id = built[i]->id;
      auto found = existing.find(id);
      std::string entry;
      if (found == existing.end()) {
        entry = put_entry(id, json::to_string(built[i]->resource), "");
        results[i] = {SaveOutcome::Created, id, {}, {}};
      } else {
        errors.clear();
        if (!merge_observation(*item.t, *item.window, found->second.resource, options, errors)) {
          results[i] = errors.empty() ? SaveResult{SaveOutcome::NoOp, id, {}, {}}
                                      : SaveResult{SaveOutcome::Failed, id, errors.front().kind, errors.front().message};
          continue;
        }
        entry = put_entry(id, json::to_string(found->second.resource), found->second.etag);
        results[i] = {SaveOutcome::Updated, id, {}, {}};
      }
      bundle += (written.empty() ? "" : ",") + entry;
      written.push_back(i);
    }
    if (written.empty()) break;
    std::string answer;
    int status = client.transaction(bundle + "]}", &answer);
    if (status == 200) break;
    if (status == 409 || status == 412) continue;
    // An entry the service refuses: find it window by window.
    alone.insert(alone.end(), written.begin(), written.end());
    break;
  }
  for (size_t i : alone) results[i] = save_observation(client, *items[i].t, *items[i].window, *items[i].ids, options);
  return results;
}

}  // namespace healthd::medtech
