// Rewriting the references inside a transaction's resources (FHIR R4 http.html#trules): every value
// naming an entry's fullUrl (urn:uuid:, urn:oid: or a URL) becomes that entry's Type/id, and
// conditional references (Patient?identifier=...) become the id of their one match.
// Pure: the caller decides what each value becomes; this walks the resource with the type model.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "fhir/definitions.h"
#include "json/json.h"

namespace healthd::fhir {

// Where a value sits: Reference.reference (may be conditional), or an element of type uri, url,
// canonical, oid or uuid (Attachment.url, ...), or an href/src inside narrative XHTML.
enum class ReferenceSite { Reference, Uri, Narrative };

// The replacement of `value`, or nullopt to leave it. Called once per candidate value.
using ReferenceResolver = std::function<std::optional<std::string>(std::string_view value, ReferenceSite site)>;

// Rewrites `resource` (an object with a resourceType) in place, including contained and nested
// resources, extensions and primitive `_x` siblings. Returns the number of values replaced.
// Elements the model does not know are left alone (validation refuses them anyway).
size_t rewrite_references(json::Value& resource, json::Allocator& alloc, const Definitions& defs,
                          const ReferenceResolver& resolve);

// Rewrites the "value" of every operation of a JSON Patch document (an array of operations), whose
// type the model cannot know: a string under a "reference" key is a ReferenceSite::Reference, any
// other string a ReferenceSite::Uri (so only exact fullUrls change there). Returns the number of
// values replaced.
size_t rewrite_patch_references(json::Value& patch, json::Allocator& alloc, const ReferenceResolver& resolve);

}  // namespace healthd::fhir
