#include "dicom/negotiation.h"

#include <algorithm>

#include "dicom/media_type.h"

namespace healthd::dicom {

std::optional<Negotiated> negotiate(const Request& req, std::string_view part_type, bool single_allowed,
                                    std::string* error) {
  auto accept = req.headers.get("Accept");
  if (!accept || accept->find_first_not_of(" ") == std::string_view::npos) return Negotiated{};
  std::vector<MediaType> ranges = parse_accept(*accept);
  std::stable_sort(ranges.begin(), ranges.end(), [](const MediaType& a, const MediaType& b) { return a.q > b.q; });
  for (const MediaType& m : ranges) {
    if (m.q <= 0) continue;
    Negotiated n;
    if (auto ts = m.param("transfer-syntax")) n.transfer_syntax = std::string(*ts);
    if (m.type == "*/*" || m.type == "multipart/*") return n;
    if (m.type == "multipart/related") {
      auto type = m.param("type");
      if (!type || *type == part_type) return n;
      continue;
    }
    if (m.type == part_type && single_allowed) {
      n.multipart = false;
      return n;
    }
  }
  *error = "Accept '" + std::string(*accept) + "' asks for nothing this route serves: use multipart/related; type=\"" +
           std::string(part_type) + "\"" + (single_allowed ? " or " + std::string(part_type) : std::string());
  return std::nullopt;
}

}  // namespace healthd::dicom
