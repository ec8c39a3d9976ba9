#include "fhir/profile.h"

#include <algorithm>

namespace healthd::fhir {

namespace {

using rapidjson::Value;

constexpr std::string_view kCorePrefix = "http://hl7.org/fhir/StructureDefinition/";

std::string_view sv(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

std::string_view str_member(const Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsString() ? sv(it->value) : std::string_view{};
}

std::string capitalized(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

// FHIR pattern semantics: every member of the pattern is in the value (arrays: each pattern item
// is contained in some value item); primitives are equal.
bool contains_pattern(const Value& value, const Value& pattern) {
  if (pattern.IsObject()) {
    if (!value.IsObject()) return false;
    for (const auto& m : pattern.GetObject()) {
      auto it = value.FindMember(m.name);
      if (it == value.MemberEnd() || !contains_pattern(it->value, m.value)) return false;
    }
    return true;
  }
  if (pattern.IsArray()) {
    if (!value.IsArray()) return false;
    for (const auto& p : pattern.GetArray()) {
      bool found = false;
      for (const auto& v : value.GetArray())
        if (contains_pattern(v, p)) {
          found = true;
          break;
        }
      if (!found) return false;
    }
    return true;
  }
  if (pattern.IsNumber() && value.IsNumber()) return pattern.GetDouble() == value.GetDouble();
  return value == pattern;
}

std::string describe_json(const Value& v) {
  std::string s = json::to_string(v);
  return s.size() > 120 ? s.substr(0, 120) + "..." : s;
}

}  // namespace

struct ProfileNode {
  std::string name;     // JSON member name; for a choice the name without [x] (matches name + Type)
  bool choice = false;
  std::string slice;    // slice name ("" for the element itself)
  std::string label;    // element id, for diagnostics: Patient.identifier:mrn
  std::optional<uint32_t> min, max;
  const Value* fixed = nullptr;    // in Profile::values_
  const Value* pattern = nullptr;
  std::shared_ptr<const RequiredBinding> binding;
  std::vector<CompiledConstraint> constraints;
  const ElementModel* base = nullptr;  // the element's definition in the base model (type, cardinality)
  const TypeModel* model = nullptr;    // shape of its object values, when known
  std::string type_code;               // the element's type (binding checks)
  std::string extension_url;           // a slice of extension: the url its items carry (type.profile)
  // Slicing of this element: discriminators (value/pattern only) and whether unmatched items are allowed.
  bool sliced = false;
  bool closed = false;
  std::vector<std::pair<std::string, std::string>> discriminators;  // type, path
  std::string slicing_unsupported;  // why the slices cannot be told apart (then not checked)
  std::vector<std::unique_ptr<ProfileNode>> children;
  std::vector<std::unique_ptr<ProfileNode>> slices;

  ProfileNode* child(std::string_view n) const {
    for (const auto& c : children)
      if (c->name == n) return c.get();
    return nullptr;
  }
};

namespace {

// Builds the rule tree from ElementDefinitions.
class ProfileBuilder {
 public:
  ProfileBuilder(const Definitions& defs, ProfileNode& root, rapidjson::Document& values, std::vector<std::string>& notes)
      : defs_(defs), root_(root), values_(values), notes_(notes) {}

  bool add(const Value& e, std::string* error) {
    std::string id(str_member(e, "id"));
    if (id.empty()) {  // no id: the path, with the slice name on the last segment
      id = std::string(str_member(e, "path"));
      if (auto s = str_member(e, "sliceName"); !s.empty()) id += ":" + std::string(s);
    }
    if (id.empty()) return fail(error, "an element has neither id nor path");
    // Segments "name" or "name:slice"; the first is the resource type.
    std::vector<std::string> segs;
    size_t start = 0;
    while (true) {
      size_t dot = id.find('.', start);
      // a dot inside a slice name (after ':' and before the next segment) is rare; not supported
      segs.push_back(id.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (segs[0] != root_.name) return fail(error, "element " + id + " is not in " + root_.name);
    ProfileNode* node = &root_;
    for (size_t i = 1; i < segs.size(); ++i) {
      std::string_view seg = segs[i];
      std::string_view name = seg.substr(0, seg.find(':'));
      std::string_view slice = seg.find(':') == std::string_view::npos ? std::string_view{} : seg.substr(seg.find(':') + 1);
      bool last = i + 1 == segs.size();
      ProfileNode* next = child_of(*node, name, last ? &e : nullptr, id, error);
      if (!next) return false;
      if (!slice.empty()) next = slice_of(*next, slice, id);
      node = next;
    }
    apply(*node, e, node == &root_);
    return true;
  }

 private:
  static bool fail(std::string* error, std::string why) {
    if (error) *error = std::move(why);
    return false;
  }

  // The child element `name` of node, created from the base model when new. `e` is the element's
  // own definition when this is its last segment (its type narrows a choice).
  ProfileNode* child_of(ProfileNode& node, std::string_view name, const Value* e, const std::string& id,
                        std::string* error) {
    bool choice = name.size() > 3 && name.substr(name.size() - 3) == "[x]";
    std::string json_name(choice ? name.substr(0, name.size() - 3) : name);
    // value[x] narrowed to one type is the member valueQuantity.
    std::string only_type;
    if (choice && e) {
      auto types = e->FindMember("type");
      if (types != e->MemberEnd() && types->value.IsArray() && types->value.Size() == 1 && types->value[0].IsObject())
        only_type = std::string(str_member(types->value[0], "code"));
    }
    if (!only_type.empty()) {
      json_name += capitalized(only_type);
      choice = false;
    }
    if (ProfileNode* existing = node.child(json_name)) return existing;
    if (choice) {
      // value[x] again after it was narrowed (value[x] with type Quantity, then value[x].code):
      // the narrowed node; else one choice node.
      for (const auto& c : node.children) {
        if (c->choice && c->name == json_name) return c.get();
        if (!c->choice && c->name.size() > json_name.size() && c->name.compare(0, json_name.size(), json_name) == 0 &&
            is_upper(c->name[json_name.size()]) && c->base && c->base->choice)
          return c.get();
      }
    }
    if (!node.model) {
      fail(error, "element " + id + ": the type of its parent is not known (a choice with several types?)");
      return nullptr;
    }
    auto n = std::make_unique<ProfileNode>();
    n->name = json_name;
    n->choice = choice;
    n->label = node.label + "." + std::string(name);
    if (choice) {
      // Any one type of the choice: the model is unknown until the value is seen.
      bool found = false;
      for (const auto& el : node.model->elements)
        if (el.choice && node.model->slot_names[el.slot] == std::string(name)) found = true;
      if (!found) {
        fail(error, "element " + id + ": " + node.model->name + " has no element " + std::string(name));
        return nullptr;
      }
    } else {
      const ElementModel* el = node.model->find(json_name);
      if (!el) {
        fail(error, "element " + id + ": " + node.model->name + " has no element " + json_name);
        return nullptr;
      }
      n->base = el;
      n->model = el->kind == ElementKind::Complex ? el->type : nullptr;
      n->type_code = el->type_code;
    }
    node.children.push_back(std::move(n));
    return node.children.back().get();
  }

  ProfileNode* slice_of(ProfileNode& node, std::string_view slice, const std::string& id) {
    for (const auto& s : node.slices)
      if (s->slice == slice) return s.get();
    auto n = std::make_unique<ProfileNode>();
    n->name = node.name;
    n->choice = node.choice;
    n->slice = std::string(slice);
    n->label = node.label + ":" + std::string(slice);
    n->base = node.base;
    n->model = node.model;
    n->type_code = node.type_code;
    node.slices.push_back(std::move(n));
    return node.slices.back().get();
  }

  void apply(ProfileNode& n, const Value& e, bool is_root) {
    bool is_slice = !n.slice.empty();
    if (!is_root) {
      if (auto m = e.FindMember("min"); m != e.MemberEnd() && m->value.IsUint()) {
        uint32_t v = m->value.GetUint();
        if (is_slice || !n.base || v != n.base->min) n.min = v;
      }
      if (std::string_view max = str_member(e, "max"); !max.empty()) {
        uint32_t v = ElementModel::kUnbounded;
        if (max != "*") {
          v = 0;
          for (char c : max) v = c >= '0' && c <= '9' ? v * 10 + static_cast<uint32_t>(c - '0') : v;
        }
        if (is_slice || !n.base || v != n.base->max) n.max = v;
      }
    }
    for (const auto& m : e.GetObject()) {
      std::string_view name = sv(m.name);
      bool fixed = name.size() > 5 && name.substr(0, 5) == "fixed" && is_upper(name[5]);
      bool pattern = name.size() > 7 && name.substr(0, 7) == "pattern" && is_upper(name[7]);
      if (!fixed && !pattern) continue;
      Value copy(m.value, values_.GetAllocator());
      values_["v"].PushBack(copy, values_.GetAllocator());
      const Value* stored = &values_["v"][values_["v"].Size() - 1];
      (fixed ? n.fixed : n.pattern) = stored;
      if (n.type_code.empty()) n.type_code = std::string(name.substr(fixed ? 5 : 7));
    }
    if (auto b = e.FindMember("binding"); b != e.MemberEnd() && b->value.IsObject() &&
                                          str_member(b->value, "strength") == "required") {
      std::string_view vs = str_member(b->value, "valueSet");
      if (!vs.empty() && (!n.base || !n.base->binding || n.base->binding->value_set != vs.substr(0, vs.find('|')))) {
        auto rb = std::make_shared<RequiredBinding>();
        rb->value_set = std::string(vs.substr(0, vs.find('|')));
        n.binding = std::move(rb);
      }
    }
    if (auto cs = e.FindMember("constraint"); cs != e.MemberEnd() && cs->value.IsArray()) {
      for (const auto& c : cs->value.GetArray()) {
        if (!c.IsObject()) continue;
        Constraint k;
        k.key = std::string(str_member(c, "key"));
        k.expression = std::string(str_member(c, "expression"));
        if (k.key.empty() || k.expression.empty() || defs_.is_base_constraint(k.key)) continue;
        k.error = str_member(c, "severity") != "warning";
        k.human = std::string(str_member(c, "human"));
        n.constraints.push_back(compile_constraint(k));
      }
    }
    // An extension slice names its extension by profile: the items it holds carry that url.
    if (auto types = e.FindMember("type"); types != e.MemberEnd() && types->value.IsArray()) {
      for (const auto& t : types->value.GetArray()) {
        if (!t.IsObject() || str_member(t, "code") != "Extension") continue;
        auto p = t.FindMember("profile");
        if (p != t.MemberEnd() && p->value.IsArray() && !p->value.Empty() && p->value[0].IsString())
          n.extension_url = std::string(sv(p->value[0]));
      }
    }
    if (auto s = e.FindMember("slicing"); s != e.MemberEnd() && s->value.IsObject()) {
      n.sliced = true;
      n.closed = str_member(s->value, "rules") == "closed";
      if (auto d = s->value.FindMember("discriminator"); d != s->value.MemberEnd() && d->value.IsArray()) {
        for (const auto& x : d->value.GetArray()) {
          if (!x.IsObject()) continue;
          std::string type(str_member(x, "type")), path(str_member(x, "path"));
          if (type != "value" && type != "pattern")
            n.slicing_unsupported = "discriminator type '" + type + "' (only value and pattern are supported)";
          n.discriminators.emplace_back(type, path);
        }
      }
      if (n.discriminators.empty()) n.slicing_unsupported = "slicing without a discriminator";
      if (!n.slicing_unsupported.empty())
        notes_.push_back("The slices of " + n.label + " are not checked: " + n.slicing_unsupported);
    }
  }

  const Definitions& defs_;
  ProfileNode& root_;
  rapidjson::Document& values_;
  std::vector<std::string>& notes_;
};

// One validation run of a profile over a resource.
class ProfileWalk {
 public:
  ProfileWalk(const Profile::Env& env, const rapidjson::Value& resource, std::vector<Issue>& issues)
      : env_(env), resource_(resource), issues_(issues) {}

  void children(const ProfileNode& node, const Value& obj, const ValidatorPath& at) {
    for (const auto& c : node.children) element(*c, obj, at);
  }

  void value(const ProfileNode& node, const Value& v, const ValidatorPath& at, const ElementModel* el) {
    if (node.fixed && !(v == *node.fixed) &&
        !(v.IsNumber() && node.fixed->IsNumber() && v.GetDouble() == node.fixed->GetDouble()))
      report("error", "value", node.label + " must be exactly " + describe_json(*node.fixed), at.str());
    if (node.pattern && !contains_pattern(v, *node.pattern))
      report("error", "value", node.label + " must match the pattern " + describe_json(*node.pattern), at.str());
    if (node.binding && env_.terminology) {
      std::string_view type = el ? std::string_view(el->type_code) : std::string_view(node.type_code);
      check_required_binding(*env_.terminology, *node.binding, type, v, at, issues_);
    }
    if (!node.constraints.empty()) {
      InvariantFocus focus;
      focus.value = &v;
      focus.element = el;
      focus.model = el ? nullptr : node.model;
      focus.resource = &resource_;
      focus.root = &resource_;
      InvariantEnv ienv = invariant_env(*env_.definitions, env_.terminology);
      for (const auto& c : node.constraints) check_constraint(c, focus, ienv, at, issues_, skipped_);
    }
    if (v.IsObject()) children(node, v, at);
  }

  void start(const ProfileNode& root, const TypeModel* model, const Value& resource, const ValidatorPath& at) {
    owner_stack_.push_back(model);
    value(root, resource, at, nullptr);
    owner_stack_.pop_back();
  }

 private:
  struct Item {
    const Value* v;
    std::string_view member;  // JSON name (valueQuantity for a choice)
    int index;                // -1 when not an array
    const ElementModel* el;   // the definition of that member
  };

  std::vector<Item> items(const ProfileNode& node, const Value& obj, const TypeModel* owner) {
    std::vector<Item> out;
    if (!obj.IsObject()) return out;
    for (const auto& m : obj.GetObject()) {
      std::string_view name = sv(m.name);
      bool match = node.choice ? name.size() > node.name.size() && name.substr(0, node.name.size()) == node.name &&
                                     is_upper(name[node.name.size()])
                               : name == node.name;
      if (!match) continue;
      const ElementModel* el = owner ? owner->find(name) : nullptr;
      if (!el) el = node.base;
      if (m.value.IsArray()) {
        for (rapidjson::SizeType i = 0; i < m.value.Size(); ++i)
          if (!m.value[i].IsNull()) out.push_back({&m.value[i], name, static_cast<int>(i), el});
      } else if (!m.value.IsNull()) {
        out.push_back({&m.value, name, -1, el});
      }
    }
    return out;
  }

  // The items of node in obj; the owner model (the shape of obj) types the members of a choice.
  void element(const ProfileNode& node, const Value& obj, const ValidatorPath& at) {
    const TypeModel* owner = owner_stack_.empty() ? nullptr : owner_stack_.back();
    group(node, items(node, obj, owner), at);
  }

  void group(const ProfileNode& node, const std::vector<Item>& found, const ValidatorPath& at) {
    std::string where = at.str(node.name);
    if (node.min && found.size() < *node.min)
      report("error", "required",
             node.label + ": at least " + std::to_string(*node.min) + " required by the profile, found " +
                 std::to_string(found.size()),
             where);
    if (node.max && *node.max != ElementModel::kUnbounded && found.size() > *node.max)
      report("error", "structure",
             node.label + ": at most " + std::to_string(*node.max) + " allowed by the profile, found " +
                 std::to_string(found.size()),
             where);
    for (const Item& it : found) {
      ValidatorPath named = at.child(it.member);
      ValidatorPath here = it.index >= 0 ? named.item(it.index) : named;
      const TypeModel* model = it.el && it.el->kind == ElementKind::Complex ? it.el->type : node.model;
      owner_stack_.push_back(model);
      value(node, *it.v, here, it.el);
      owner_stack_.pop_back();
    }
    if (node.slices.empty()) return;
    if (!node.slicing_unsupported.empty()) return;  // reported once as a note
    std::vector<std::vector<Item>> per_slice(node.slices.size());
    for (const Item& it : found) {
      bool matched = false;
      for (size_t s = 0; s < node.slices.size() && !matched; ++s)
        if (in_slice(node, *node.slices[s], *it.v)) {
          per_slice[s].push_back(it);
          matched = true;
        }
      if (!matched && node.closed) {
        ValidatorPath named = at.child(it.member);
        report("error", "structure", node.label + " is closed: this item matches none of its slices",
               (it.index >= 0 ? named.item(it.index) : named).str());
      }
    }
    for (size_t s = 0; s < node.slices.size(); ++s) group(*node.slices[s], per_slice[s], at);
  }

  // Does v belong to the slice? Every discriminator's value at its path matches the slice's.
  bool in_slice(const ProfileNode& sliced, const ProfileNode& slice, const Value& v) const {
    std::vector<std::pair<std::string, std::string>> discs = sliced.discriminators;
    if (discs.empty() && !slice.extension_url.empty()) discs.emplace_back("value", "url");
    for (const auto& [type, path] : discs) {
      const Value* expected = nullptr;
      std::string url_text;
      const ProfileNode* at = &slice;
      if (path != "$this") {
        size_t start = 0;
        while (at && start <= path.size()) {
          size_t dot = path.find('.', start);
          std::string seg = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
          if (seg == "url" && dot == std::string::npos && !at->extension_url.empty()) {
            url_text = at->extension_url;
            at = nullptr;
            break;
          }
          at = at->child(seg);
          if (dot == std::string::npos) break;
          start = dot + 1;
        }
      }
      if (at) expected = at->fixed ? at->fixed : at->pattern;
      std::vector<const Value*> actual{&v};
      if (path != "$this") {
        size_t start = 0;
        while (start <= path.size()) {
          size_t dot = path.find('.', start);
          std::string seg = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
          std::vector<const Value*> next;
          for (const Value* a : actual) {
            if (!a->IsObject()) continue;
            auto m = a->FindMember(seg.c_str());
            if (m == a->MemberEnd()) continue;
            if (m->value.IsArray()) {
              for (const auto& x : m->value.GetArray()) next.push_back(&x);
            } else {
              next.push_back(&m->value);
            }
          }
          actual = std::move(next);
          if (dot == std::string::npos) break;
          start = dot + 1;
        }
      }
      bool ok = false;
      for (const Value* a : actual) {
        if (!url_text.empty()) ok = a->IsString() && sv(*a) == url_text;
        else if (expected) ok = contains_pattern(*a, *expected);
        if (ok) break;
      }
      if (!expected && url_text.empty()) return false;  // the slice fixes nothing at this path
      if (!ok) return false;
    }
    return true;
  }

  void report(const char* severity, const char* code, std::string diagnostics, std::string expression) {
    Issue i;
    i.severity = severity;
    i.code = code;
    i.diagnostics = std::move(diagnostics);
    i.expression.push_back(std::move(expression));
    issues_.push_back(std::move(i));
  }

  const Profile::Env& env_;
  const rapidjson::Value& resource_;
  std::vector<Issue>& issues_;
  std::vector<std::string> skipped_;
  std::vector<const TypeModel*> owner_stack_;
};

}  // namespace

Profile::Profile() : root_(std::make_unique<ProfileNode>()), values_(std::make_shared<rapidjson::Document>()) {
  values_->SetObject();
  values_->AddMember("v", rapidjson::Value(rapidjson::kArrayType), values_->GetAllocator());
}

Profile::~Profile() = default;

std::shared_ptr<const Profile> Profile::compile(const rapidjson::Value& sd, const Definitions& defs, std::string* error) {
  auto fail = [&](std::string why) -> std::shared_ptr<const Profile> {
    if (error) *error = std::move(why);
    return nullptr;
  };
  if (!sd.IsObject() || str_member(sd, "resourceType") != "StructureDefinition")
    return fail("not a StructureDefinition");
  std::shared_ptr<Profile> p(new Profile());
  p->url_ = std::string(str_member(sd, "url"));
  p->type_ = std::string(str_member(sd, "type"));
  std::string_view base = str_member(sd, "baseDefinition");
  base = base.substr(0, base.find('|'));
  if (!base.empty() && base.substr(0, kCorePrefix.size()) != kCorePrefix) p->base_profile_ = std::string(base);
  if (p->url_.empty()) return fail("the StructureDefinition has no url");
  const TypeModel* model = defs.resource(p->type_);
  if (!model) return fail("profile " + p->url_ + " constrains '" + p->type_ + "', which is not an R4 resource type");
  p->root_->name = p->type_;
  p->root_->label = p->type_;
  p->root_->model = model;
  const Value* elements = nullptr;
  for (const char* part : {"differential", "snapshot"}) {
    auto it = sd.FindMember(part);
    if (it != sd.MemberEnd() && it->value.IsObject()) {
      auto el = it->value.FindMember("element");
      if (el != it->value.MemberEnd() && el->value.IsArray()) {
        elements = &el->value;
        break;
      }
    }
  }
  if (!elements) return fail("profile " + p->url_ + " has neither a differential nor a snapshot");
  ProfileBuilder builder(defs, *p->root_, *p->values_, p->notes_);
  for (const auto& e : elements->GetArray()) {
    std::string why;
    if (!e.IsObject()) return fail("profile " + p->url_ + ": an element is not an object");
    if (!builder.add(e, &why)) return fail("profile " + p->url_ + ": " + why);
  }
  return p;
}

void Profile::validate(const rapidjson::Value& resource, const Env& env, std::vector<Issue>& issues) const {
  for (const auto& note : notes_) {
    Issue i;
    i.severity = "information";
    i.code = "informational";
    i.diagnostics = note;
    issues.push_back(std::move(i));
  }
  ValidatorPath root{nullptr, root_->name, -1};
  ProfileWalk walk(env, resource, issues);
  walk.start(*root_, root_->model, resource, root);
}

}  // namespace healthd::fhir
