// The study and series rows the DICOM store's writer has written, with the attributes it wrote:
// an instance of a study or series already there with the same attributes (every instance but
// the first of a series, as a rule) needs neither its upsert nor the look-up of its keys.
// Belongs to the writer (used under its lock). Forget everything whenever rows may have gone
// or changed behind its back: a rolled-back savepoint or transaction, a delete.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dicom/index.h"

namespace healthd::storage {

class KnownDicomRows {
 public:
  using Values = std::vector<dicom::IndexAttributes::Text>;

  static Values study_values(const dicom::IndexAttributes& x);
  static Values series_values(const dicom::IndexAttributes& x);

  // The row's key when it is known; with `values`, only when it was written with those values.
  std::optional<int64_t> study(const std::string& study_uid, const Values* values = nullptr) const;
  std::optional<int64_t> series(int64_t study_key, const std::string& series_uid, const Values* values = nullptr) const;

  void remember_study(const std::string& study_uid, int64_t key, Values values);
  void remember_series(int64_t study_key, const std::string& series_uid, int64_t key, Values values);
  void forget_all();

 private:
  struct Row {
    int64_t key = 0;
    Values values;
  };
  static std::optional<int64_t> find(const std::unordered_map<std::string, Row>& rows, const std::string& id,
                                     const Values* values);
  static std::string series_id(int64_t study_key, const std::string& series_uid);
  void make_room();

  static constexpr size_t kMaxRows = 20000;  // per map; a full map starts again empty
  std::unordered_map<std::string, Row> studies_, series_;
};

}  // namespace healthd::storage
