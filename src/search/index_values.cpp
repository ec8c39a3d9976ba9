#include "search/index_values.h"

#include <cmath>
#include <cstdlib>

#include "common/time.h"
#include "search/ucum.h"

namespace healthd::search {

namespace {

using fhirpath::Kind;
using fhirpath::Value;

std::string_view sv(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

const rapidjson::Value* member(const rapidjson::Value* obj, const char* name) {
  if (obj == nullptr || !obj->IsObject()) return nullptr;
  auto it = obj->FindMember(name);
  return it == obj->MemberEnd() ? nullptr : &it->value;
}

std::string_view mstr(const rapidjson::Value* obj, const char* name) {
  const rapidjson::Value* v = member(obj, name);
  return v != nullptr && v->IsString() ? sv(*v) : std::string_view();
}

bool has_member(const rapidjson::Value* obj, const char* name) { return member(obj, name) != nullptr; }

// ---- per-type conversion ----

struct Converter {
  const SearchParam& param;
  const rapidjson::Value& resource;
  IndexValues& out;

  void fail(const Value& v, std::string_view why) {
    if (!out.error.empty()) return;
    std::string t(v.fhir_type.empty() ? fhirpath::type_name(v) : v.fhir_type);
    out.error = std::string(param_type_name(param.kind)) + " parameter " + param.code + ": " + std::string(why) +
                " (" + t + ")";
  }

  // The FHIR type of an object, from the model or its shape.
  static std::string_view object_type(const Value& v) {
    if (!v.fhir_type.empty()) return v.fhir_type;
    const rapidjson::Value* n = v.node;
    if (n == nullptr || !n->IsObject()) return {};
    if (has_member(n, "resourceType")) return "Resource";
    if (has_member(n, "coding")) return "CodeableConcept";
    if (has_member(n, "reference") || (has_member(n, "identifier") && n->MemberCount() <= 3)) return "Reference";
    if (has_member(n, "family") || has_member(n, "given")) return "HumanName";
    if (has_member(n, "line") || has_member(n, "city") || has_member(n, "postalCode")) return "Address";
    if (has_member(n, "start") || has_member(n, "end")) return "Period";
    if (has_member(n, "event") || has_member(n, "repeat")) return "Timing";
    if (has_member(n, "low") || has_member(n, "high")) return "Range";
    if (has_member(n, "value") && n->FindMember("value")->value.IsNumber()) return "Quantity";
    if (has_member(n, "value") && has_member(n, "system") && has_member(n, "use")) return "ContactPoint";
    if (has_member(n, "value")) return "Identifier";
    if (has_member(n, "code")) return "Coding";
    return {};
  }

  static bool quantity_like(std::string_view t) {
    return t == "Quantity" || t == "SimpleQuantity" || t == "Age" || t == "Duration" || t == "Distance" ||
           t == "Count" || t == "MoneyQuantity";
  }

  void add(const Value& v) {
    if (!v.has_value && v.kind != Kind::Object) return;  // `_name` only
    switch (param.kind) {
      case ParamType::String: string(v); break;
      case ParamType::Token: token(v); break;
      case ParamType::Reference: reference(v); break;
      case ParamType::Date: date(v); break;
      case ParamType::Number: number(v); break;
      case ParamType::Quantity: quantity(v); break;
      case ParamType::Uri: uri(v); break;
      default: break;
    }
  }

  void add_string(std::string_view s) {
    if (s.empty()) return;
    out.strings.push_back({normalize_string(s), std::string(s)});
  }
  void add_strings(const rapidjson::Value* n, const char* name) {
    const rapidjson::Value* m = member(n, name);
    if (m == nullptr) return;
    if (m->IsString()) add_string(sv(*m));
    if (m->IsArray())
      for (const auto& e : m->GetArray())
        if (e.IsString()) add_string(sv(e));
  }

  void string(const Value& v) {
    if (v.kind == Kind::String) return add_string(v.str());
    if (v.kind != Kind::Object) return add_string(fhirpath::to_string(v));
    std::string_view t = object_type(v);
    if (t == "HumanName") {
      for (const char* n : {"text", "family", "given", "prefix", "suffix"}) add_strings(v.node, n);
    } else if (t == "Address") {
      for (const char* n : {"text", "line", "city", "district", "state", "postalCode", "country"}) add_strings(v.node, n);
    } else if (t == "CodeableConcept") {
      add_string(mstr(v.node, "text"));
    } else if (t == "Coding") {
      add_string(mstr(v.node, "display"));
    } else {
      fail(v, "not a string, HumanName or Address");
    }
  }

  void add_token(std::string_view system, std::string_view code, bool has_system) {
    if (code.empty() && system.empty()) return;
    out.tokens.push_back({std::string(system), std::string(code), has_system});
  }
  void add_text(std::string_view s) {
    if (!s.empty()) out.texts.push_back(normalize_string(s));
  }
  void coding(const rapidjson::Value* c) {
    if (c == nullptr || !c->IsObject()) return;
    const rapidjson::Value* sys = member(c, "system");
    add_token(mstr(c, "system"), mstr(c, "code"), sys != nullptr && sys->IsString());
    add_text(mstr(c, "display"));
  }
  void codeable_concept(const rapidjson::Value* cc) {
    if (const rapidjson::Value* codings = member(cc, "coding"); codings != nullptr && codings->IsArray())
      for (const auto& c : codings->GetArray()) coding(&c);
    add_text(mstr(cc, "text"));
  }

  void token(const Value& v) {
    switch (v.kind) {
      case Kind::Boolean: return add_token({}, v.boolean ? "true" : "false", false);
      case Kind::String: return add_token({}, v.str(), false);
      case Kind::Integer:
      case Kind::Decimal: return add_token({}, fhirpath::to_string(v), false);
      case Kind::Object: break;
      default: return fail(v, "not a code");
    }
    std::string_view t = object_type(v);
    const rapidjson::Value* n = v.node;
    if (t == "Coding") {
      coding(n);
    } else if (t == "CodeableConcept") {
      codeable_concept(n);
    } else if (t == "Identifier") {
      const rapidjson::Value* sys = member(n, "system");
      add_token(mstr(n, "system"), mstr(n, "value"), sys != nullptr && sys->IsString());
      if (const rapidjson::Value* type = member(n, "type")) {
        add_text(mstr(type, "text"));
        if (const rapidjson::Value* cs = member(type, "coding"); cs != nullptr && cs->IsArray())
          for (const auto& c : cs->GetArray())
            out.of_type.push_back({std::string(mstr(&c, "system")), std::string(mstr(&c, "code")),
                                   std::string(mstr(n, "value"))});
      }
    } else if (t == "ContactPoint") {
      const rapidjson::Value* sys = member(n, "system");
      add_token(mstr(n, "system"), mstr(n, "value"), sys != nullptr && sys->IsString());
    } else if (t == "Reference") {
      // tokens on a Reference (rare): its identifier
      if (const rapidjson::Value* id = member(n, "identifier")) {
        const rapidjson::Value* sys = member(id, "system");
        add_token(mstr(id, "system"), mstr(id, "value"), sys != nullptr && sys->IsString());
      }
    } else if (n == nullptr) {
      // a resolved stub (no JSON): nothing to index
    } else {
      fail(v, "not a Coding, CodeableConcept, Identifier, ContactPoint or code");
    }
  }

  void reference_text(std::string_view ref, std::string_view declared_type) {
    ReferenceValue r;
    if (ref.empty()) return;
    if (ref[0] == '#') {
      r.contained = true;
      r.id = std::string(ref.substr(1));
      if (const rapidjson::Value* c = member(&resource, "contained"); c != nullptr && c->IsArray())
        for (const auto& res : c->GetArray())
          if (mstr(&res, "id") == r.id) r.type = std::string(mstr(&res, "resourceType"));
      out.references.push_back(std::move(r));
      return;
    }
    std::string_view path = ref;
    r.absolute = ref.find("://") != std::string_view::npos || ref.substr(0, 4) == "urn:";
    if (r.absolute) r.url = std::string(ref);
    if (auto h = path.find("/_history/"); h != std::string_view::npos) {
      r.version = std::string(path.substr(h + 10));
      path = path.substr(0, h);
    }
    // [base/]Type/id
    size_t slash = path.rfind('/');
    if (slash != std::string_view::npos && slash > 0 && ref.substr(0, 4) != "urn:") {
      std::string_view before = path.substr(0, slash);
      size_t s2 = before.rfind('/');
      std::string_view type = s2 == std::string_view::npos ? before : before.substr(s2 + 1);
      if (!type.empty() && std::isupper(static_cast<unsigned char>(type[0]))) {
        r.type = std::string(type);
        r.id = std::string(path.substr(slash + 1));
      }
    }
    if (r.type.empty() && !declared_type.empty()) r.type = std::string(declared_type);
    if (!r.absolute && r.id.empty()) r.id = std::string(path);  // a bare id
    out.references.push_back(std::move(r));
  }

  void canonical(std::string_view s) {
    ReferenceValue r;
    r.canonical = true;
    r.absolute = s.find("://") != std::string_view::npos || s.substr(0, 4) == "urn:";
    if (auto bar = s.find('|'); bar != std::string_view::npos) {
      r.version = std::string(s.substr(bar + 1));
      s = s.substr(0, bar);
    }
    r.url = std::string(s);
    // a canonical of this server's form [base]/Type/id also gets type/id
    size_t slash = s.rfind('/');
    if (slash != std::string_view::npos && slash > 0) {
      std::string_view before = s.substr(0, slash);
      size_t s2 = before.rfind('/');
      std::string_view type = s2 == std::string_view::npos ? before : before.substr(s2 + 1);
      if (!type.empty() && std::isupper(static_cast<unsigned char>(type[0]))) {
        r.type = std::string(type);
        r.id = std::string(s.substr(slash + 1));
      }
    }
    out.references.push_back(std::move(r));
  }

  void reference(const Value& v) {
    if (v.kind == Kind::String) {
      if (v.fhir_type == "canonical") return canonical(v.str());
      return reference_text(v.str(), {});  // uri, url, string
    }
    if (v.kind != Kind::Object) return fail(v, "not a Reference");
    if (v.node == nullptr) return;  // a resolved stub
    std::string_view t = object_type(v);
    if (t == "Reference") {
      std::string_view ref = mstr(v.node, "reference");
      size_t before = out.references.size();
      reference_text(ref, mstr(v.node, "type"));
      if (const rapidjson::Value* id = member(v.node, "identifier")) {
        if (out.references.size() == before) {
          ReferenceValue r;
          r.type = std::string(mstr(v.node, "type"));
          out.references.push_back(std::move(r));
        }
        out.references.back().identifier_system = std::string(mstr(id, "system"));
        out.references.back().identifier_value = std::string(mstr(id, "value"));
      }
    } else if (t == "Attachment") {
      if (auto url = mstr(v.node, "url"); !url.empty()) reference_text(url, {});
    } else if (v.node->IsObject() && has_member(v.node, "resourceType")) {
      // a resource (e.g. from resolve() on a contained one): its own id
      ReferenceValue r;
      r.type = std::string(mstr(v.node, "resourceType"));
      r.id = std::string(mstr(v.node, "id"));
      if (!r.id.empty()) out.references.push_back(std::move(r));
    } else {
      fail(v, "not a Reference or canonical");
    }
  }

  static std::optional<DateRange> range_of(std::string_view s) {
    auto r = parse_fhir_datetime_range(s);
    if (!r) return std::nullopt;
    return DateRange{r->start_us, r->end_us};
  }

  void date_text(const Value& v, std::string_view s) {
    if (auto r = range_of(s)) {
      out.dates.push_back(*r);
    } else {
      fail(v, "unreadable date '" + std::string(s) + "'");
    }
  }

  void date(const Value& v) {
    if (v.kind == Kind::Date || v.kind == Kind::DateTime || v.kind == Kind::String) {
      std::string_view s = v.str();
      std::string text;
      if (s.empty() && v.kind != Kind::String) {
        text = fhirpath::to_string(v);
        if (!text.empty() && text[0] == '@') text.erase(0, 1);
        s = text;
      }
      return date_text(v, s);
    }
    if (v.kind != Kind::Object) return fail(v, "not a date");
    std::string_view t = object_type(v);
    const rapidjson::Value* n = v.node;
    if (t == "Period") {
      DateRange r;
      if (auto s = mstr(n, "start"); !s.empty()) {
        auto a = range_of(s);
        if (!a) return fail(v, "unreadable Period.start");
        r.start_us = a->start_us;
      }
      if (auto e = mstr(n, "end"); !e.empty()) {
        auto b = range_of(e);
        if (!b) return fail(v, "unreadable Period.end");
        r.end_us = b->end_us;
      }
      if (r.start_us != DateRange::kMin || r.end_us != DateRange::kMax) out.dates.push_back(r);
    } else if (t == "Timing") {
      // only the outer limits count: events and repeat.boundsPeriod
      DateRange r{DateRange::kMax, DateRange::kMin};
      bool any = false;
      if (const rapidjson::Value* ev = member(n, "event"); ev != nullptr && ev->IsArray())
        for (const auto& e : ev->GetArray())
          if (e.IsString())
            if (auto a = range_of(sv(e))) {
              r.start_us = std::min(r.start_us, a->start_us);
              r.end_us = std::max(r.end_us, a->end_us);
              any = true;
            }
      if (const rapidjson::Value* bp = member(member(n, "repeat"), "boundsPeriod")) {
        auto s = mstr(bp, "start"), e = mstr(bp, "end");
        auto a = s.empty() ? std::nullopt : range_of(s);
        auto b = e.empty() ? std::nullopt : range_of(e);
        r.start_us = std::min(r.start_us, a ? a->start_us : DateRange::kMin);
        r.end_us = std::max(r.end_us, b ? b->end_us : DateRange::kMax);
        any = true;
      }
      if (any) out.dates.push_back(r);
    } else if (n == nullptr) {
    } else {
      fail(v, "not a date, dateTime, instant, Period or Timing");
    }
  }

  void number(const Value& v) {
    if (v.kind == Kind::Integer) {
      double d = static_cast<double>(v.integer);
      out.numbers.push_back({d, d - 0.5, d + 0.5});
    } else if (v.kind == Kind::Decimal) {
      NumberValue nv;
      if (!decimal_range(fhirpath::to_string(v), nv.value, nv.low, nv.high)) return fail(v, "unreadable number");
      out.numbers.push_back(nv);
    } else if (v.kind == Kind::Object && v.node != nullptr && quantity_like(object_type(v))) {
      QuantityValue q;
      if (quantity_json(v.node, q)) out.numbers.push_back({q.value, q.low, q.high});
    } else if (v.kind == Kind::Object && v.node != nullptr && object_type(v) == "Range") {
      QuantityValue lo, hi;
      bool has_lo = quantity_json(member(v.node, "low"), lo), has_hi = quantity_json(member(v.node, "high"), hi);
      if (has_lo || has_hi)
        out.numbers.push_back({has_lo ? lo.value : hi.value, has_lo ? lo.value : -HUGE_VAL, has_hi ? hi.value : HUGE_VAL, true});
    } else {
      fail(v, "not a number");
    }
  }

  static bool json_number(const rapidjson::Value* n, double& value, double& low, double& high) {
    if (n == nullptr || !n->IsNumber()) return false;
    if (n->IsInt64()) {
      value = static_cast<double>(n->GetInt64());
      low = value - 0.5;
      high = value + 0.5;
      return true;
    }
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", n->GetDouble());
    return decimal_range(buf, value, low, high);
  }

  static bool quantity_json(const rapidjson::Value* n, QuantityValue& q) {
    if (!json_number(member(n, "value"), q.value, q.low, q.high)) return false;
    q.system = std::string(mstr(n, "system"));
    q.code = std::string(mstr(n, "code"));
    q.unit = std::string(mstr(n, "unit"));
    return true;
  }

  // A UCUM quantity is also indexed in its canonical unit, so searches in any commensurable unit
  // find it (the query is converted the same way). Not when that changes nothing (a quantity in
  // "g" is its own canonical twin): UCUM searches read the quantity's own rows too.
  void add_quantity(QuantityValue q) {
    QuantityValue canonical;
    bool has_canonical = false;
    if (q.system == kUcumSystem && !q.code.empty()) {
      canonical = q;
      has_canonical = to_canonical_ucum(canonical.code, canonical.value, canonical.low, canonical.high) &&
                      !(canonical.code == q.code && canonical.value == q.value && canonical.low == q.low &&
                        canonical.high == q.high);
      canonical.unit = canonical.code;
      canonical.canonical = true;
    }
    out.quantities.push_back(std::move(q));
    if (has_canonical) out.quantities.push_back(std::move(canonical));
  }

  void quantity(const Value& v) {
    if (v.kind == Kind::Quantity) {
      QuantityValue q;
      char buf[40];
      snprintf(buf, sizeof buf, "%.15g", v.decimal);
      decimal_range(buf, q.value, q.low, q.high);
      q.code = q.unit = v.unit;
      q.system = kUcumSystem;
      add_quantity(std::move(q));
      return;
    }
    if (v.kind == Kind::Integer || v.kind == Kind::Decimal) {
      QuantityValue q;
      if (decimal_range(fhirpath::to_string(v), q.value, q.low, q.high)) out.quantities.push_back(std::move(q));
      return;
    }
    if (v.kind != Kind::Object || v.node == nullptr) return fail(v, "not a Quantity");
    std::string_view t = object_type(v);
    if (quantity_like(t)) {
      QuantityValue q;
      if (quantity_json(v.node, q)) add_quantity(std::move(q));
    } else if (t == "Money") {
      QuantityValue q;
      if (json_number(member(v.node, "value"), q.value, q.low, q.high)) {
        q.system = "urn:iso:std:iso:4217";
        q.code = q.unit = std::string(mstr(v.node, "currency"));
        out.quantities.push_back(std::move(q));
      }
    } else if (t == "Range") {
      QuantityValue lo, hi;
      bool has_lo = quantity_json(member(v.node, "low"), lo), has_hi = quantity_json(member(v.node, "high"), hi);
      if (!has_lo && !has_hi) return;
      QuantityValue q;
      q.is_range = true;
      const QuantityValue& unit = has_lo ? lo : hi;
      q.system = unit.system;
      q.code = unit.code;
      q.unit = unit.unit;
      q.low = has_lo ? lo.value : -HUGE_VAL;
      q.high = has_hi ? hi.value : HUGE_VAL;
      q.value = has_lo ? lo.value : hi.value;
      add_quantity(std::move(q));
    } else {
      fail(v, "not a Quantity, Money or Range");
    }
  }

  void uri(const Value& v) {
    if (v.kind == Kind::String) {
      if (auto s = v.str(); !s.empty()) out.uris.emplace_back(s);
      return;
    }
    if (v.kind == Kind::Object && v.node != nullptr && object_type(v) == "Reference") {
      if (auto s = mstr(v.node, "reference"); !s.empty()) out.uris.emplace_back(s);
      return;
    }
    fail(v, "not a uri");
  }
};

void convert(const SearchParam& param, const rapidjson::Value& resource, const fhirpath::Items& items, IndexValues& out) {
  Converter c{param, resource, out};
  for (const auto& v : items) c.add(v);
}

}  // namespace

bool to_canonical_ucum(std::string& code, double& value, double& low, double& high) {
  auto c = ucum_canonical(code);
  if (!c || (c->unit == code && c->multiplier == 1 && c->exponent10 == 0)) return false;
  code = c->unit;
  value = c->scale(value);
  low = c->scale(low);
  high = c->scale(high);
  return true;
}

bool decimal_range(std::string_view text, double& value, double& low, double& high) {
  if (text.empty()) return false;
  std::string t(text);
  char* end = nullptr;
  value = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(value)) return false;
  // precision: digits after the point, shifted by an exponent
  int exponent = 0;
  std::string_view mant = text;
  if (auto e = text.find_first_of("eE"); e != std::string_view::npos) {
    exponent = std::atoi(t.c_str() + e + 1);
    mant = text.substr(0, e);
  }
  int decimals = 0;
  if (auto dot = mant.find('.'); dot != std::string_view::npos) decimals = static_cast<int>(mant.size() - dot - 1);
  double half = 0.5 * std::pow(10.0, exponent - decimals);
  low = value - half;
  high = value + half;
  return true;
}

size_t IndexValues::count() const {
  switch (type) {
    case ParamType::String: return strings.size();
    case ParamType::Token: return tokens.size() + texts.size();
    case ParamType::Reference: return references.size();
    case ParamType::Date: return dates.size();
    case ParamType::Number: return numbers.size();
    case ParamType::Quantity: return quantities.size();
    case ParamType::Uri: return uris.size();
    case ParamType::Composite: return composites.size();
    default: return 0;
  }
}

std::string ReferenceValue::key() const {
  if (contained) return "#" + id;
  if (!type.empty() && !id.empty()) return type + "/" + id;
  if (!url.empty()) return url;
  return id;
}

std::optional<std::string> ReferenceValue::local_key(std::string_view base_url) const {
  if (contained || canonical || type.empty() || id.empty()) return std::nullopt;
  if (!absolute) return type + "/" + id;
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  std::string expect = std::string(base_url) + "/" + type + "/" + id;
  if (url == expect || (url.size() > expect.size() && url.compare(0, expect.size(), expect) == 0 &&
                        url.compare(expect.size(), 10, "/_history/") == 0))
    return type + "/" + id;
  return std::nullopt;
}

IndexValues extract(const SearchParam& param, const rapidjson::Value& resource, const fhirpath::EvalContext& ctx) {
  fhirpath::ResourceEvaluator ev(resource, ctx);
  return extract(param, ev);
}

IndexValues extract(const SearchParam& param, fhirpath::ResourceEvaluator& ev) {
  const rapidjson::Value& resource = ev.resource();
  const fhirpath::EvalContext& ctx = ev.context();
  IndexValues out;
  out.type = param.kind;
  if (!param.compiled_ok || param.kind == ParamType::Special) return out;
  fhirpath::Collection items = ev.evaluate(param.compiled);
  if (!items.ok()) {
    out.error = param.code + ": " + items.error;
    return out;
  }
  if (param.kind != ParamType::Composite) {
    convert(param, resource, items.items, out);
    return out;
  }
  if (items.empty()) return out;
  fhirpath::EvalContext cctx = ctx;
  fhirpath::ResourceEvaluator components(resource, cctx);  // reads %index from cctx at each evaluation
  for (size_t i = 0; i < items.size(); ++i) {
    cctx.constants["index"] = {fhirpath::Value::of_int(static_cast<int64_t>(i))};
    std::vector<IndexValues> tuple;
    bool complete = true;
    for (const auto& comp : param.components) {
      IndexValues cv;
      if (comp.param == nullptr || !comp.compiled_ok) {
        out.error = param.code + ": component " + comp.definition + " unusable";
        return out;
      }
      cv.type = comp.param->kind;
      fhirpath::Collection ci = components.evaluate(comp.compiled);
      if (!ci.ok()) {
        out.error = param.code + ": component " + comp.expression + ": " + ci.error;
        return out;
      }
      convert(*comp.param, resource, ci.items, cv);
      if (!cv.ok()) {
        out.error = cv.error;
        return out;
      }
      if (cv.empty()) complete = false;
      tuple.push_back(std::move(cv));
    }
    if (complete) out.composites.push_back(std::move(tuple));
  }
  return out;
}

}  // namespace healthd::search
