#include "fhir/settings.h"

namespace healthd::fhir {

bool parse_versioning(const std::string& name, Versioning& out) {
  if (name == "versioned") out = Versioning::Versioned;
  else if (name == "version-update") out = Versioning::VersionUpdate;
  else if (name == "no-version") out = Versioning::NoVersion;
  else return false;
  return true;
}

const char* versioning_name(Versioning v) {
  switch (v) {
    case Versioning::Versioned: return "versioned";
    case Versioning::VersionUpdate: return "version-update";
    case Versioning::NoVersion: return "no-version";
  }
  return "versioned";
}

}  // namespace healthd::fhir
