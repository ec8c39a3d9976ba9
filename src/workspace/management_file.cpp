#include "workspace/management_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "json/json.h"
#include "workspace/dicom_settings_json.h"
#include "workspace/iot_settings_json.h"
#include "workspace/names.h"
#include "workspace/settings_json.h"

namespace healthd::workspace {

namespace {

[[noreturn]] void fail_io(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " '" + path + "': " + std::strerror(errno));
}

void fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) fail_io("cannot open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail_io("cannot fsync", path);
}

[[noreturn]] void damaged(const std::string& path, const std::string& why) {
  throw std::runtime_error("management file '" + path + "' is damaged: " + why);
}

void read_iot_connector(const std::string& path, SavedWorkspace& ws, const json::Value& c) {
  auto name = json::get_string(c, "name");
  if (!name || !is_valid_name(*name)) damaged(path, "an IoT connector of '" + ws.name + "' has no valid name");
  SavedIotConnector saved{std::string(*name), {}};
  std::string error;
  if (const json::Value* props = json::get_member(c, "properties"); props && props->IsObject())
    if (!read_connector_properties(*props, saved.settings, error)) damaged(path, ws.name + "/" + saved.name + ": " + error);
  if (const json::Value* dests = json::get_member(c, "fhirDestinations"); dests && dests->IsArray())
    for (const auto& d : dests->GetArray()) {
      auto dname = json::get_string(d, "name");
      const json::Value* props = json::get_member(d, "properties");
      if (!dname || !is_valid_name(*dname) || !props || !props->IsObject())
        damaged(path, "a FHIR destination of '" + ws.name + "/" + saved.name + "' is not valid");
      medtech::DestinationSettings dest;
      if (!read_destination_properties(*props, dest, error))
        damaged(path, ws.name + "/" + saved.name + "/" + std::string(*dname) + ": " + error);
      saved.settings.destinations[std::string(*dname)] = dest;
    }
  ws.iot_connectors.push_back(std::move(saved));
}

json::Value iot_connector_json(const SavedIotConnector& c, json::Allocator& a) {
  json::Value co(rapidjson::kObjectType);
  co.AddMember("name", json::str(c.name, a), a);
  json::Value props(rapidjson::kObjectType);
  add_connector_members(c.settings, props, a, /*with_secrets=*/true);
  co.AddMember("properties", props, a);
  json::Value dests(rapidjson::kArrayType);
  for (const auto& [dname, d] : c.settings.destinations) {
    json::Value dobj(rapidjson::kObjectType), dprops(rapidjson::kObjectType);
    dobj.AddMember("name", json::str(dname, a), a);
    add_destination_members(d, dprops, a);
    dobj.AddMember("properties", dprops, a);
    dests.PushBack(dobj, a);
  }
  co.AddMember("fhirDestinations", dests, a);
  return co;
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail_io("cannot create", tmp);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      fail_io("cannot write", tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail_io("cannot fsync", tmp);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail_io("cannot rename to", path);
  std::string dir = std::filesystem::path(path).parent_path().string();
  fsync_path(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
}

ManagementState read_management_file(const std::string& path) {
  ManagementState state;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return state;
    throw std::runtime_error("cannot read management file '" + path + "'");
  }
  std::stringstream buf;
  buf << in.rdbuf();
  json::Document doc;
  std::string error;
  if (!json::parse(buf.str(), doc, &error)) damaged(path, error);
  const json::Value* list = doc.IsObject() ? json::get_member(doc, "workspaces") : nullptr;
  if (!list || !list->IsArray()) damaged(path, "no workspaces list");
  for (const auto& w : list->GetArray()) {
    auto name = json::get_string(w, "name");
    if (!name || !is_valid_name(*name)) damaged(path, "a workspace has no valid name");
    SavedWorkspace ws{std::string(*name), {}, {}, {}};
    if (const json::Value* services = json::get_member(w, "fhirServices")) {
      if (!services->IsArray()) damaged(path, "fhirServices of '" + ws.name + "' is not a list");
      for (const auto& s : services->GetArray()) {
        auto sname = json::get_string(s, "name");
        if (!sname || !is_valid_name(*sname)) damaged(path, "a FHIR service of '" + ws.name + "' has no valid name");
        SavedFhirService svc{std::string(*sname), {}};
        if (const json::Value* props = json::get_member(s, "properties"))
          if (!read_settings(*props, svc.settings, error)) damaged(path, ws.name + "/" + svc.name + ": " + error);
        ws.fhir_services.push_back(std::move(svc));
      }
    }
    if (const json::Value* services = json::get_member(w, "dicomServices")) {
      if (!services->IsArray()) damaged(path, "dicomServices of '" + ws.name + "' is not a list");
      for (const auto& s : services->GetArray()) {
        auto sname = json::get_string(s, "name");
        if (!sname || !is_valid_name(*sname)) damaged(path, "a DICOM service of '" + ws.name + "' has no valid name");
        SavedDicomService svc{std::string(*sname), {}};
        if (const json::Value* props = json::get_member(s, "properties"))
          if (!read_dicom_settings(*props, svc.settings, error)) damaged(path, ws.name + "/" + svc.name + ": " + error);
        ws.dicom_services.push_back(std::move(svc));
      }
    }
    if (const json::Value* connectors = json::get_member(w, "iotConnectors")) {
      if (!connectors->IsArray()) damaged(path, "iotConnectors of '" + ws.name + "' is not a list");
      for (const auto& c : connectors->GetArray()) read_iot_connector(path, ws, c);
    }
    state.workspaces.push_back(std::move(ws));
  }
  return state;
}

void write_management_file(const std::string& path, const ManagementState& state) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("version", 1, a);
  json::Value list(rapidjson::kArrayType);
  for (const auto& w : state.workspaces) {
    json::Value wo(rapidjson::kObjectType);
    wo.AddMember("name", json::str(w.name, a), a);
    json::Value services(rapidjson::kArrayType);
    for (const auto& s : w.fhir_services) {
      json::Value so(rapidjson::kObjectType);
      so.AddMember("name", json::str(s.name, a), a);
      json::Value props(rapidjson::kObjectType);
      add_settings_members(s.settings, props, a);
      so.AddMember("properties", props, a);
      services.PushBack(so, a);
    }
    wo.AddMember("fhirServices", services, a);
    json::Value dicom(rapidjson::kArrayType);
    for (const auto& s : w.dicom_services) {
      json::Value so(rapidjson::kObjectType);
      so.AddMember("name", json::str(s.name, a), a);
      json::Value props(rapidjson::kObjectType);
      add_dicom_settings_members(s.settings, props, a);
      so.AddMember("properties", props, a);
      dicom.PushBack(so, a);
    }
    wo.AddMember("dicomServices", dicom, a);
    json::Value connectors(rapidjson::kArrayType);
    for (const auto& c : w.iot_connectors) connectors.PushBack(iot_connector_json(c, a), a);
    wo.AddMember("iotConnectors", connectors, a);
    list.PushBack(wo, a);
  }
  doc.AddMember("workspaces", list, a);
  write_file_atomically(path, json::to_string(doc, true) + "\n");
}

}  // namespace healthd::workspace
