// `healthd token`: prints an access token signed with the server's own key, for scripts and tests.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/commands.h"
#include "auth/signing_keys.h"
#include "common/ids.h"
#include "common/time.h"
#include "json/json.h"
#include "workspace/management_file.h"
#include "workspace/server_identity.h"

namespace healthd::app {

namespace {

std::vector<std::string> split_list(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) {
    size_t b = cur.find_first_not_of(' '), e = cur.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(cur.substr(b, e - b + 1));
  }
  return out;
}

// With no --roles a token carries every built-in role plus the administrator role.
std::vector<std::string> all_builtin_role_names() {
  return {"FHIR Data Reader",   "FHIR Data Writer",   "FHIR Data Contributor", "FHIR Data Exporter",
          "FHIR Data Importer", "FHIR Data Converter", "FHIR SMART User",       "DICOM Data Owner",
          "DICOM Data Reader",  "healthd Administrator"};
}

}  // namespace

int token_command(int argc, char** argv) {
  std::string data = "./data", client = "healthd-cli", roles_arg, scope, fhir_user, audience;
  int lifetime = 3600;
  bool roles_given = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return usage_error("option '" + arg + "' needs a value");
    std::string v = argv[++i];
    if (arg == "--data") data = v;
    else if (arg == "--client") client = v;
    else if (arg == "--roles") roles_arg = v, roles_given = true;
    else if (arg == "--scope") scope = v;
    else if (arg == "--fhir-user") fhir_user = v;
    else if (arg == "--audience") audience = v;
    else if (arg == "--lifetime") {
      try {
        lifetime = std::stoi(v);
      } catch (const std::exception&) {
        lifetime = 0;
      }
      if (lifetime < 1 || lifetime > 86400) return usage_error("--lifetime must be 1 to 86400 seconds");
    } else {
      return usage_error("unknown option '" + arg + "'");
    }
  }

  try {
    workspace::ServerIdentity identity = workspace::read_server_identity(data);
    auto keys = auth::SigningKeys::open(data);

    // Audiences: the one asked for, else every service of this server and its management API.
    std::vector<std::string> audiences;
    if (!audience.empty()) {
      audiences.push_back(audience);
    } else {
      audiences = workspace::all_audiences(identity, workspace::read_management_file(data + "/management.json"));
    }
    std::vector<std::string> roles = roles_given ? split_list(roles_arg, ',') : all_builtin_role_names();

    json::Document claims(rapidjson::kObjectType);
    auto& a = claims.GetAllocator();
    int64_t now = now_us() / 1000000;
    claims.AddMember("iss", json::str(identity.issuer, a), a);
    claims.AddMember("sub", json::str(client, a), a);
    claims.AddMember("oid", json::str(client, a), a);
    claims.AddMember("azp", json::str(client, a), a);
    claims.AddMember("appid", json::str(client, a), a);
    json::Value aud(rapidjson::kArrayType);
    for (const auto& x : audiences) aud.PushBack(json::str(x, a), a);
    claims.AddMember("aud", aud, a);
    claims.AddMember("iat", now, a);
    claims.AddMember("nbf", now, a);
    claims.AddMember("exp", now + lifetime, a);
    claims.AddMember("jti", json::str(new_uuid(), a), a);
    json::Value role_list(rapidjson::kArrayType);
    for (const auto& r : roles) role_list.PushBack(json::str(r, a), a);
    claims.AddMember("roles", role_list, a);
    if (!scope.empty()) claims.AddMember("scp", json::str(scope, a), a);
    if (!fhir_user.empty()) claims.AddMember("fhirUser", json::str(fhir_user, a), a);
    std::printf("%s\n", keys->sign(json::to_string(claims)).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "healthd token: %s\n", e.what());
    return 1;
  }
}

}  // namespace healthd::app
