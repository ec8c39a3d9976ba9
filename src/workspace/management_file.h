// <data>/management.json: the workspaces and services created through the management API,
// so they survive restarts. Written atomically (temp file, fsync, rename, fsync directory).
#pragma once

#include <string>
#include <vector>

#include "dicom/settings.h"
#include "fhir/settings.h"
#include "medtech/connector_settings.h"

namespace healthd::workspace {

struct SavedFhirService {
  std::string name;
  fhir::ServiceSettings settings;
};

struct SavedDicomService {
  std::string name;
  dicom::DicomSettings settings;
};

struct SavedIotConnector {
  std::string name;
  medtech::ConnectorSettings settings;  // destinations included
};

struct SavedWorkspace {
  std::string name;
  std::vector<SavedFhirService> fhir_services;
  std::vector<SavedDicomService> dicom_services;  // "dicomServices"
  std::vector<SavedIotConnector> iot_connectors;  // "iotConnectors"
};

struct ManagementState {
  std::vector<SavedWorkspace> workspaces;
};

// A missing file gives an empty state; a damaged one throws std::runtime_error naming the file.
ManagementState read_management_file(const std::string& path);
// Throws std::runtime_error when the file cannot be written.
void write_management_file(const std::string& path, const ManagementState& state);

// Replaces `path` with `content` so that a crash leaves either the old or the new file.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace healthd::workspace
