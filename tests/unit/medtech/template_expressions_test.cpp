// Every expression in the MedTech sample mappings (../shared/testdata/medtech) parses with the engine
// its template names: `language` on an expression object, else the template's
// `defaultExpressionLanguage`, else JsonPath.
#include <strings.h>

#include "medtech/jmespath.h"
#include "medtech/json_path.h"
#include "suite_util.h"

namespace mt = healthd::medtech;
using namespace medtech_test;

namespace {

struct Found {
  std::string where, language, expression;
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void collect(const rapidjson::Value& v, std::string language, const std::string& where, std::vector<Found>& out) {
  if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i)
      collect(v[i], language, where + "[" + std::to_string(i) + "]", out);
    return;
  }
  if (!v.IsObject()) return;
  if (auto lang = healthd::json::get_string(v, "defaultExpressionLanguage")) language = std::string(*lang);
  for (const auto& m : v.GetObject()) {
    std::string name = m.name.GetString(), here = where + "." + name;
    if (ends_with(name, "Expression")) {
      if (m.value.IsString()) {
        out.push_back({here, language, m.value.GetString()});
        continue;
      }
      if (m.value.IsObject() && m.value.HasMember("value") && m.value["value"].IsString()) {
        auto lang = healthd::json::get_string(m.value, "language");
        out.push_back({here, lang ? std::string(*lang) : language, m.value["value"].GetString()});
        continue;
      }
    }
    collect(m.value, language, here, out);
  }
}

// Parses every expression of the JSON files in dir; returns how many expressions were checked.
int check_dir(const fs::path& dir, bool require_all_json) {
  int count = 0;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    rapidjson::Document d;
    std::string error;
    if (!healthd::json::parse(read_file(f), d, &error)) {
      if (require_all_json) ADD_FAILURE() << f << ": " << error;
      continue;
    }
    std::vector<Found> found;
    collect(d, "JsonPath", f.filename().string(), found);
    for (const auto& x : found) {
      ++count;
      if (strcasecmp(x.language.c_str(), "JmesPath") == 0) {
        mt::jmespath::Error err;
        EXPECT_TRUE(mt::jmespath::Expression::parse(x.expression, &err))
            << x.where << ": JMESPath " << x.expression << ": " << err.message;
      } else {
        EXPECT_EQ(strcasecmp(x.language.c_str(), "JsonPath"), 0) << x.where << ": unknown language " << x.language;
        mt::ExpressionError err;
        EXPECT_TRUE(mt::JsonPath::parse(x.expression, &err))
            << x.where << ": JSONPath " << x.expression << ": " << err.message;
      }
    }
  }
  return count;
}

}  // namespace

TEST(TemplateExpressions, SampleTemplatesParse) {
  int n = check_dir(testdata("medtech/templates"), true);
  std::cout << "medtech/templates: " << n << " expressions parsed\n";
  EXPECT_GT(n, 100);
}

TEST(TemplateExpressions, ConnectorTestInputsParse) {
  int n = check_dir(testdata("medtech/unittest-input"), false);
  std::cout << "medtech/unittest-input: " << n << " expressions parsed\n";
  EXPECT_GT(n, 50);
}
