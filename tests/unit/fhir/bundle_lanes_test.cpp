#include "fhir/bundle_lanes.h"

#include <gtest/gtest.h>

namespace healthd::fhir {
namespace {

const Definitions& defs() {
  static std::shared_ptr<const Definitions> d = Definitions::load(HEALTHD_DEFINITIONS_DIR);
  return *d;
}

// The lanes of a batch whose entries are given as JSON (an array of Bundle entries).
std::vector<std::vector<size_t>> lanes_of(std::string_view entries_json) {
  json::Document doc;
  EXPECT_TRUE(json::parse(entries_json, doc)) << entries_json;
  std::vector<BundleEntry> entries(doc.Size());
  std::vector<const BundleEntry*> readable(doc.Size(), nullptr);
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i)
    if (!read_entry(doc[i], i, "http://h/fhir", entries[i])) readable[i] = &entries[i];
  return batch_lanes(readable, defs());
}

using Lanes = std::vector<std::vector<size_t>>;

TEST(BundleLanes, PlainCreatesAndReadsOfDifferentResourcesRunApart) {
  EXPECT_EQ(lanes_of(R"([
      {"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}},
      {"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}},
      {"request": {"method": "GET", "url": "Patient/a"}},
      {"request": {"method": "GET", "url": "Patient/a"}},
      {"resource": {"resourceType": "Patient", "id": "b"}, "request": {"method": "PUT", "url": "Patient/b"}}])"),
            (Lanes{{0}, {1}, {2}, {3}, {4}}));
}

TEST(BundleLanes, EntriesOnOneInstanceKeepTheirOrderWhenOneWrites) {
  EXPECT_EQ(lanes_of(R"([
      {"request": {"method": "GET", "url": "Patient/a"}},
      {"resource": {"resourceType": "Observation"}, "request": {"method": "POST", "url": "Observation"}},
      {"resource": {"resourceType": "Patient", "id": "a"}, "request": {"method": "PUT", "url": "Patient/a"}},
      {"request": {"method": "GET", "url": "Patient/a/_history/1"}},
      {"request": {"method": "DELETE", "url": "Patient/a"}}])"),
            (Lanes{{0, 2, 3, 4}, {1}}));
}

TEST(BundleLanes, ConditionsAndSearchesOnATypeShareItsLaneWithItsWrites) {
  EXPECT_EQ(lanes_of(R"([
      {"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient", "ifNoneExist": "identifier=x|1"}},
      {"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}},
      {"request": {"method": "GET", "url": "Patient?name=x"}},
      {"request": {"method": "GET", "url": "Observation?code=x"}},
      {"request": {"method": "GET", "url": "Observation/o1"}},
      {"request": {"method": "DELETE", "url": "Encounter?status=planned"}},
      {"request": {"method": "GET", "url": "Encounter/e1"}}])"),
            (Lanes{{0, 1, 2}, {3}, {4}, {5, 6}}));
}

TEST(BundleLanes, SystemWideEntriesRunAfterTheWritesBeforeThem) {
  EXPECT_EQ(lanes_of(R"([
      {"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}},
      {"request": {"method": "GET", "url": "Patient/a"}},
      {"request": {"method": "GET", "url": "_history"}},
      {"request": {"method": "GET", "url": "Patient/a/$everything"}},
      {"resource": {"resourceType": "Observation"}, "request": {"method": "POST", "url": "Observation"}}])"),
            (Lanes{{0, 2, 3, 4}, {1}}));
}

TEST(BundleLanes, ReferencesToAnotherEntrysFullUrlOrWrittenIdJoinItsLane) {
  EXPECT_EQ(lanes_of(R"([
      {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}},
      {"resource": {"resourceType": "Observation", "subject": {"reference": "urn:uuid:p1"}},
       "request": {"method": "POST", "url": "Observation"}},
      {"resource": {"resourceType": "Patient", "id": "q"}, "request": {"method": "PUT", "url": "Patient/q"}},
      {"resource": {"resourceType": "Encounter", "subject": {"reference": "Patient/q"}},
       "request": {"method": "POST", "url": "Encounter"}},
      {"resource": {"resourceType": "Encounter", "subject": {"reference": "Patient/other"}},
       "request": {"method": "POST", "url": "Encounter"}}])"),
            (Lanes{{0, 1}, {2, 3}, {4}}));
}

TEST(BundleLanes, RefusedEntriesRunAlone) {
  EXPECT_EQ(lanes_of(R"([
      {"request": {"method": "FLY", "url": "Patient/a"}},
      {"request": {"method": "GET", "url": "Patient/a"}},
      {"resource": {"resourceType": "Patient", "id": "a"}, "request": {"method": "PUT", "url": "Patient/a"}}])"),
            (Lanes{{0}, {1, 2}}));
}

}  // namespace
}  // namespace healthd::fhir
