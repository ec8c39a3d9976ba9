// The MedTech service pipeline against an in-memory FHIR service (FhirCall): message splitting,
// identity resolution (Create / Lookup), Observation create / merge / no-op, dead letters.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "medtech/batch_processor.h"
#include "medtech/message_split.h"

namespace healthd::medtech {
namespace {

std::string testdata(const std::string& rel) {
  std::ifstream in(std::string(HEALTHD_SOURCE_DIR) + "/../shared/testdata/medtech/" + rel);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// A FHIR service that keeps resources in a map: read, PUT (If-Match checked), search by identifier
// or _id, transaction Bundles of PUTs (ifMatch checked, all or nothing).
struct FakeFhir {
  std::map<std::string, std::pair<int, std::string>> resources;  // "Type/id" -> (version, body)
  int puts = 0, transactions = 0;
  bool available = true;
  bool refuse_transactions = false;  // answer 400, as for an entry that does not validate
  int concurrent_writes = 0;         // transactions preceded by another writer's update

  std::optional<Response> operator()(const std::string&, Request& req) {
    if (!available) return std::nullopt;
    Response r;
    if (req.segments.empty()) return transaction(req.body);
    if (req.segments.size() == 1 && req.param("_id")) return search_ids(req.segments[0], std::string(*req.param("_id")));
    if (req.segments.size() == 1) return search_identifier(req.segments[0], std::string(req.param("identifier").value_or("")));
    const std::string key = req.segments[0] + "/" + req.segments[1];
    auto it = resources.find(key);
    if (req.method == "GET") {
      if (it == resources.end()) r.status = 404;
      else {
        r.body = it->second.second;
        r.headers.set("ETag", "W/\"" + std::to_string(it->second.first) + "\"");
      }
      return r;
    }
    int version = it == resources.end() ? 0 : it->second.first;
    if (auto m = req.headers.get("If-Match"); m && *m != "W/\"" + std::to_string(version) + "\"") {
      r.status = 412;
      return r;
    }
    ++puts;
    resources[key] = {version + 1, req.body};
    r.status = version ? 200 : 201;
    return r;
  }

  Response transaction(const std::string& body) {
    Response r;
    ++transactions;
    if (refuse_transactions) {
      r.status = 400;
      return r;
    }
    json::Document bundle;
    EXPECT_TRUE(json::parse(body, bundle));
    if (concurrent_writes > 0) {
      --concurrent_writes;
      for (auto& [key, v] : resources) ++v.first;
    }
    for (const auto& e : bundle["entry"].GetArray()) {
      auto it = resources.find(std::string(*json::get_string(e["request"], "url")));
      std::string version = "W/\"" + std::to_string(it == resources.end() ? 0 : it->second.first) + "\"";
      if (auto m = json::get_string(e["request"], "ifMatch"); m && *m != version) {
        r.status = 412;
        return r;
      }
    }
    for (const auto& e : bundle["entry"].GetArray()) {
      auto& stored = resources[std::string(*json::get_string(e["request"], "url"))];
      stored = {stored.first + 1, json::to_string(e["resource"])};
      ++puts;
    }
    r.body = R"({"resourceType":"Bundle","type":"transaction-response"})";
    return r;
  }

  // GET {type}?_id=a,b: a searchset Bundle of those that exist, with meta.versionId.
  Response search_ids(const std::string& type, const std::string& ids) {
    std::string entries;
    std::stringstream list(ids);
    for (std::string id; std::getline(list, id, ',');) {
      auto it = resources.find(type + "/" + id);
      if (it == resources.end()) continue;
      json::Document d;
      json::parse(it->second.second, d);
      json::Value meta(rapidjson::kObjectType);
      meta.AddMember("versionId", json::str(std::to_string(it->second.first), d.GetAllocator()), d.GetAllocator());
      d.RemoveMember("meta");
      d.AddMember("meta", meta, d.GetAllocator());
      entries += std::string(entries.empty() ? "" : ",") + R"({"resource":)" + json::to_string(d) + "}";
    }
    Response r;
    r.body = R"({"resourceType":"Bundle","type":"searchset","entry":[)" + entries + "]}";
    return r;
  }

  // GET {type}?identifier={value}: a searchset Bundle of the resources with an identifier of that value.
  Response search_identifier(const std::string& type, const std::string& value) {
    std::string entries;
    for (const auto& [key, v] : resources) {
      if (!key.starts_with(type + "/")) continue;
      json::Document d;
      if (!json::parse(v.second, d)) continue;
      const json::Value* ids = json::get_member(d, "identifier");
      bool match = false;
      if (ids && ids->IsArray())
        for (const auto& i : ids->GetArray()) match = match || json::get_string(i, "value") == value;
      if (match) entries += std::string(entries.empty() ? "" : ",") + R"({"resource":)" + v.second + R"(,"search":{"mode":"match"}})";
    }
    Response r;
    r.body = R"({"resourceType":"Bundle","type":"searchset","entry":[)" + entries + "]}";
    return r;
  }
};

ConnectorSettings settings(ResolutionType resolution) {
  ConnectorSettings s;
  s.device_mapping = testdata("templates/basic_devicecontent.json");
  s.destinations["default"] = {resolution, "default", testdata("templates/basic_fhirmapping.json")};
  return s;
}

QueuedMessage message(int64_t seq, const std::string& payload) { return {seq, 1700000000000000, payload}; }

TEST(MessageSplit, JsonArrayAndNdjson) {
  std::vector<std::string> out;
  std::string why;
  ASSERT_TRUE(split_messages(R"({"a":1})", out, why));
  EXPECT_EQ(out, std::vector<std::string>{R"({"a":1})"});
  out.clear();
  ASSERT_TRUE(split_messages(R"([{"a":1}, {"a":2}])", out, why));
  EXPECT_EQ(out.size(), 2u);
  out.clear();
  ASSERT_TRUE(split_messages("{\"a\":1}\n\n{\"a\":2}\n", out, why));
  EXPECT_EQ(out.size(), 2u);
  out.clear();
  EXPECT_FALSE(split_messages("{\"a\":1}\n{oops", out, why));
  EXPECT_NE(why.find("line 2"), std::string::npos) << why;
  EXPECT_FALSE(split_messages("  ", out, why));
  EXPECT_FALSE(split_messages("[]", out, why));
}

TEST(BatchProcessor, CreatesPatientDeviceAndObservationThenMergesAndSkipsNoOps) {
  FakeFhir fhir;
  ConnectorMetrics metrics("unit/create");
  BatchProcessor p(load_settings(settings(ResolutionType::Create), 1), std::ref(fhir), metrics);
  const std::string hr = testdata("readme-messages/heartrate.json");
  auto dead = p.process({message(1, hr)});
  EXPECT_TRUE(dead.empty());
  const std::string patient = "Patient/" + identity_resource_id("Patient", "patient1");
  const std::string device = "Device/" + identity_resource_id("Device", "device1");
  ASSERT_TRUE(fhir.resources.count(patient));
  ASSERT_TRUE(fhir.resources.count(device));
  EXPECT_NE(fhir.resources[device].second.find(patient), std::string::npos);
  int observations = 0;
  for (const auto& [key, v] : fhir.resources) observations += key.starts_with("Observation/");
  EXPECT_EQ(observations, 1);
  // The same message again: nothing changes, nothing is written.
  int puts = fhir.puts;
  EXPECT_TRUE(p.process({message(2, hr)}).empty());
  EXPECT_EQ(fhir.puts, puts);
  // Another value in the same hour: merged (status amended), a new version.
  std::string later = hr;
  later.replace(later.find("19:18:23"), 8, "19:18:24");
  EXPECT_TRUE(p.process({message(3, later)}).empty());
  EXPECT_EQ(fhir.puts, puts + 1);
  for (const auto& [key, v] : fhir.resources)
    if (key.starts_with("Observation/")) {
      EXPECT_EQ(v.first, 2);
      EXPECT_NE(v.second.find("\"amended\""), std::string::npos);
    }
}

TEST(BatchProcessor, OneSearchAndOneTransactionPerBatch) {
  FakeFhir fhir;
  ConnectorMetrics metrics("unit/batch");
  BatchProcessor p(load_settings(settings(ResolutionType::Create), 1), std::ref(fhir), metrics);
  const std::string hr = testdata("readme-messages/heartrate.json");
  std::string next_hour = hr;
  next_hour.replace(next_hour.find("19:18:23"), 8, "20:18:23");
  std::string steps = testdata("readme-messages/steps.json");
  EXPECT_TRUE(p.process({message(1, hr), message(2, next_hour), message(3, steps)}).empty());
  int observations = 0;
  for (const auto& [key, v] : fhir.resources) observations += key.starts_with("Observation/");
  EXPECT_EQ(observations, 3);
  EXPECT_EQ(fhir.transactions, 1);
}

TEST(BatchProcessor, AConflictRetriesFromTheSearch) {
  FakeFhir fhir;
  ConnectorMetrics metrics("unit/conflict");
  BatchProcessor p(load_settings(settings(ResolutionType::Create), 1), std::ref(fhir), metrics);
  const std::string hr = testdata("readme-messages/heartrate.json");
  EXPECT_TRUE(p.process({message(1, hr)}).empty());
  std::string later = hr;
  later.replace(later.find("19:18:23"), 8, "19:18:24");
  fhir.concurrent_writes = 1;  // the merged Observation changes under the first transaction
  EXPECT_TRUE(p.process({message(2, later)}).empty());
  EXPECT_EQ(fhir.transactions, 3);  // create; refused merge (412); merge again
  for (const auto& [key, v] : fhir.resources)
    if (key.starts_with("Observation/")) {
      EXPECT_EQ(v.first, 3);  // created, changed by the other writer, merged
      EXPECT_NE(v.second.find("\"amended\""), std::string::npos);
    }
}

TEST(BatchProcessor, ARefusedTransactionIsRedoneWindowByWindow) {
  FakeFhir fhir;
  fhir.refuse_transactions = true;
  ConnectorMetrics metrics("unit/refused");
  BatchProcessor p(load_settings(settings(ResolutionType::Create), 1), std::ref(fhir), metrics);
  EXPECT_TRUE(p.process({message(1, testdata("readme-messages/heartrate.json"))}).empty());
  int observations = 0;
  for (const auto& [key, v] : fhir.resources) observations += key.starts_with("Observation/");
  EXPECT_EQ(observations, 1);  // written by PUT Observation/{id}
  EXPECT_EQ(fhir.transactions, 1);
}

TEST(BatchProcessor, ProblemsBecomeDeadLettersWithStageKindAndPayload) {
  FakeFhir fhir;
  ConnectorMetrics metrics("unit/dead");
  BatchProcessor p(load_settings(settings(ResolutionType::Lookup), 1), std::ref(fhir), metrics);
  const std::string hr = testdata("readme-messages/heartrate.json");
  auto dead = p.process({message(1, "{not json"), message(2, R"({"temperature": 37})"), message(3, hr)});
  ASSERT_EQ(dead.size(), 3u);
  EXPECT_EQ(dead[0].stage, "ingest");
  EXPECT_EQ(dead[0].kind, "InvalidFormat");
  EXPECT_EQ(dead[1].stage, "normalize");
  EXPECT_EQ(dead[1].kind, "NoTemplateMatched");
  EXPECT_EQ(dead[2].stage, "identity");
  EXPECT_EQ(dead[2].kind, "DeviceNotFound");  // Lookup: no Device with that identifier
  EXPECT_EQ(dead[2].payload, hr);
  EXPECT_EQ(fhir.puts, 0);
}

TEST(BatchProcessor, LookupFindsTheDeviceAndItsPatient) {
  FakeFhir fhir;
  const std::string device_id = identity_resource_id("Device", "device1");
  fhir.resources["Device/" + device_id] = {
      1, R"({"resourceType":"Device","id":")" + device_id +
             R"(","identifier":[{"value":"device1"}],"patient":{"reference":"Patient/p9"}})"};
  ConnectorMetrics metrics("unit/lookup");
  BatchProcessor p(load_settings(settings(ResolutionType::Lookup), 1), std::ref(fhir), metrics);
  EXPECT_TRUE(p.process({message(1, testdata("readme-messages/steps.json"))}).empty());
  bool found = false;
  for (const auto& [key, v] : fhir.resources)
    if (key.starts_with("Observation/")) found = v.second.find("Patient/p9") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST(BatchProcessor, AMissingFhirServiceIsTransient) {
  FakeFhir fhir;
  fhir.available = false;
  ConnectorMetrics metrics("unit/transient");
  BatchProcessor p(load_settings(settings(ResolutionType::Create), 1), std::ref(fhir), metrics);
  EXPECT_THROW(p.process({message(1, testdata("readme-messages/heartrate.json"))}), TransientError);
}

}  // namespace
}  // namespace healthd::medtech
