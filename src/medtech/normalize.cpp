#include "medtech/normalize.h"

#include "medtech/timestamp.h"

namespace healthd::medtech {

namespace {

constexpr const char* kMatchedToken = "matchedToken";

// Copies v into out without copying strings: they keep pointing into v's storage.
void copy_referencing(const json::Value& v, json::Value& out, json::Allocator& a) {
  switch (v.GetType()) {
    case rapidjson::kObjectType:
      out.SetObject();
      for (const auto& m : v.GetObject()) {
        json::Value val;
        copy_referencing(m.value, val, a);
        out.AddMember(json::Value(rapidjson::StringRef(m.name.GetString(), m.name.GetStringLength())), val, a);
      }
      break;
    case rapidjson::kArrayType:
      out.SetArray();
      out.Reserve(v.Size(), a);
      for (const auto& e : v.GetArray()) {
        json::Value val;
        copy_referencing(e, val, a);
        out.PushBack(val, a);
      }
      break;
    case rapidjson::kStringType:
      out.SetString(rapidjson::StringRef(v.GetString(), v.GetStringLength()));
      break;
    default:
      out.CopyFrom(v, a);
  }
}

// Evaluates one template against one input, one measurement per match.
class TemplateRun {
 public:
  TemplateRun(const ContentTemplate& t, int64_t ingestion_us, std::vector<Measurement>& out,
              std::vector<PipelineError>& errors)
      : t_(t), ingestion_us_(ingestion_us), out_(out), errors_(errors) {}

  // Returns the number of tokens typeMatchExpression selected.
  size_t run(const json::Value& input) {
    std::vector<const json::Value*> matches;
    std::string err;
    if (!t_.type_match.select_all(input, matches, store_, &err)) {
      fail(-1, error_kind::kExpressionFailed, "typeMatchExpression: " + err);
      return 0;
    }
    for (size_t i = 0; i < matches.size(); ++i) {
      match_ = static_cast<int>(i);
      if (t_.kind == ContentKind::Calculated) {
        json::Document ctx(rapidjson::kObjectType);
        auto& a = ctx.GetAllocator();
        if (input.IsObject()) {
          for (const auto& m : input.GetObject()) {
            if (std::string_view(m.name.GetString(), m.name.GetStringLength()) == kMatchedToken) continue;
            json::Value val;
            copy_referencing(m.value, val, a);
            ctx.AddMember(json::Value(rapidjson::StringRef(m.name.GetString(), m.name.GetStringLength())), val, a);
          }
        }
        json::Value token;
        copy_referencing(*matches[i], token, a);
        ctx.AddMember(rapidjson::StringRef(kMatchedToken), token, a);
        measure(ctx);
      } else {
        measure(*matches[i]);
      }
    }
    return matches.size();
  }

 private:
  void fail(int match, const char* kind, std::string message) {
    errors_.push_back(PipelineError{"normalize", kind, std::move(message), t_.type_name, static_cast<int>(t_.index), match});
  }

  // The text of the first expression giving a value. False (error reported) on failure;
  // out stays empty when nothing was selected.
  bool text_of(const json::Value& ctx, const TemplateExpression& e, const char* what, std::optional<std::string>& out) {
    out.reset();
    const json::Value* v = nullptr;
    std::string err;
    if (!e.select_one(ctx, v, store_, &err)) {
      fail(match_, error_kind::kExpressionFailed, std::string(what) + ": " + err);
      return false;
    }
    if (!v) return true;
    if (!scalar_text(*v, out)) {
      fail(match_, error_kind::kInvalidValue,
           std::string(what) + ": expression '" + e.text() + "' selected an object or array, expected a value");
      return false;
    }
    if (out && out->empty()) out.reset();
    return true;
  }

  bool first_text(const json::Value& ctx, const std::vector<TemplateExpression>& exprs, const char* what,
                  std::optional<std::string>& out) {
    for (const auto& e : exprs) {
      if (!text_of(ctx, e, what, out)) return false;
      if (out) return true;
    }
    std::string tried;
    for (const auto& e : exprs) tried += (tried.empty() ? "" : ", ") + e.text();
    fail(match_, error_kind::kRequiredValueMissing, std::string(what) + ": no value at " + tried);
    return false;
  }

  void measure(const json::Value& ctx) {
    Measurement m;
    m.type = t_.type_name;
    m.ingestion_us = ingestion_us_;
    bool ok = true;
    std::optional<std::string> s;
    if (first_text(ctx, t_.device_id, "deviceIdExpression", s)) m.device_id = std::move(*s);
    else ok = false;
    if (first_text(ctx, t_.timestamp, "timestampExpression", s)) {
      if (auto us = parse_timestamp(*s)) {
        m.occurrence_us = *us;
      } else {
        fail(match_, error_kind::kInvalidTimestamp, "timestampExpression: '" + *s + "' is not an ISO 8601 timestamp");
        ok = false;
      }
    } else {
      ok = false;
    }
    if (t_.patient_id) ok = text_of(ctx, *t_.patient_id, "patientIdExpression", m.patient_id) && ok;
    if (t_.encounter_id) ok = text_of(ctx, *t_.encounter_id, "encounterIdExpression", m.encounter_id) && ok;
    if (t_.correlation_id) {
      if (text_of(ctx, *t_.correlation_id, "correlationIdExpression", m.correlation_id) && !m.correlation_id) {
        fail(match_, error_kind::kRequiredValueMissing,
             "correlationIdExpression: no value at " + t_.correlation_id->text());
        ok = false;
      }
    }
    for (const auto& v : t_.values) {
      size_t before = errors_.size();
      bool got = text_of(ctx, v.expression, ("value '" + v.name + "'").c_str(), s);
      if (!got) {
        if (v.required) ok = false;
        else errors_.resize(before);  // an optional value that cannot be read is left out
        continue;
      }
      if (s) {
        m.values.emplace_back(v.name, std::move(*s));
      } else if (v.required) {
        fail(match_, error_kind::kRequiredValueMissing,
             "required value '" + v.name + "' is missing, null or empty at " + v.expression.text());
        ok = false;
      }
    }
    if (ok) out_.push_back(std::move(m));
  }

  const ContentTemplate& t_;
  int64_t ingestion_us_;
  std::vector<Measurement>& out_;
  std::vector<PipelineError>& errors_;
  EvaluationStore store_;
  int match_ = -1;
};

}  // namespace

void wrap_in_envelope(json::Document& message) {
  if (message.IsObject() && message.HasMember("Body")) return;
  auto& a = message.GetAllocator();
  json::Value body;
  body.Swap(message);  // the message's values stay in its allocator
  message.SetObject();
  message.AddMember("Body", body, a);
  message.AddMember("Properties", json::Value(rapidjson::kObjectType), a);
  message.AddMember("SystemProperties", json::Value(rapidjson::kObjectType), a);
}

size_t normalize(const DeviceMapping& mapping, const json::Value& input, int64_t ingestion_us,
                 std::vector<Measurement>& out, std::vector<PipelineError>& errors) {
  size_t before = out.size(), matched = 0;
  for (const auto& t : mapping.templates()) matched += TemplateRun(t, ingestion_us, out, errors).run(input);
  if (matched == 0)
    errors.push_back(PipelineError{"normalize", error_kind::kNoTemplateMatched,
                                   "no template of the device mapping matched the message", "", -1, -1});
  return out.size() - before;
}

}  // namespace healthd::medtech
