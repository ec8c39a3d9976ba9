#include "fhir/search_cursor.h"

#include <charconv>

#include "auth/issuer/secret_hash.h"
#include "auth/jwt.h"
#include "auth/process_mac.h"
#include "json/json.h"

namespace healthd::fhir {

std::string sort_cursor(const std::vector<SortKeyValue>& keys, int64_t after) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartArray();
  for (const SortKeyValue& k : keys) {
    switch (k.kind) {
      case SortKeyValue::Kind::Null: w.Null(); break;
      case SortKeyValue::Kind::Int: w.Int64(k.i); break;
      case SortKeyValue::Kind::Real: w.Double(k.d); break;
      case SortKeyValue::Kind::Text: w.String(k.t.data(), static_cast<rapidjson::SizeType>(k.t.size())); break;
    }
  }
  w.Int64(after);
  w.EndArray();
  return "s" + auth::base64url_encode(std::string_view(buf.GetString(), buf.GetSize()));
}

namespace {

// The first 16 bytes of the process's MAC of the cursor text, base64url.
std::string cursor_signature(std::string_view text) {
  return auth::base64url_encode(std::string_view(auth::process_mac(text)).substr(0, 16));
}

}  // namespace

std::string snapshot_cursor(const std::string& cursor, int64_t snapshot) {
  std::string text = snapshot > 0 ? cursor + "." + std::to_string(snapshot) : cursor;
  return text + "~" + cursor_signature(text);
}

bool parse_cursor(std::string_view text, std::vector<SortKeyValue>& keys, int64_t& after, int64_t& snapshot,
                  bool& backward) {
  keys.clear();
  snapshot = 0;
  // '~' is in neither a number nor the base64url alphabet.
  const auto tilde = text.rfind('~');
  if (tilde == std::string_view::npos) return false;
  if (!auth::issuer::constant_time_equals(cursor_signature(text.substr(0, tilde)), text.substr(tilde + 1)))
    return false;
  text = text.substr(0, tilde);
  backward = !text.empty() && text[0] == 'p';
  if (backward) text.remove_prefix(1);
  // '.' is neither a digit nor in the base64url alphabet.
  if (auto dot = text.rfind('.'); dot != std::string_view::npos) {
    std::string_view seq = text.substr(dot + 1);
    auto [p, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), snapshot);
    if (ec != std::errc() || p != seq.data() + seq.size() || snapshot <= 0) return false;
    text = text.substr(0, dot);
  }
  if (!text.empty() && text[0] != 's') {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), after);
    return ec == std::errc() && p == text.data() + text.size() && after > 0;
  }
  auto bytes = text.size() > 1 ? auth::base64url_decode(text.substr(1)) : std::nullopt;
  json::Document doc;
  if (!bytes || !json::parse(*bytes, doc) || !doc.IsArray() || doc.Empty()) return false;
  const auto& last = doc[doc.Size() - 1];
  if (!last.IsInt64() || last.GetInt64() <= 0) return false;
  after = last.GetInt64();
  for (rapidjson::SizeType i = 0; i + 1 < doc.Size(); ++i) {
    const auto& v = doc[i];
    SortKeyValue k;
    if (v.IsNull()) {
      k.kind = SortKeyValue::Kind::Null;
    } else if (v.IsInt64()) {
      k.kind = SortKeyValue::Kind::Int;
      k.i = v.GetInt64();
    } else if (v.IsDouble() || v.IsNumber()) {
      k.kind = SortKeyValue::Kind::Real;
      k.d = v.GetDouble();
    } else if (v.IsString()) {
      k.kind = SortKeyValue::Kind::Text;
      k.t.assign(v.GetString(), v.GetStringLength());
    } else {
      return false;
    }
    keys.push_back(std::move(k));
  }
  return true;
}

}  // namespace healthd::fhir
