#include "dicom/element_bytes.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcfcache.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "dicom/tag.h"

namespace healthd::dicom::detail {

namespace {

constexpr uint32_t kChunk = 1 << 20;

bool set_error(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

// The fragments of encapsulated Pixel Data, or nullptr when e holds native values.
DcmPixelSequence* fragments(DcmElement& e, const Instance::Impl& instance) {
  if (!instance.encapsulated || e.ident() != EVR_PixelData) return nullptr;
  DcmPixelSequence* seq = nullptr;
  auto& pixel = static_cast<DcmPixelData&>(e);
  if (pixel.getEncapsulatedRepresentation(instance.dataset().getOriginalXfer(), nullptr, seq).bad())
    return nullptr;
  return seq;
}

// Streams e's value bytes [0, length) with getPartialValue, which reads from the file when the
// value was left there and never loads the whole value.
bool stream_partial(DcmElement& e, uint32_t length, DcmFileCache& cache, const BulkSink& sink,
                    std::string* error) {
  std::vector<char> buf(std::min(length, kChunk));
  for (uint32_t offset = 0; offset < length;) {
    uint32_t n = std::min(kChunk, length - offset);
    if (e.getPartialValue(buf.data(), offset, n, &cache, EBO_LittleEndian).bad())
      return set_error(error, "cannot read the value of " + tag_hex(make_tag(e.getGTag(), e.getETag())));
    if (!sink(buf.data(), n)) return set_error(error, "stopped");
    offset += n;
  }
  return true;
}

void put_le32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

}  // namespace

DcmElement* find_path(DcmItem& dataset, std::string_view path, std::string* error) {
  DcmItem* item = &dataset;
  DcmElement* element = nullptr;
  size_t start = 0;
  bool want_tag = true;
  while (true) {
    size_t slash = path.find('/', start);
    std::string_view token = path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (want_tag) {
      auto tag = parse_tag_hex(token);
      if (!tag) return set_error(error, "bad path: \"" + std::string(token) + "\" is not a tag"), nullptr;
      element = nullptr;
      if (item->findAndGetElement(DcmTagKey(tag_group(*tag), tag_element(*tag)), element, OFFalse).bad() ||
          element == nullptr)
        return set_error(error, "no element " + std::string(token)), nullptr;
    } else {
      unsigned long index = 0;
      auto r = std::from_chars(token.data(), token.data() + token.size(), index);
      if (token.empty() || r.ec != std::errc() || r.ptr != token.data() + token.size())
        return set_error(error, "bad path: \"" + std::string(token) + "\" is not an item number"), nullptr;
      if (element->ident() != EVR_SQ) return set_error(error, "not a sequence"), nullptr;
      auto* seq = static_cast<DcmSequenceOfItems*>(element);
      if (index >= seq->card()) return set_error(error, "no item " + std::string(token)), nullptr;
      item = seq->getItem(index);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
    want_tag = !want_tag;
  }
  if (!want_tag) return set_error(error, "bad path: ends with an item number"), nullptr;
  return element;
}

uint64_t bulk_value_size(DcmElement& e, const Instance::Impl& instance) {
  if (DcmPixelSequence* seq = fragments(e, instance)) {
    uint64_t size = 0;
    for (unsigned long i = 0; i < seq->card(); ++i) {
      DcmPixelItem* item = nullptr;
      if (seq->getItem(item, i).good() && item) size += 8 + item->getLength();
    }
    return size;
  }
  if (e.isaString() && e.valueLoaded()) {  // see stream_bulk_value
    char* s = nullptr;
    Uint32 n = 0;
    return e.getString(s, n).good() ? n : 0;
  }
  return e.getLength();
}

bool stream_bulk_value(DcmElement& e, const Instance::Impl& instance, const BulkSink& sink,
                       std::string* error) {
  if (e.ident() == EVR_SQ) return set_error(error, "a sequence has no bulk value");
  DcmFileCache cache;
  if (DcmPixelSequence* seq = fragments(e, instance)) {
    // The encapsulated stream as stored: item tag (FFFE,E000), length, fragment; no delimiter.
    for (unsigned long i = 0; i < seq->card(); ++i) {
      DcmPixelItem* item = nullptr;
      if (seq->getItem(item, i).bad() || !item) return set_error(error, "cannot read a fragment");
      char header[8] = {'\xFE', '\xFF', '\x00', '\xE0'};
      put_le32(header + 4, item->getLength());
      if (!sink(header, sizeof header)) return set_error(error, "stopped");
      if (!stream_partial(*item, item->getLength(), cache, sink, error)) return false;
    }
    return true;
  }
  if (e.isaString() && e.valueLoaded()) {
    // A loaded string may have been turned into its trimmed C form; take it from there.
    char* s = nullptr;
    Uint32 n = 0;
    if (e.getString(s, n).bad()) return set_error(error, "cannot read a string value");
    if (n > 0 && !sink(s, n)) return set_error(error, "stopped");
    return true;
  }
  return stream_partial(e, e.getLength(), cache, sink, error);
}

}  // namespace healthd::dicom::detail
