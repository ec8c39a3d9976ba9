#include "app/load_units.h"

#include <rapidjson/reader.h>

#include <algorithm>
#include <filesystem>
#include <optional>
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

// Reads JSON events until the top-level object's "resourceType" string, then stops the parse.
class ResourceTypeFinder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, ResourceTypeFinder> {
 public:
  std::optional<std::string> found;

  bool Default() { return after_value(); }
  // A container is not a string: a resourceType that holds one is no type.
  bool StartObject() { return ++depth_, after_value(); }
  bool EndObject(rapidjson::SizeType) { return --depth_, after_value(); }
  bool StartArray() { return ++depth_, after_value(); }
  bool EndArray(rapidjson::SizeType) { return --depth_, after_value(); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    next_is_type_ = depth_ == 1 && std::string_view(s, n) == "resourceType";
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (next_is_type_) {
      found.emplace(s, n);
      return false;  // stops the parse: nothing more is needed
    }
    return true;
  }

 private:
  bool after_value() {
    next_is_type_ = false;
    return true;
  }
  int depth_ = 0;
  bool next_is_type_ = false;
};

// The resourceType of a JSON object, read without parsing the rest of it; nullopt when the text
// is not a JSON object with a string resourceType (as far as it was read).
std::optional<std::string> top_level_resource_type(const std::string& text) {
  ResourceTypeFinder finder;
  rapidjson::Reader reader;
  rapidjson::StringStream in(text.c_str());
  reader.Parse<rapidjson::kParseStopWhenDoneFlag>(in, finder);
  return finder.found;
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
      out.units.push_back(LoadUnit{file, out.units.size(), std::move(bundle)});
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

  // A Bundle is sent as it is: only its resourceType is read here (the server parses and checks
  // the rest, and its answer says how many entries were stored).
  const std::optional<std::string> type = top_level_resource_type(text);
  if (type == "Bundle") {
    out.units.push_back(LoadUnit{file, 0, std::move(text)});
    return out;
  }
  std::string bundle = kBundleStart;
  if (!append_entry(bundle, text, out.error)) return out;
  bundle += "]}";
  out.units.push_back(LoadUnit{file, 0, std::move(bundle)});
  return out;
}

}  // namespace healthd::app
