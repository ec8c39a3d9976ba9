#include "fhir/bundle_references.h"

namespace healthd::fhir {

namespace {

constexpr int kMaxDepth = 128;

std::string_view sv(const json::Value& v) { return {v.GetString(), v.GetStringLength()}; }

class Rewriter {
 public:
  Rewriter(json::Allocator& alloc, const Definitions& defs, const ReferenceResolver& resolve)
      : alloc_(alloc), defs_(defs), resolve_(resolve) {}

  size_t replaced = 0;

  void resource(json::Value& v, int depth) {
    if (!v.IsObject() || depth > kMaxDepth) return;
    auto rt = v.FindMember("resourceType");
    if (rt == v.MemberEnd() || !rt->value.IsString()) return;
    if (const TypeModel* model = defs_.resource(sv(rt->value))) object(v, *model, depth);
  }

 private:
  json::Allocator& alloc_;
  const Definitions& defs_;
  const ReferenceResolver& resolve_;

  void object(json::Value& v, const TypeModel& model, int depth) {
    if (!v.IsObject() || depth > kMaxDepth) return;
    for (auto& m : v.GetObject()) {
      std::string_view name = sv(m.name);
      if (name.size() > 1 && name[0] == '_') {  // a primitive's id and extensions
        each(m.value, [&](json::Value& x) { object(x, defs_.element(), depth + 1); });
        continue;
      }
      const ElementModel* el = model.find(name);
      if (!el) continue;
      switch (el->kind) {
        case ElementKind::Primitive: {
          std::optional<ReferenceSite> site = site_of(model, *el);
          if (site) each(m.value, [&](json::Value& x) { value(x, *site); });
          break;
        }
        case ElementKind::Complex:
          if (el->type) each(m.value, [&](json::Value& x) { object(x, *el->type, depth + 1); });
          break;
        case ElementKind::Resource:
          each(m.value, [&](json::Value& x) { resource(x, depth + 1); });
          break;
      }
    }
  }

  static std::optional<ReferenceSite> site_of(const TypeModel& owner, const ElementModel& el) {
    if (owner.name == "Reference" && el.json_name == "reference") return ReferenceSite::Reference;
    switch (el.primitive) {
      case PrimitiveKind::Uri:
      case PrimitiveKind::Url:
      case PrimitiveKind::Canonical:
      case PrimitiveKind::Oid:
      case PrimitiveKind::Uuid:
        return ReferenceSite::Uri;
      case PrimitiveKind::Xhtml:
        return ReferenceSite::Narrative;
      default:
        return std::nullopt;
    }
  }

  template <class F>
  static void each(json::Value& v, F&& f) {
    if (v.IsArray()) {
      for (auto& x : v.GetArray()) f(x);
    } else {
      f(v);
    }
  }

  void value(json::Value& v, ReferenceSite site) {
    if (!v.IsString()) return;
    if (site == ReferenceSite::Narrative) return narrative(v);
    if (auto to = resolve_(sv(v), site)) {
      v.SetString(to->data(), static_cast<rapidjson::SizeType>(to->size()), alloc_);
      ++replaced;
    }
  }

  // href="..." and src="..." attributes of the narrative's XHTML.
  void narrative(json::Value& v) {
    std::string_view text = sv(v);
    std::string out;
    size_t copied = 0, pos = 0;
    bool changed = false;
    while ((pos = text.find("=\"", pos)) != std::string_view::npos) {
      size_t start = pos + 2;
      size_t end = text.find('"', start);
      if (end == std::string_view::npos) break;
      std::string_view attr = text.substr(0, pos);
      if (attr.ends_with("href") || attr.ends_with("src")) {
        if (auto to = resolve_(text.substr(start, end - start), ReferenceSite::Narrative)) {
          out.append(text.substr(copied, start - copied));
          out.append(*to);
          copied = end;
          changed = true;
          ++replaced;
        }
      }
      pos = end + 1;
    }
    if (!changed) return;
    out.append(text.substr(copied));
    v.SetString(out.data(), static_cast<rapidjson::SizeType>(out.size()), alloc_);
  }
};

// Every string inside a JSON Patch operation's value, by the key it sits under.
size_t rewrite_untyped(json::Value& v, ReferenceSite site, json::Allocator& alloc, const ReferenceResolver& resolve,
                       int depth) {
  if (depth > kMaxDepth) return 0;
  if (v.IsString()) {
    auto to = resolve(sv(v), site);
    if (!to) return 0;
    v.SetString(to->data(), static_cast<rapidjson::SizeType>(to->size()), alloc);
    return 1;
  }
  size_t n = 0;
  if (v.IsArray()) {
    for (auto& x : v.GetArray()) n += rewrite_untyped(x, site, alloc, resolve, depth + 1);
  } else if (v.IsObject()) {
    for (auto& m : v.GetObject()) {
      const ReferenceSite inner = sv(m.name) == "reference" ? ReferenceSite::Reference : ReferenceSite::Uri;
      n += rewrite_untyped(m.value, inner, alloc, resolve, depth + 1);
    }
  }
  return n;
}

}  // namespace

size_t rewrite_patch_references(json::Value& patch, json::Allocator& alloc, const ReferenceResolver& resolve) {
  if (!patch.IsArray()) return 0;
  size_t n = 0;
  for (auto& op : patch.GetArray()) {
    if (!op.IsObject()) continue;
    auto value = op.FindMember("value");
    if (value == op.MemberEnd()) continue;
    // A value replacing a Reference's "reference" element is itself such a value.
    auto path = json::get_string(op, "path");
    const bool at_reference = path && path->ends_with("/reference");
    n += rewrite_untyped(value->value, at_reference ? ReferenceSite::Reference : ReferenceSite::Uri, alloc, resolve, 0);
  }
  return n;
}

size_t rewrite_references(json::Value& resource, json::Allocator& alloc, const Definitions& defs,
                          const ReferenceResolver& resolve) {
  Rewriter w(alloc, defs, resolve);
  w.resource(resource, 0);
  return w.replaced;
}

}  // namespace healthd::fhir
