// Synthesized instances for the JSON model tests and the pydicom comparison. Private elements
// of creator "HEALTHD TEST" in group 0009 carry values of any VR (explicit VR keeps the VR).
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <gtest/gtest.h>

#include "test_support.h"

namespace healthd::dicom::testing {

namespace {

// Puts value (raw bytes, "\"-separated for several values) into (gggg,eeee) with the given VR.
void put(DcmItem& item, Uint16 g, Uint16 e, DcmEVR vr, const std::string& value) {
  DcmElement* elem = nullptr;
  ASSERT_TRUE(DcmItem::newDicomElementWithVR(elem, DcmTag(g, e, DcmVR(vr))).good());
  if (!value.empty()) {
    OFCondition st = elem->isaString() ? elem->putString(value.data(), static_cast<Uint32>(value.size()))
                                       : elem->putString(value.c_str());
    ASSERT_TRUE(st.good()) << st.text();
  }
  ASSERT_TRUE(item.insert(elem, OFTrue).good());
}

void creator(DcmItem& item) { put(item, 0x0009, 0x0010, EVR_LO, "HEALTHD TEST"); }

void latin1(DcmDataset& ds) {
  fill_minimal(ds);
  put(ds, 0x0008, 0x0005, EVR_CS, "ISO_IR 100");
  put(ds, 0x0010, 0x0010, EVR_PN, "M\xFCller^J\xFCrgen");
  put(ds, 0x0008, 0x1030, EVR_LO, "Cr\xE2ne \\ \xE9t\xE9 ");  // two values, spaces kept in front
  put(ds, 0x0008, 0x2111, EVR_ST, "a\\b is one value  ");
}

void utf8(DcmDataset& ds) {
  fill_minimal(ds);
  put(ds, 0x0008, 0x0005, EVR_CS, "ISO_IR 192");
  put(ds, 0x0010, 0x0010, EVR_PN, "Yamada^Tarou=\xE5\xB1\xB1\xE7\x94\xB0^\xE5\xA4\xAA\xE9\x83\x8E=\xE3\x82\x84\xE3\x81\xBE\xE3\x81\xA0^\xE3\x81\x9F\xE3\x82\x8D\xE3\x81\x86");
  put(ds, 0x0008, 0x1030, EVR_LO, "\xCE\xB1\\\xCE\xB2");
  put(ds, 0x0008, 0x0090, EVR_PN, "=Ideographic^Only");
}

void jis(DcmDataset& ds) {  // PS3.5 H.3.1: ISO 2022 IR 87 (JIS X 0208 kanji)
  fill_minimal(ds);
  put(ds, 0x0008, 0x0005, EVR_CS, "\\ISO 2022 IR 87");
  put(ds, 0x0010, 0x0010, EVR_PN,
      "Yamada^Tarou=\x1B$B;3ED\x1B(B^\x1B$BB@O:\x1B(B=\x1B$B$d$^$@\x1B(B^\x1B$B$?$m$&\x1B(B");
}

void gb18030(DcmDataset& ds) {
  fill_minimal(ds);
  put(ds, 0x0008, 0x0005, EVR_CS, "GB18030");
  put(ds, 0x0010, 0x0010, EVR_PN, "Wang^XiaoDong=\xCD\xF5^\xD0\xA1\xB6\xAB=");
}

void values(DcmDataset& ds) {
  fill_minimal(ds);
  creator(ds);
  put(ds, 0x0008, 0x0008, EVR_CS, "ORIGINAL\\\\AXIAL");     // an empty value in the middle
  put(ds, 0x0018, 0x0050, EVR_DS, " 1.5 ");
  put(ds, 0x0020, 0x0032, EVR_DS, "1e3\\-2.25\\+7");
  put(ds, 0x0020, 0x0037, EVR_DS, "1\\\\0");                 // an empty DS value: null
  put(ds, 0x0020, 0x0013, EVR_IS, " 12");
  put(ds, 0x0020, 0x0012, EVR_IS, "1A");                     // not a number: left out
  put(ds, 0x0008, 0x1010, EVR_SH, "");                       // empty: vr only
  put(ds, 0x0028, 0x0009, EVR_AT, "(0018,1063)\\(0054,0010)");
  put(ds, 0x0018, 0x1310, EVR_US, "0\\256\\65535\\0");
  put(ds, 0x0009, 0x1001, EVR_SS, "-32768\\32767");
  put(ds, 0x0009, 0x1002, EVR_UL, "4294967295");
  put(ds, 0x0009, 0x1003, EVR_SL, "-2147483648");
  put(ds, 0x0009, 0x1004, EVR_FL, "0.1\\-2.5");
  put(ds, 0x0009, 0x1005, EVR_FD, "0.1\\1e300");
  put(ds, 0x0009, 0x1006, EVR_SV, "-9223372036854775808");
  put(ds, 0x0009, 0x1007, EVR_UV, "18446744073709551615");
  put(ds, 0x0009, 0x1008, EVR_AE, " STORE SCP ");
  put(ds, 0x0009, 0x1009, EVR_UR, "http://example.org/x ");
  put(ds, 0x0009, 0x100A, EVR_UT, "long text\\not split  ");
  put(ds, 0x0009, 0x100B, EVR_PN, "Doe^John\\Roe^Jane");
  put(ds, 0x0009, 0x100C, EVR_DA, "20240101\\20241231");
  put(ds, 0x0009, 0x100D, EVR_TM, "235959.123456");
  put(ds, 0x0009, 0x100E, EVR_UC, "unlimited\\characters");
  put(ds, 0x0009, 0x1010, EVR_OB, "1\\2\\3\\4");  // hex bytes
  put(ds, 0x0009, 0x1011, EVR_OW, "0102\\0304");  // hex words
  put(ds, 0x0009, 0x1012, EVR_OF, "1.5");
  put(ds, 0x0009, 0x1013, EVR_OD, "2.5");
  put(ds, 0x0009, 0x1014, EVR_OL, "16909060");
  put(ds, 0x0009, 0x1015, EVR_OB, "");                       // empty binary: vr only
  put(ds, 0x0009, 0x1016, EVR_LT, std::string(300, 'x'));    // for bulk_value_min
  ASSERT_TRUE(ds.insertEmptyElement(DCM_ReferencedStudySequence).good());  // empty sequence
  DcmItem* item = nullptr;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(ds.findOrCreateSequenceItem(DCM_ReferencedImageSequence, item, -2).good());
    item->putAndInsertString(DCM_ReferencedSOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
    item->putAndInsertString(DCM_ReferencedSOPInstanceUID, i ? "1.2.3.9.2" : "1.2.3.9.1");
    creator(*item);
    put(*item, 0x0009, 0x1010, EVR_OB, i ? "9\\8" : "7\\6");
  }
}

}  // namespace

std::vector<std::string> write_edge_cases(const std::string& dir) {
  struct Case {
    const char* name;
    void (*fill)(DcmDataset&);
    const char* xfer;
  };
  const Case cases[] = {
      {"synth-latin1.dcm", latin1, "1.2.840.10008.1.2.1"},
      {"synth-utf8.dcm", utf8, "1.2.840.10008.1.2.1"},
      {"synth-jis.dcm", jis, "1.2.840.10008.1.2.1"},
      {"synth-gb18030.dcm", gb18030, "1.2.840.10008.1.2.1"},
      {"synth-values.dcm", values, "1.2.840.10008.1.2.1"},
      {"synth-values-bigendian.dcm", values, "1.2.840.10008.1.2.2"},
  };
  std::vector<std::string> names;
  for (const Case& c : cases) {
    write_instance(dir + "/" + c.name, c.fill, c.xfer);
    names.push_back(c.name);
  }
  return names;
}

}  // namespace healthd::dicom::testing
