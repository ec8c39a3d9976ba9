#include <string>

#include "fhir/value_set_membership.h"

namespace healthd::fhir {

namespace {

std::string_view str_of(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

void not_in(const RequiredBinding& b, std::string what, const ValidatorPath& at, std::vector<Issue>& issues) {
  Issue i;
  i.code = "code-invalid";
  i.diagnostics = std::move(what) + " is not in the required value set " + b.value_set;
  i.expression.push_back(at.str());
  issues.push_back(std::move(i));
}

// nullopt: unknown; else whether the Coding is in the value set.
std::optional<bool> coding_in(const ValueSetMembership& t, const RequiredBinding& b, const rapidjson::Value& coding) {
  if (!coding.IsObject()) return std::nullopt;
  std::string_view code = str_of(coding, "code");
  if (code.empty()) return std::nullopt;
  return t.contains(b.value_set, str_of(coding, "system"), code);
}

}  // namespace

std::optional<bool> member_of(const ValueSetMembership& t, const rapidjson::Value* node, std::string_view text,
                              const std::string& value_set) {
  if (!node || node->IsString()) return t.contains(value_set, "", node ? std::string_view(node->GetString(), node->GetStringLength()) : text);
  if (!node->IsObject()) return std::nullopt;
  if (node->HasMember("code")) {
    std::string_view code = str_of(*node, "code");
    return code.empty() ? std::nullopt : t.contains(value_set, str_of(*node, "system"), code);
  }
  auto codings = node->FindMember("coding");
  if (codings == node->MemberEnd() || !codings->value.IsArray()) return std::nullopt;
  std::optional<bool> any = false;
  for (const auto& c : codings->value.GetArray()) {
    if (!c.IsObject()) continue;
    std::optional<bool> in = t.contains(value_set, str_of(c, "system"), str_of(c, "code"));
    if (in == true) return true;
    if (!in) any = std::nullopt;
  }
  return any;
}

void check_required_binding(const ValueSetMembership& t, const RequiredBinding& b, std::string_view type_code,
                            const rapidjson::Value& v, const ValidatorPath& at, std::vector<Issue>& issues) {
  if (type_code == "code" || type_code == "string" || type_code == "uri") {
    if (!v.IsString()) return;
    std::string_view code(v.GetString(), v.GetStringLength());
    if (t.contains(b.value_set, "", code) == false) not_in(b, "The code '" + std::string(code) + "'", at, issues);
  } else if (type_code == "Coding") {
    if (coding_in(t, b, v) == false)
      not_in(b, "The coding " + std::string(str_of(v, "system")) + "|" + std::string(str_of(v, "code")), at, issues);
  } else if (type_code == "CodeableConcept") {
    if (!v.IsObject()) return;
    auto codings = v.FindMember("coding");
    if (codings == v.MemberEnd() || !codings->value.IsArray() || codings->value.Empty()) return;
    std::string seen;
    for (const auto& c : codings->value.GetArray()) {
      std::optional<bool> in = coding_in(t, b, c);
      if (!in || *in) return;  // one known member (or one we cannot judge) is enough
      if (!seen.empty()) seen += ", ";
      seen += std::string(str_of(c, "system")) + "|" + std::string(str_of(c, "code"));
    }
    not_in(b, "None of the codings (" + seen + ")", at, issues);
  }
}

}  // namespace healthd::fhir
