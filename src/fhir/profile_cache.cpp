#include "fhir/profile_cache.h"

#include "json/json.h"

namespace healthd::fhir {

ProfileCache::ProfileCache(std::shared_ptr<const Definitions> defs, Loader loader)
    : defs_(std::move(defs)), loader_(std::move(loader)) {}

ProfileCache::Result ProfileCache::get(const std::string& versioned_url) {
  std::string url = versioned_url.substr(0, versioned_url.find('|'));
  uint64_t generation;
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(url); it != cache_.end()) return it->second;
    generation = generation_;
  }
  Result r;
  if (std::optional<std::string> text = loader_(url); !text) {
    r.error = "Profile " + url + " is not known: no StructureDefinition with this url is stored in the service";
  } else {
    json::Document doc;
    std::string why;
    if (!json::parse(*text, doc, &why)) {
      r.error = "The StructureDefinition " + url + " is not valid JSON: " + why;
    } else {
      r.profile = Profile::compile(doc, *defs_, &why);
      if (!r.profile) r.error = "The StructureDefinition " + url + " cannot be used: " + why;
    }
  }
  std::lock_guard lock(mu_);
  if (generation == generation_) cache_[url] = r;
  return r;
}

void ProfileCache::invalidate() {
  std::lock_guard lock(mu_);
  ++generation_;
  cache_.clear();
}

}  // namespace healthd::fhir
