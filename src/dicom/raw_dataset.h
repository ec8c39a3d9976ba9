// Internal to src/dicom: STOW's fast reader. A Part 10 upload in memory, read in one walk of its
// bytes into a tree of elements whose values stay in those bytes (nothing copied).
//
// Why it exists: reading an upload with DCMTK was the largest cost of a STOW (for each element
// a dictionary look-up under a global lock, a scan of the repeating-tag list for every private
// tag, a mutex per parser setting, an allocation per element and a copy of every value). This
// reader covers the common encoding, Explicit VR Little Endian (the data set of every
// encapsulated syntax too), and declines (nullopt) whatever it does not read exactly as DCMTK
// does: other byte orders and deflate, Implicit VR (its VRs come from the dictionary), UN
// (DCMTK gives known tags their dictionary VR), odd lengths, elements out of tag order,
// undefined lengths other than sequences and encapsulated Pixel Data, UIDs with blanks or
// values with NULs inside (DCMTK cleans those), too deep nesting, anything broken. A declined
// upload goes to DCMTK (instance.h), which stays the reader of record: stored files, WADO,
// transcoding and every file this reader declines. The DICOM JSON, the checks and the index
// are one code for both (templates over the element type); raw_dataset_test proves the two
// paths give the same JSON, checks and index for every test file this reader accepts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dicom/element_values.h"
#include "dicom/tag.h"

namespace healthd::dicom::detail {

struct RawItem;

struct RawElement {
  Tag tag = 0;
  char vr[2] = {0, 0};
  // The value as stored: for a sequence empty (see items); for encapsulated Pixel Data the
  // fragments as stored (item tag, length, bytes each; no delimiter); else the value bytes.
  std::string_view value;
  std::vector<RawItem> items;
};

struct RawItem {
  std::vector<RawElement> elements;  // in tag order
};

class RawDataset {
 public:
  // The upload's data set, or nullopt when DCMTK must read it (see above). bytes must outlive
  // the result.
  static std::optional<RawDataset> read(std::string_view bytes, int max_sequence_depth);

  const RawItem& root() const { return root_; }
  const std::string& transfer_syntax_uid() const { return transfer_syntax_uid_; }

 private:
  RawItem root_;
  std::string transfer_syntax_uid_;
};

// What the DICOM JSON, the checks and the index read of an element (element_values.h has the
// same for DCMTK's elements).
inline std::string_view vr_name(const RawElement& e) { return std::string_view(e.vr, 2); }
inline Tag element_tag(const RawElement& e) { return e.tag; }
inline uint64_t value_length(const RawElement& e) { return e.value.size(); }
bool read_text_values(const RawElement& e, VrKind kind, const TextDecoder& text, TextValues& out);
bool read_values_as_text(const RawElement& e, const TextDecoder& text, TextValues& out);
std::optional<std::vector<std::string>> values_as_text(const RawElement& e, const TextDecoder& text);
bool read_binary_numbers(const RawElement& e, std::string_view vr, std::vector<BinaryNumber>& out);
bool read_tag_values(const RawElement& e, std::vector<Tag>& out);
TextDecoder decoder_for(const RawItem& item, const TextDecoder& inherited);
const RawElement* find_element(const RawItem& item, Tag tag);
std::vector<const RawElement*> find_elements(const RawItem& item, const std::vector<Tag>& tags);
const RawElement* find_element(const RawItem& item, Tag tag, std::string_view private_creator);

}  // namespace healthd::dicom::detail
