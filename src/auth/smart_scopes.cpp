#include "auth/smart_scopes.h"

#include <algorithm>
#include <array>

namespace healthd::auth {
namespace {

constexpr std::string_view kLetters = "cruds";  // order of Interaction and of v2 suffixes

constexpr uint8_t interaction_bit(Interaction i) { return static_cast<uint8_t>(1u << static_cast<int>(i)); }
constexpr uint8_t kV1Read = interaction_bit(Interaction::Read) | interaction_bit(Interaction::Search);
constexpr uint8_t kV1Write =
    interaction_bit(Interaction::Create) | interaction_bit(Interaction::Update) | interaction_bit(Interaction::Delete);

// Search parameters that shape results rather than filter them: meaningless in a restriction.
constexpr std::array<std::string_view, 10> kResultParameters = {
    "_include", "_revinclude", "_has", "_sort", "_count", "_elements", "_summary", "_total", "_contained",
    "_containedType"};

std::optional<ScopeContext> context_of(std::string_view prefix) {
  if (prefix == "patient") return ScopeContext::Patient;
  if (prefix == "user") return ScopeContext::User;
  if (prefix == "system") return ScopeContext::System;
  return std::nullopt;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// "read" / "write" / "*" (v1) or an ordered, repeat-free subset of "cruds" (v2).
bool parse_permissions(std::string_view text, ResourceScope& scope, std::string& why) {
  if (text == "read") scope.interactions = kV1Read;
  else if (text == "write") scope.interactions = kV1Write;
  else if (text == "*") scope.interactions = kV1Read | kV1Write;
  if (scope.interactions != 0) return true;
  scope.v2 = true;
  if (text.empty()) {
    why = "no permissions after '.'";
    return false;
  }
  size_t last = std::string_view::npos;
  for (char c : text) {
    size_t pos = kLetters.find(c);
    if (pos == std::string_view::npos) {
      why = std::string("'") + c + "' is not one of c, r, u, d, s (or read, write, *)";
      return false;
    }
    if (last != std::string_view::npos && pos <= last) {
      why = pos == last ? std::string("repeated '") + c + "'" : "letters must follow the order c, r, u, d, s";
      return false;
    }
    last = pos;
    scope.interactions |= static_cast<uint8_t>(1u << pos);
  }
  return true;
}

// "param=value&param=value": plain search parameters only.
bool parse_restriction(std::string_view query, ScopeRestriction& out, std::string& why) {
  while (true) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == pair.size()) {
      why = "restriction \"" + std::string(pair) + "\" is not param=value";
      return false;
    }
    auto name = percent_decode(pair.substr(0, eq));
    auto value = percent_decode(pair.substr(eq + 1));
    if (!name || !value) {
      why = "bad percent-encoding in \"" + std::string(pair) + "\"";
      return false;
    }
    if (name->find(':') != std::string::npos) {
      why = "modifiers are not allowed in a restriction (\"" + *name + "\")";
      return false;
    }
    if (name->find('.') != std::string::npos) {
      why = "chained parameters are not allowed in a restriction (\"" + *name + "\")";
      return false;
    }
    if (std::find(kResultParameters.begin(), kResultParameters.end(), *name) != kResultParameters.end()) {
      why = "\"" + *name + "\" is not allowed in a restriction";
      return false;
    }
    out.emplace_back(std::move(*name), std::move(*value));
    if (amp == std::string_view::npos) return true;
    query.remove_prefix(amp + 1);
  }
}

// A clinical scope "<context>/<type>.<permissions>[?restriction]" whose context is known.
bool parse_resource_scope(std::string_view text, ScopeContext context,
                          const std::function<bool(std::string_view)>& is_resource_type, ResourceScope& scope,
                          std::string& why) {
  scope.context = context;
  std::string_view body = text.substr(text.find('/') + 1);
  std::optional<std::string_view> query;
  if (size_t q = body.find('?'); q != std::string_view::npos) {
    query = body.substr(q + 1);
    body = body.substr(0, q);
  }
  size_t dot = body.rfind('.');
  if (dot == std::string_view::npos) {
    why = "expected <type>.<permissions>";
    return false;
  }
  std::string_view type = body.substr(0, dot);
  if (type != "*" && (type.empty() || !is_resource_type(type))) {
    why = "unknown resource type \"" + std::string(type) + "\"";
    return false;
  }
  scope.resource_type = type;
  if (!parse_permissions(body.substr(dot + 1), scope, why)) return false;
  if (!query) return true;
  if (!scope.v2) {
    why = "search restrictions need a v2 (cruds) scope";
    return false;
  }
  return parse_restriction(*query, scope.restriction, why);
}

}  // namespace

std::optional<SmartScopes> SmartScopes::parse(const std::vector<std::string>& scopes,
                                              const std::function<bool(std::string_view)>& is_resource_type,
                                              std::string* error) {
  SmartScopes out;
  for (const auto& text : scopes) {
    size_t slash = text.find('/');
    auto context = slash == std::string::npos ? std::nullopt : context_of(std::string_view(text).substr(0, slash));
    if (!context) continue;  // openid, fhirUser, launch/patient, offline_access, ...
    ResourceScope scope;
    std::string why;
    if (!parse_resource_scope(text, *context, is_resource_type, scope, why)) {
      if (error) *error = "invalid scope \"" + text + "\": " + why;
      return std::nullopt;
    }
    if (!out.scopes_.empty()) {
      const ResourceScope& first = out.scopes_.front();
      if (first.v2 != scope.v2) {
        if (error) *error = "invalid scopes: SMART v1 and v2 scopes are mixed (\"" + text + "\")";
        return std::nullopt;
      }
      if (first.context != scope.context) {
        if (error) *error = "invalid scopes: patient/, user/ and system/ scopes are mixed (\"" + text + "\")";
        return std::nullopt;
      }
    }
    out.scopes_.push_back(std::move(scope));
  }
  return out;
}

ScopeDecision SmartScopes::check(std::string_view resource_type, Interaction interaction) const {
  ScopeDecision decision;
  for (const auto& scope : scopes_) {
    if ((scope.interactions & interaction_bit(interaction)) == 0) continue;
    if (scope.resource_type != "*" && scope.resource_type != resource_type) continue;
    if (scope.restriction.empty()) return {true, {}};
    decision.restrictions.push_back(scope.restriction);
  }
  decision.allowed = !decision.restrictions.empty();
  return decision;
}

bool SmartScopes::has_context(ScopeContext c) const {
  return std::any_of(scopes_.begin(), scopes_.end(), [c](const ResourceScope& s) { return s.context == c; });
}
bool SmartScopes::has_patient_context() const { return has_context(ScopeContext::Patient); }
bool SmartScopes::has_user_context() const { return has_context(ScopeContext::User); }
bool SmartScopes::has_system_context() const { return has_context(ScopeContext::System); }
bool SmartScopes::any_resource_scope() const { return !scopes_.empty(); }

}  // namespace healthd::auth
