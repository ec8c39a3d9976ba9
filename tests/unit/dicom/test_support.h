// Shared by the unit_dicom tests: where pydicom's test files are, temporary directories,
// small tab-separated data files, and synthesized instances written with DCMTK.
#pragma once

#include <functional>
#include <string>
#include <vector>

class DcmDataset;

namespace healthd::dicom {
struct IndexAttributes;
}

namespace healthd::dicom::testing {

// Every index attribute (extended ones included) as one comparable line.
std::string index_text(const IndexAttributes& x);

// Debian's python3-pydicom test files.
inline const std::string kTestFiles = "/usr/lib/python3/dist-packages/pydicom/data/test_files";

// Every regular file under kTestFiles, as paths relative to it, sorted.
std::vector<std::string> all_test_files();

// A file of this test folder (tests/unit/dicom/<name>).
std::string here(const std::string& name);

// Rows of a tab-separated file; blank lines and lines starting with '#' are skipped.
std::vector<std::vector<std::string>> read_tsv(const std::string& path);

struct TempDir {
  TempDir();
  ~TempDir();
  std::string path;
};

// Writes a Part 10 file: Explicit VR Little Endian unless xfer names another UID; fill adds the
// data set's elements.
void write_instance(const std::string& path, const std::function<void(DcmDataset&)>& fill,
                    const std::string& xfer = "1.2.840.10008.1.2.1");

// A minimal valid CT instance: the required attributes and a few searchable ones.
void fill_minimal(DcmDataset& ds);

}  // namespace healthd::dicom::testing

namespace healthd::dicom::testing {

// Writes small instances that exercise the corners of the DICOM JSON model (character sets,
// person names, empty values, numbers, tags, sequences, binary values) into dir; returns their
// file names. Their elements are listed in edge_cases.cpp.
std::vector<std::string> write_edge_cases(const std::string& dir);

}  // namespace healthd::dicom::testing
