// QIDO-RS: the six search routes. The store hands candidate rows (narrowed by the path's scope
// and UID lists); every condition is decided here (qido_match.h), then offset and limit apply.
#include <algorithm>

#include "dicom/dicom_json_out.h"
#include "dicom/qido_attributes.h"
#include "dicom/qido_match.h"
#include "dicom/qido_query.h"
#include "dicom/service_impl.h"
#include "json/json.h"

namespace healthd::dicom {

namespace {

Level level_of(const Request& req) {
  const std::string& last = req.segments.back();
  if (last == "studies") return Level::Study;
  if (last == "series") return Level::Series;
  return Level::Instance;
}

bool level_at_most(Level a, Level b) { return static_cast<int>(a) <= static_cast<int>(b); }

ScanRequest scan_request(const QidoQuery& q, const Target& t) {
  ScanRequest s;
  s.level = q.level;
  s.study_uid = t.scope.study_uid;
  s.series_uid = t.scope.series_uid;
  s.extended.assign(q.extended.begin(), q.extended.end());
  for (const Condition& c : q.conditions) {
    // Exact text of an extended query tag: narrowed through the store's value index.
    const std::string_view vr = c.attribute->vr;
    if (c.attribute->extended >= 0 && c.kind == MatchKind::Single &&
        (vr == "AE" || vr == "AS" || vr == "CS" || vr == "LO" || vr == "SH" || vr == "UI"))
      s.extended_equals.emplace_back(static_cast<size_t>(c.attribute->extended), c.values[0]);
    if (c.kind == MatchKind::List && c.attribute->field) {
      if (c.attribute->tag == tags::kStudyInstanceUID) s.study_uids = c.values;
      if (c.attribute->tag == tags::kSeriesInstanceUID) s.series_uids = c.values;
      if (c.attribute->tag == tags::kSOPInstanceUID) s.sop_uids = c.values;
    }
    if (c.kind == MatchKind::Single && c.attribute->tag == tags::kPatientID) s.patient_id = c.values[0];
    if (c.kind == MatchKind::Single && c.attribute->tag == tags::kAccessionNumber) s.accession_number = c.values[0];
  }
  return s;
}

// Copies the elements of `tags` that the instance JSON holds into obj.
void copy_from_metadata(const std::string& metadata, const std::vector<Tag>& wanted, json::Value& obj,
                        json::Allocator& a) {
  json::Document doc;
  if (!json::parse(metadata, doc) || !doc.IsObject()) return;
  for (Tag tag : wanted) {
    const std::string key = tag_hex(tag);
    auto it = doc.FindMember(key.c_str());
    if (it == doc.MemberEnd() || obj.HasMember(key.c_str())) continue;
    obj.AddMember(json::str(key, a), json::Value(it->value, a), a);
  }
}

}  // namespace

Response DicomService::Impl::search(const Request& req, const Target& t) {
  QidoQuery q;
  std::string error;
  if (!parse_qido_query(req.query, level_of(req), q, &error, current_tags().tags)) return problem(400, error);

  // Attributes of the answer: the defaults of the level and the levels above, what includefield
  // names, and every attribute searched on.
  std::vector<const QidoAttribute*> returned;
  std::vector<Tag> extra;  // includefield tags the index does not hold: from an instance's JSON
  for (const QidoAttribute& a : qido_attributes()) {
    if (!level_at_most(a.level, q.level)) continue;
    // computed attributes of a level above are not counted in this search
    if (a.computed != Computed::None && a.level != q.level) continue;
    bool wanted = a.returned_by_default || q.include_all ||
                  std::find(q.include.begin(), q.include.end(), a.tag) != q.include.end();
    for (const Condition& c : q.conditions)
      if (c.attribute == &a) wanted = true;
    if (wanted) returned.push_back(&a);
  }
  // Extended query tags: returned when searched on or with includefield=all (q.extended holds
  // exactly those).
  std::string erroneous;  // searched tags whose re-indexing met invalid values
  for (const QidoAttribute& a : q.extended_attributes) {
    if (std::none_of(returned.begin(), returned.end(), [&](const QidoAttribute* r) { return r->tag == a.tag; }))
      returned.push_back(&a);
    const ExtendedQueryTagEntry& e = q.extended[static_cast<size_t>(a.extended)];
    const bool searched = std::any_of(q.conditions.begin(), q.conditions.end(), [&](const Condition& c) { return c.attribute == &a; });
    if (searched && e.error_count > 0) {
      const std::string keyword = dictionary_keyword(e.tag);
      erroneous += (erroneous.empty() ? "" : ",") + (keyword.empty() ? e.path : keyword);
    }
  }
  for (Tag tag : q.include)
    if (std::none_of(returned.begin(), returned.end(), [&](const QidoAttribute* a) { return a->tag == tag; }))
      extra.push_back(tag);
  std::sort(returned.begin(), returned.end(), [](auto* x, auto* y) { return x->tag < y->tag; });
  std::sort(extra.begin(), extra.end());

  std::vector<IndexRow> page;
  int skipped = 0;
  store->scan(scan_request(q, t), [&](const IndexRow& row) {
    if (!matches_row(q, row)) return true;
    if (skipped < q.offset) {
      ++skipped;
      return true;
    }
    page.push_back(row);
    return static_cast<int>(page.size()) < q.limit;
  });

  json::Document doc(rapidjson::kArrayType);
  auto& a = doc.GetAllocator();
  for (const IndexRow& row : page) {
    json::Value o(rapidjson::kObjectType);
    const IndexAttributes& x = row.attributes;
    for (const QidoAttribute* attr : returned) put_index_value(o, attr->tag, attr->vr, qido_value(*attr, row), a);
    const std::string study = x.study_instance_uid.value_or("");
    std::string url = study_url(t.base, study);
    if (q.level != Level::Study) url = series_url(t.base, study, x.series_instance_uid.value_or(""));
    if (q.level == Level::Instance) url += "/instances/" + x.sop_instance_uid.value_or("");
    put_string(o, qido_tags::kRetrieveURL, "UR", url, a);
    if (!extra.empty()) {
      InstanceScope scope{study, q.level == Level::Study ? "" : x.series_instance_uid.value_or(""),
                          q.level == Level::Instance ? x.sop_instance_uid.value_or("") : ""};
      auto one = store->metadata(scope, 1);
      if (!one.empty()) copy_from_metadata(one[0].json, extra, o, a);
    }
    // members in tag order (PS3.18 F.2.1: sorted keys)
    std::vector<std::pair<std::string, json::Value>> sorted;
    for (auto& m : o.GetObject()) sorted.emplace_back(std::string(m.name.GetString(), m.name.GetStringLength()),
                                                      json::Value(m.value, a));
    std::sort(sorted.begin(), sorted.end(), [](const auto& p, const auto& q2) { return p.first < q2.first; });
    json::Value ordered(rapidjson::kObjectType);
    for (auto& [k, v] : sorted) ordered.AddMember(json::str(k, a), v, a);
    doc.PushBack(ordered, a);
  }
  Response r = dicom_json_response(200, json::to_string(doc));
  if (!erroneous.empty()) r.headers.set("erroneous-dicom-attributes", erroneous);
  return r;
}

}  // namespace healthd::dicom
