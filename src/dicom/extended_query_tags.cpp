#include "dicom/extended_query_tags.h"

#include <algorithm>
#include <cctype>

#include "dicom/dictionary.h"
#include "dicom/qido_attributes.h"
#include "json/json.h"

namespace healthd::dicom {

namespace {

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<Level> parse_level(std::string_view s) {
  if (iequal(s, "Study")) return Level::Study;
  if (iequal(s, "Series")) return Level::Series;
  if (iequal(s, "Instance")) return Level::Instance;
  return std::nullopt;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// A private creator is an LO value: 1..64 characters, no backslash or control characters.
bool valid_private_creator(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\\' || (static_cast<unsigned char>(c) < 0x20); });
}

// One array item; `where` prefixes messages ("item 2").
bool read_item(const json::Value& item, const std::string& where, NewExtendedQueryTag& out, std::string* error) {
  if (!item.IsObject()) return fail(error, where + ": must be an object with path, vr, privateCreator and level");
  std::optional<std::string> path, vr, creator, level;
  for (const auto& m : item.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    std::optional<std::string>* slot = iequal(name, "path")             ? &path
                                       : iequal(name, "vr")             ? &vr
                                       : iequal(name, "privateCreator") ? &creator
                                       : iequal(name, "level")          ? &level
                                                                        : nullptr;
    if (!slot) return fail(error, where + ": unknown member '" + std::string(name) + "' (known: path, vr, privateCreator, level)");
    if (m.value.IsNull()) continue;
    if (!m.value.IsString()) return fail(error, where + "." + std::string(name) + ": must be a string");
    *slot = std::string(m.value.GetString(), m.value.GetStringLength());
  }
  if (!path || path->empty()) return fail(error, where + ": path is required (a tag such as 00101010, or a keyword)");
  auto tag = parse_tag_path(*path);
  if (!tag)
    return fail(error, where + ": path '" + *path +
                           "' is not a tag (eight hex digits) nor a DICOM keyword; attributes inside sequences are "
                           "not supported");
  const Tag t = *tag;
  const uint16_t group = tag_group(t), element = tag_element(t);
  const std::string paren = tag_paren(t);
  if (!level || level->empty()) return fail(error, where + ": level is required (Study, Series or Instance)");
  auto lv = parse_level(*level);
  if (!lv) return fail(error, where + ": level '" + *level + "' is not one of Study, Series, Instance");
  if (group == 0x0000 || group == 0x0002 || group == 0x0004 || group == 0xFFFE || t == tags::kPixelData)
    return fail(error, where + ": " + paren + " cannot be indexed (command, file meta, directory or item tags)");

  const bool is_private = group % 2 == 1;
  if (is_private) {
    if (group <= 0x0007 || group == 0xFFFF) return fail(error, where + ": " + paren + " is not a valid private tag");
    if (element < 0x1000)
      return fail(error, where + ": " + paren + " is a private creator or reserved element; index the attributes of the block (gggg,xx00-xxFF with xx >= 10)");
    if (!creator || creator->empty()) return fail(error, where + ": privateCreator is required for the private tag " + paren);
    if (!valid_private_creator(*creator))
      return fail(error, where + ": privateCreator '" + *creator + "' is not a valid LO value (1-64 characters, no backslash)");
    if (!vr || vr->empty()) return fail(error, where + ": vr is required for the private tag " + paren);
    out.vr = upper(*vr);
    out.private_creator = *creator;
  } else {
    if (creator && !creator->empty())
      return fail(error, where + ": privateCreator is only for private tags; " + paren + " is a standard tag");
    const std::string known = dictionary_vr(t);
    if (known.empty())
      return fail(error, where + ": " + paren + " is not a standard attribute with a single VR in the DICOM dictionary");
    if (vr && !vr->empty() && upper(*vr) != known)
      return fail(error, where + ": vr '" + *vr + "' does not match the VR of " + paren + " " +
                             dictionary_keyword(t) + ", which is " + known);
    out.vr = known;
  }
  if (!is_extended_query_tag_vr(out.vr))
    return fail(error, where + ": VR " + out.vr + " of " + paren +
                           " cannot be indexed (supported: AE AS CS DA DS DT FD FL IS LO PN SH SL SS TM UI UL US)");
  if (const QidoAttribute* a = find_qido_attribute(t); a && a->searchable)
    return fail(error, where + ": " + paren + " " + a->keyword + " is already searchable; it needs no extended query tag");
  out.tag = t;
  out.level = *lv;
  return true;
}

}  // namespace

std::optional<Tag> parse_tag_path(std::string_view path) { return tag_of(path); }

bool is_extended_query_tag_vr(std::string_view vr) {
  static constexpr std::string_view kVrs[] = {"AE", "AS", "CS", "DA", "DS", "DT", "FD", "FL", "IS",
                                              "LO", "PN", "SH", "SL", "SS", "TM", "UI", "UL", "US"};
  return std::find(std::begin(kVrs), std::end(kVrs), vr) != std::end(kVrs);
}

bool parse_add_extended_query_tags(std::string_view body, std::vector<NewExtendedQueryTag>& out, std::string* error) {
  out.clear();
  json::Document doc;
  std::string why;
  if (!json::parse(body, doc, &why)) return fail(error, "The body is not valid JSON: " + why);
  if (!doc.IsArray() || doc.Empty())
    return fail(error, "The body must be a non-empty JSON array of {path, vr, privateCreator, level}");
  if (doc.Size() > kMaxExtendedQueryTags)
    return fail(error, "At most " + std::to_string(kMaxExtendedQueryTags) + " extended query tags can exist; the request adds " +
                           std::to_string(doc.Size()));
  for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) {
    NewExtendedQueryTag t;
    if (!read_item(doc[i], "item " + std::to_string(i + 1), t, error)) return false;
    for (const auto& earlier : out)
      if (earlier.tag == t.tag && earlier.private_creator == t.private_creator)
        return fail(error, "item " + std::to_string(i + 1) + ": " + tag_paren(t.tag) + " is given more than once");
    out.push_back(std::move(t));
  }
  return true;
}

const char* tag_status_name(TagStatus s) {
  switch (s) {
    case TagStatus::Adding: return "Adding";
    case TagStatus::Ready: return "Ready";
    case TagStatus::Deleting: return "Deleting";
  }
  return "Adding";
}

const char* query_status_name(QueryStatus s) { return s == QueryStatus::Enabled ? "Enabled" : "Disabled"; }

const char* level_label(Level level) {
  switch (level) {
    case Level::Study: return "Study";
    case Level::Series: return "Series";
    case Level::Instance: return "Instance";
  }
  return "Study";
}

const char* operation_status_name(OperationStatus s) {
  switch (s) {
    case OperationStatus::NotStarted: return "notStarted";
    case OperationStatus::Running: return "running";
    case OperationStatus::Completed: return "completed";
    case OperationStatus::Failed: return "failed";
  }
  return "notStarted";
}

}  // namespace healthd::dicom
