#include "app/load_units.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "common/file_io.h"
#include "json/json.h"

namespace healthd::app {

namespace fs = std::filesystem;

namespace {

bool input_name(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".json" || ext == ".ndjson";
}

// One NDJSON line as a transaction entry (the line is embedded as it is).
bool append_entry(std::string& bundle, std::string_view line, std::string& error) {
  json::Document doc;
  std::string why;
  if (!json::parse(line, doc, &why) || !doc.IsObject()) {
    error = "not a JSON object: " + why;
    return false;
  }
  auto type = json::get_string(doc, "resourceType");
  if (!type) {
    error = "no resourceType";
    return false;
  }
  auto id = json::get_string(doc, "id");
  if (bundle.back() != '[') bundle += ',';
  bundle += R"({"resource":)";
  bundle += line;
  bundle += R"(,"request":{"method":")";
  bundle += id ? "PUT" : "POST";
  bundle += R"(","url":")";
  bundle += *type;
  if (id) bundle += "/" + std::string(*id);
  bundle += R"("}})";
  return true;
}

constexpr const char* kBundleStart = R"({"resourceType":"Bundle","type":"transaction","entry":[)";

}  // namespace

std::vector<std::string> load_input_files(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    fs::path path(p);
    if (fs::is_directory(path)) {
      std::vector<std::string> found;
      for (const auto& e : fs::recursive_directory_iterator(path))
        if (e.is_regular_file() && input_name(e.path())) found.push_back(e.path().string());
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(path)) {
      out.push_back(path.string());
    } else {
      throw std::runtime_error("no such file or directory: " + p);
    }
  }
  return out;
}

FileUnits load_file_units(const std::string& file, size_t batch) {
  FileUnits out;
  std::string text;
  if (!read_file(file, text)) {
    out.error = "cannot read the file";
    return out;
  }
  if (fs::path(file).extension() == ".ndjson") {
    std::string bundle = kBundleStart;
    size_t in_bundle = 0, line_no = 0, pos = 0;
    auto flush = [&] {
      if (in_bundle == 0) return;
      bundle += "]}";
      out.units.push_back(LoadUnit{file, out.units.size(), std::move(bundle), in_bundle});
      bundle = kBundleStart;
      in_bundle = 0;
    };
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      std::string_view line(text.data() + pos, end - pos);
      pos = end + 1;
      ++line_no;
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      if (line.empty()) continue;
      std::string why;
      if (!append_entry(bundle, line, why)) {
        out.units.clear();
        out.error = "line " + std::to_string(line_no) + ": " + why;
        return out;
      }
      if (++in_bundle >= batch) flush();
    }
    flush();
    return out;
  }

  json::Document doc;
  std::string why;
  if (!json::parse(text, doc, &why) || !doc.IsObject()) {
    out.error = "not a JSON object: " + why;
    return out;
  }
  auto type = json::get_string(doc, "resourceType");
  if (!type) {
    out.error = "no resourceType";
    return out;
  }
  if (*type == "Bundle") {
    const json::Value* entries = json::get_member(doc, "entry");
    size_t n = entries && entries->IsArray() ? entries->Size() : 0;
    out.units.push_back(LoadUnit{file, 0, std::move(text), n});
    return out;
  }
  std::string bundle = kBundleStart;
  if (!append_entry(bundle, text, out.error)) return out;
  bundle += "]}";
  out.units.push_back(LoadUnit{file, 0, std::move(bundle), 1});
  return out;
}

}  // namespace healthd::app
