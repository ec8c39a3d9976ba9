// DICOM service settings <-> the camelCase `properties` object of the management API (also the
// form kept in management.json): overwrite, authenticationConfiguration {audience},
// corsConfiguration.
#pragma once

#include <string>

#include "dicom/settings.h"
#include "json/json.h"

namespace healthd::workspace {

void add_dicom_settings_members(const dicom::DicomSettings& settings, json::Value& obj, json::Allocator& a);

// Absent members keep their defaults (PUT replaces); read-only ones (provisioningState,
// serviceUrl) are ignored; an unknown member or bad value gives false and `error` naming it.
bool read_dicom_settings(const json::Value& properties, dicom::DicomSettings& out, std::string& error);

}  // namespace healthd::workspace
