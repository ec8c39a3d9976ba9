#include "auth/compartment.h"

#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace healthd::auth {
namespace {

using Step = PatientCompartment::Step;
using Path = PatientCompartment::Path;

// ---- text helpers ----

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string without_spaces(std::string_view s) {
  std::string out;
  for (char c : s)
    if (!std::isspace(static_cast<unsigned char>(c))) out += c;
  return out;
}

bool is_identifier(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s.front()))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// Splits s on sep outside parentheses and quotes.
std::vector<std::string_view> split_top_level(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  int depth = 0;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\'') quoted = !quoted;
    if (quoted) continue;
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == sep && depth == 0) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(s.substr(start));
  return parts;
}

// The type an expression part starts from: "Observation" for "(Observation.value as Reference)".
std::string_view root_type(std::string_view part) {
  part = trim(part);
  while (!part.empty() && part.front() == '(') part = trim(part.substr(1));
  size_t end = 0;
  while (end < part.size() && std::isalnum(static_cast<unsigned char>(part[end]))) ++end;
  return part.substr(0, end);
}

// ---- compiling one expression part into a Path ----

// One step after a '.': name | where(resolve() is T) | as(T) | ofType(T).
std::optional<Step> compile_step(std::string_view text) {
  text = trim(text);
  if (is_identifier(text)) return Step{Step::Kind::Child, std::string(text)};
  size_t open = text.find('(');
  if (open == std::string_view::npos || text.back() != ')') return std::nullopt;
  std::string_view fn = trim(text.substr(0, open));
  std::string arg = without_spaces(text.substr(open + 1, text.size() - open - 2));
  if ((fn == "as" || fn == "ofType") && is_identifier(arg)) return Step{Step::Kind::AsType, arg};
  constexpr std::string_view kResolveIs = "resolve()is";
  if (fn == "where" && arg.starts_with(kResolveIs) && is_identifier(arg.substr(kResolveIs.size())))
    return Step{Step::Kind::WhereResolveIs, arg.substr(kResolveIs.size())};
  return std::nullopt;
}

// "Type.a.b" followed by steps; the first segment must be type.
bool compile_dotted(std::string_view text, std::string_view type, Path& out) {
  auto segments = split_top_level(trim(text), '.');
  if (trim(segments.front()) != type) return false;
  for (size_t i = 1; i < segments.size(); ++i) {
    auto step = compile_step(segments[i]);
    if (!step) return false;
    out.push_back(std::move(*step));
  }
  return !out.empty();
}

// Splits "X as T" at a top-level " as "; returns false when there is none.
bool split_as(std::string_view text, std::string_view& left, std::string& type) {
  int depth = 0;
  for (size_t i = 0; i + 4 <= text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')') --depth;
    if (depth == 0 && text.substr(i, 4) == " as ") {
      left = text.substr(0, i);
      type = std::string(trim(text.substr(i + 4)));
      return is_identifier(type);
    }
  }
  return false;
}

// Accepts: Type.path[.steps] | Type.path as T | (Type.path as T)[.steps].
std::optional<Path> compile_part(std::string_view part, std::string_view type) {
  part = trim(part);
  Path path;
  if (part.starts_with('(')) {
    size_t close = 0;
    int depth = 0;
    for (size_t i = 0; i < part.size(); ++i) {
      if (part[i] == '(') ++depth;
      if (part[i] == ')' && --depth == 0) {
        close = i;
        break;
      }
    }
    if (close == 0) return std::nullopt;
    auto inner = compile_part(part.substr(1, close - 1), type);
    if (!inner) return std::nullopt;
    path = std::move(*inner);
    std::string_view rest = trim(part.substr(close + 1));
    if (rest.empty()) return path;
    if (!rest.starts_with('.')) return std::nullopt;
    for (auto segment : split_top_level(rest.substr(1), '.')) {
      auto step = compile_step(segment);
      if (!step) return std::nullopt;
      path.push_back(std::move(*step));
    }
    return path;
  }
  std::string_view left;
  std::string as_type;
  if (split_as(part, left, as_type)) {
    if (!compile_dotted(left, type, path)) return std::nullopt;
    path.push_back({Step::Kind::AsType, as_type});
    return path;
  }
  if (!compile_dotted(part, type, path)) return std::nullopt;
  return path;
}

// A choice element (value[x]) is only looked for where a type is asked of it, so a stray
// "subjectFoo" member never stands in for "subject".
void mark_choice_elements(Path& path) {
  for (size_t i = 0; i + 1 < path.size(); ++i)
    if (path[i].kind == Step::Kind::Child && path[i + 1].kind == Step::Kind::AsType) path[i].choice = true;
}

// ---- evaluating a Path over JSON ----

struct Node {
  const rapidjson::Value* value;
  std::string_view choice_type;  // "Reference" for valueReference; empty for a plain element
};

void push_flattened(const rapidjson::Value& v, std::string_view choice_type, std::vector<Node>& out) {
  if (v.IsArray()) {
    for (const auto& item : v.GetArray()) out.push_back({&item, choice_type});
  } else {
    out.push_back({&v, choice_type});
  }
}

// name, or (for a choice step) a choice element name[x] (valueReference, valueString, ...).
void child(const Node& node, const Step& step, std::vector<Node>& out) {
  if (!node.value->IsObject()) return;
  const std::string_view name = step.name;
  for (const auto& m : node.value->GetObject()) {
    std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (key == name) {
      push_flattened(m.value, {}, out);
    } else if (step.choice && key.size() > name.size() && key.starts_with(name) &&
               std::isupper(static_cast<unsigned char>(key[name.size()]))) {
      push_flattened(m.value, key.substr(name.size()), out);
    }
  }
}

std::string_view reference_of(const rapidjson::Value& v) {
  if (!v.IsObject()) return {};
  auto it = v.FindMember("reference");
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

// The resource type a reference string names ("Patient" for ".../Patient/1/_history/2").
std::string_view reference_type(std::string_view reference) {
  if (size_t h = reference.find("/_history/"); h != std::string_view::npos) reference = reference.substr(0, h);
  size_t last = reference.rfind('/');
  if (last == std::string_view::npos) return {};
  std::string_view before = reference.substr(0, last);
  size_t prev = before.rfind('/');
  return prev == std::string_view::npos ? before : before.substr(prev + 1);
}

std::vector<Node> evaluate(const Path& path, const rapidjson::Value& resource) {
  std::vector<Node> nodes{{&resource, {}}};
  for (const Step& step : path) {
    std::vector<Node> next;
    for (const Node& node : nodes) {
      switch (step.kind) {
        case Step::Kind::Child:
          child(node, step, next);
          break;
        case Step::Kind::AsType:
          // A choice element keeps its declared type; a plain element's type is unknown without
          // the StructureDefinitions, so it passes only "as Reference" (checked again below).
          if (node.choice_type == step.name || (node.choice_type.empty() && step.name == "Reference"))
            next.push_back({node.value, step.name});
          break;
        case Step::Kind::WhereResolveIs:
          if (reference_type(reference_of(*node.value)) == step.name) next.push_back(node);
          break;
      }
    }
    nodes = std::move(next);
  }
  return nodes;
}

// ---- loading ----

void read_json(const std::string& path, json::Document& doc) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  if (!json::parse(text.str(), doc, &error)) throw std::runtime_error(path + ": " + error);
}

// (base type, code) -> expression, from a Bundle of SearchParameters.
std::map<std::pair<std::string, std::string>, std::string> index_search_parameters(const json::Document& bundle,
                                                                                  const std::string& file) {
  const json::Value* entries = json::get_member(bundle, "entry");
  if (entries == nullptr || !entries->IsArray()) throw std::runtime_error(file + ": not a Bundle of SearchParameters");
  std::map<std::pair<std::string, std::string>, std::string> index;
  for (const auto& entry : entries->GetArray()) {
    const json::Value* sp = json::get_member(entry, "resource");
    if (sp == nullptr) continue;
    auto code = json::get_string(*sp, "code");
    auto expression = json::get_string(*sp, "expression");
    const json::Value* bases = json::get_member(*sp, "base");
    if (!code || !expression || bases == nullptr || !bases->IsArray()) continue;
    for (const auto& base : bases->GetArray())
      if (base.IsString()) index[{base.GetString(), std::string(*code)}] = std::string(*expression);
  }
  return index;
}

}  // namespace

bool reference_points_to(std::string_view reference, std::string_view type, std::string_view id) {
  // Conditional ("Patient?identifier=...") and fragment references name no resource by id.
  if (reference.find_first_of("?#") != std::string_view::npos) return false;
  if (size_t h = reference.find("/_history/"); h != std::string_view::npos) reference = reference.substr(0, h);
  size_t last = reference.rfind('/');
  if (last == std::string_view::npos || reference.substr(last + 1) != id) return false;
  return reference_type(reference) == type;
}

std::shared_ptr<const PatientCompartment> PatientCompartment::load(const std::string& definitions_dir) {
  const std::string compartment_file = definitions_dir + "/compartmentdefinition-patient.json";
  const std::string parameters_file = definitions_dir + "/search-parameters.json";
  json::Document definition, parameters;
  read_json(compartment_file, definition);
  read_json(parameters_file, parameters);
  if (json::get_string(definition, "resourceType") != "CompartmentDefinition" ||
      json::get_string(definition, "code") != "Patient")
    throw std::runtime_error(compartment_file + ": not the Patient CompartmentDefinition");
  const json::Value* resources = json::get_member(definition, "resource");
  if (resources == nullptr || !resources->IsArray())
    throw std::runtime_error(compartment_file + ": no resource list");
  auto expressions = index_search_parameters(parameters, parameters_file);

  std::vector<ParamExpression> list;
  for (const auto& resource : resources->GetArray()) {
    auto type = json::get_string(resource, "code");
    const json::Value* params = json::get_member(resource, "param");
    if (!type || params == nullptr || !params->IsArray()) continue;
    for (const auto& param : params->GetArray()) {
      if (!param.IsString()) continue;
      auto it = expressions.find({std::string(*type), param.GetString()});
      list.push_back({std::string(*type), param.GetString(), it == expressions.end() ? "" : it->second});
    }
  }
  return from_expressions(list);
}

std::shared_ptr<const PatientCompartment> PatientCompartment::from_expressions(
    const std::vector<ParamExpression>& params) {
  auto out = std::make_shared<PatientCompartment>();
  for (const auto& [type, param, expression] : params) {
    TypeEntry& entry = out->types_[type];
    entry.params.push_back(param);
    std::string where = type + "." + param;
    if (expression.empty()) {
      out->unhandled_.push_back(where + ": (no SearchParameter)");
      continue;
    }
    bool any = false;
    for (auto part : split_top_level(expression, '|')) {
      if (root_type(part) != type) continue;
      any = true;
      if (auto path = compile_part(part, type)) {
        mark_choice_elements(*path);
        entry.paths.push_back(std::move(*path));
      } else {
        out->unhandled_.push_back(where + ": " + std::string(trim(part)) + " (unsupported FHIRPath)");
      }
    }
    if (!any) out->unhandled_.push_back(where + ": " + expression + " (no part for this type)");
  }
  return out;
}

bool PatientCompartment::type_in_compartment(std::string_view type) const { return types_.contains(type); }

const std::vector<std::string>& PatientCompartment::params(std::string_view type) const {
  static const std::vector<std::string> kNone;
  auto it = types_.find(type);
  return it == types_.end() ? kNone : it->second.params;
}

bool PatientCompartment::contains(const rapidjson::Value& resource, std::string_view patient_id) const {
  auto type = json::get_string(resource, "resourceType");
  if (!type || patient_id.empty()) return false;
  if (*type == "Patient" && json::get_string(resource, "id") == patient_id) return true;
  auto it = types_.find(*type);
  if (it == types_.end()) return false;
  for (const Path& path : it->second.paths)
    for (const Node& node : evaluate(path, resource))
      if (reference_points_to(reference_of(*node.value), "Patient", patient_id)) return true;
  return false;
}

}  // namespace healthd::auth
