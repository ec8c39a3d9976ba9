#include "dicom/negotiation.h"

#include <algorithm>
#include <array>
#include <span>

#include "dicom/media_type.h"

namespace healthd::dicom {

namespace {

// A media type parts can have, and the transfer syntaxes it may carry (none listed: any).
struct PartType {
  std::string_view media;
  std::array<std::string_view, 4> syntaxes{};  // the first is the default
  bool allows(std::string_view syntax) const {
    if (syntaxes[0].empty()) return true;
    return std::find(syntaxes.begin(), syntaxes.end(), syntax) != syntaxes.end();
  }
};

constexpr std::array<PartType, 5> kFrameTypes = {{
    {"application/octet-stream"},
    {"image/jpeg",
     {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"}},
    {"image/jls", {"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"}},
    {"image/jp2", {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"}},
    {"image/x-dicom-rle", {"1.2.840.10008.1.2.5"}},
}};

const PartType* find_type(std::span<const PartType> types, std::string_view media) {
  for (const PartType& t : types)
    if (t.media == media) return &t;
  return nullptr;
}

// The answer for a range naming part type t, or nullopt when its transfer-syntax does not fit t.
std::optional<Negotiated> answer(const MediaType& m, const PartType& t, bool multipart) {
  Negotiated n;
  n.multipart = multipart;
  n.part_type = std::string(t.media);
  if (auto ts = m.param("transfer-syntax")) n.transfer_syntax = std::string(*ts);
  // An image type's "*" (any) is its default syntax: the part must be of that type.
  if (n.transfer_syntax.empty() || (n.transfer_syntax == "*" && !t.syntaxes[0].empty()))
    n.transfer_syntax = std::string(t.syntaxes[0]);
  if (n.transfer_syntax != "*" && !t.allows(n.transfer_syntax)) return std::nullopt;
  return n;
}

// types[0] is what multipart/*, */* and a multipart/related without type mean.
std::optional<Negotiated> negotiate_among(const Request& req, std::span<const PartType> types, bool single_allowed,
                                          std::string* error) {
  auto accept = req.headers.get("Accept");
  if (!accept || accept->find_first_not_of(" ") == std::string_view::npos) {
    Negotiated n;
    n.part_type = std::string(types[0].media);
    return n;
  }
  std::vector<MediaType> ranges = parse_accept(*accept);
  std::stable_sort(ranges.begin(), ranges.end(), [](const MediaType& a, const MediaType& b) { return a.q > b.q; });
  for (const MediaType& m : ranges) {
    if (m.q <= 0) continue;
    std::optional<Negotiated> n;
    if (m.type == "*/*" || m.type == "multipart/*") {
      n = answer(m, types[0], true);
    } else if (m.type == "multipart/related") {
      auto type = m.param("type");
      if (const PartType* t = type ? find_type(types, *type) : &types[0]) n = answer(m, *t, true);
    } else if (const PartType* t = find_type(types, m.type); t && single_allowed) {
      n = answer(m, *t, false);
    }
    if (n) return n;
  }
  std::string offered;
  for (const PartType& t : types) {
    offered += (offered.empty() ? "" : " or ") + ("multipart/related; type=\"" + std::string(t.media) + "\"");
    if (single_allowed) offered += " or " + std::string(t.media);
  }
  *error = "Accept '" + std::string(*accept) + "' asks for nothing this route serves: use " + offered;
  if (types.size() > 1)
    *error += " (image types with a transfer-syntax of theirs: image/jpeg .50 .51 .57 .70, image/jls .80 .81, "
              "image/jp2 .90 .91, image/x-dicom-rle .5)";
  return std::nullopt;
}

}  // namespace

std::optional<Negotiated> negotiate(const Request& req, std::string_view part_type, bool single_allowed,
                                    std::string* error) {
  const PartType only[] = {{part_type}};
  return negotiate_among(req, only, single_allowed, error);
}

std::optional<Negotiated> negotiate_frames(const Request& req, bool single_allowed, std::string* error) {
  return negotiate_among(req, kFrameTypes, single_allowed, error);
}

}  // namespace healthd::dicom
