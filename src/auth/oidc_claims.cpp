#include "auth/oidc_claims.h"

#include <cmath>

#include "common/ids.h"

namespace healthd::auth {
namespace {

std::string string_claim(const json::Value& claims, const char* name) {
  return std::string(json::get_string(claims, name).value_or(""));
}

std::string first_string_claim(const json::Value& claims, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    std::string v = string_claim(claims, name);
    if (!v.empty()) return v;
  }
  return "";
}

void split_spaces(std::string_view text, std::vector<std::string>& out) {
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    if (end > i) out.emplace_back(text.substr(i, end - i));
    i = end + 1;
  }
}

}  // namespace

std::optional<int64_t> numeric_date_claim(const json::Value& claims, const char* name) {
  const json::Value* v = json::get_member(claims, name);
  if (!v || !v->IsNumber()) return std::nullopt;
  if (v->IsInt64()) return v->GetInt64();
  double d = v->GetDouble();
  if (!std::isfinite(d) || std::fabs(d) > 1e15) return std::nullopt;
  return static_cast<int64_t>(std::floor(d));
}

std::vector<std::string> string_list_claim(const json::Value& claims, const char* name) {
  std::vector<std::string> out;
  const json::Value* v = json::get_member(claims, name);
  if (!v) return out;
  if (v->IsString()) {
    split_spaces(std::string_view(v->GetString(), v->GetStringLength()), out);
  } else if (v->IsArray()) {
    for (const auto& item : v->GetArray()) {
      if (item.IsString() && item.GetStringLength() > 0) out.emplace_back(item.GetString(), item.GetStringLength());
    }
  }
  return out;
}

bool audience_accepted(const json::Value& claims, const std::vector<std::string>& accepted) {
  auto is_accepted = [&](const json::Value& aud) {
    if (!aud.IsString()) return false;
    std::string_view a(aud.GetString(), aud.GetStringLength());
    for (const auto& x : accepted) {
      if (x == a) return true;
    }
    return false;
  };
  const json::Value* aud = json::get_member(claims, "aud");
  if (!aud) return false;
  if (aud->IsArray()) {
    for (const auto& item : aud->GetArray()) {
      if (is_accepted(item)) return true;
    }
    return false;
  }
  return is_accepted(*aud);
}

std::string patient_id_from_fhir_user(std::string_view fhir_user) {
  std::string_view s = fhir_user.substr(0, fhir_user.find_first_of("?#"));
  if (size_t h = s.find("/_history/"); h != std::string_view::npos) s = s.substr(0, h);
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  size_t slash = s.rfind('/');
  if (slash == std::string_view::npos) return "";
  std::string_view id = s.substr(slash + 1);
  std::string_view rest = s.substr(0, slash);
  size_t type_start = rest.rfind('/');
  std::string_view type = type_start == std::string_view::npos ? rest : rest.substr(type_start + 1);
  if (type != "Patient" || !is_valid_fhir_id(id)) return "";
  return std::string(id);
}

Principal principal_from_claims(const json::Value& claims) {
  Principal p;
  p.subject = string_claim(claims, "sub");
  p.object_id = first_string_claim(claims, {"oid", "sub"});
  p.issuer = string_claim(claims, "iss");
  p.client_id = first_string_claim(claims, {"appid", "azp", "client_id"});
  p.tenant_id = string_claim(claims, "tid");
  p.fhir_user = string_claim(claims, "fhirUser");
  p.patient = string_claim(claims, "patient");
  if (p.patient.empty()) p.patient = patient_id_from_fhir_user(p.fhir_user);
  for (auto& role : string_list_claim(claims, "roles")) p.roles.insert(std::move(role));
  p.scopes = string_list_claim(claims, json::get_member(claims, "scp") ? "scp" : "scope");
  p.expires_at = numeric_date_claim(claims, "exp").value_or(0);
  return p;
}

}  // namespace healthd::auth
