#include "dicom/transcode.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrma.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpls/djrparam.h>

#include <exception>
#include <limits>

#include "dicom/codecs.h"
#include "dicom/transfer_syntax.h"

namespace healthd::dicom {

namespace {

// DCMTK output stream into a BulkSink.
class SinkConsumer : public DcmConsumer {
 public:
  explicit SinkConsumer(const BulkSink& sink) : sink_(sink) {}
  OFBool good() const override { return ok_; }
  OFCondition status() const override { return ok_ ? EC_Normal : EC_StreamNotifyClient; }
  OFBool isFlushed() const override { return OFTrue; }
  offile_off_t avail() const override { return ok_ ? std::numeric_limits<int32_t>::max() : 0; }
  offile_off_t write(const void* buf, offile_off_t n) override {
    if (!ok_) return 0;
    ok_ = sink_(static_cast<const char*>(buf), static_cast<size_t>(n));
    return ok_ ? n : 0;
  }
  void flush() override {}

 private:
  const BulkSink& sink_;
  bool ok_ = true;
};

class SinkStream : public DcmOutputStream {
 public:
  explicit SinkStream(const BulkSink& sink) : DcmOutputStream(&consumer_), consumer_(sink) {}

 private:
  SinkConsumer consumer_;
};

TranscodeResult result(TranscodeStatus status, std::string message) { return {status, std::move(message)}; }

// Clears the bits above BitsStored in native pixels. DCMTK's JPEG-LS encoder (CharLS) asserts --
// aborting the process -- on samples outside BitsStored; those bits are not part of the pixel
// value (PS3.5 8.1.1), so dropping them loses nothing. Signed pixels with fewer bits stored than
// allocated make it assert even then (its "cooked" path): refused.
OFCondition clear_unused_bits(DcmDataset& ds) {
  Uint16 allocated = 0, stored = 0, representation = 0;
  if (ds.findAndGetUint16(DCM_BitsAllocated, allocated).bad() || ds.findAndGetUint16(DCM_BitsStored, stored).bad())
    return EC_TagNotFound;
  if (ds.findAndGetUint16(DCM_PixelRepresentation, representation).good() && representation == 1 && stored < allocated)
    return makeOFCondition(OFM_dcmdata, 0x7f02, OF_error,
                           "signed pixels with BitsStored below BitsAllocated are not encoded in JPEG-LS");
  // Debian's DCMTK 3.6.7 writes past its buffers encoding color JPEG-LS (valgrind, 3x3 RGB): refused.
  Uint16 samples = 1;
  if (ds.findAndGetUint16(DCM_SamplesPerPixel, samples).good() && samples != 1)
    return makeOFCondition(OFM_dcmdata, 0x7f03, OF_error, "color images are not encoded in JPEG-LS");
  if (stored == 0 || stored >= allocated || (allocated != 8 && allocated != 16)) return EC_Normal;
  DcmElement* pixels = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, pixels).bad() || !pixels) return EC_TagNotFound;
  const Uint32 length = pixels->getLength();
  if (allocated == 16) {
    Uint16* words = nullptr;
    if (OFCondition c = pixels->getUint16Array(words); c.bad() || !words) return c.bad() ? c : EC_IllegalCall;
    const Uint16 mask = static_cast<Uint16>((1u << stored) - 1);
    for (Uint32 i = 0; i < length / 2; ++i) words[i] &= mask;
  } else {
    Uint8* bytes = nullptr;
    if (OFCondition c = pixels->getUint8Array(bytes); c.bad() || !bytes) return c.bad() ? c : EC_IllegalCall;
    const Uint8 mask = static_cast<Uint8>((1u << stored) - 1);
    for (Uint32 i = 0; i < length; ++i) bytes[i] &= mask;
  }
  return EC_Normal;
}

bool is_jpeg_ls(E_TransferSyntax x) { return x == EXS_JPEGLSLossless || x == EXS_JPEGLSLossy; }

}  // namespace

TranscodeResult can_transcode(std::string_view stored_uid, std::string_view target_uid) {
  const TransferSyntaxInfo* target = find_transfer_syntax(target_uid);
  if (!target || !target->encodable)
    return result(TranscodeStatus::UnsupportedTarget,
                  "Transcoding to " + describe_transfer_syntax(target_uid) +
                      " is not supported; ask for transfer-syntax=* (the stored syntax) or one of: " +
                      encodable_transfer_syntaxes());
  const TransferSyntaxInfo* stored = find_transfer_syntax(stored_uid);
  if (stored_uid != target_uid && (!stored || !stored->decodable))
    return result(TranscodeStatus::CannotDecode, "The instance is stored in " + describe_transfer_syntax(stored_uid) +
                                                     ", which this server cannot decode; ask for transfer-syntax=*");
  return {};
}

TranscodeResult transcode_file(const std::string& path, std::string_view target_uid, const BulkSink& sink) {
  detail::register_codecs();
  const std::string target_text(target_uid);
  const DcmXfer target(target_text.c_str());
  if (target.getXfer() == EXS_Unknown)
    return result(TranscodeStatus::UnsupportedTarget, "Unknown transfer syntax " + target_text);
  DcmFileFormat file;
  try {
    if (OFCondition c = file.loadFile(OFFilename(path.c_str()), EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                                      ERM_fileOnly);
        c.bad())
      return result(TranscodeStatus::Unreadable, std::string("the stored file does not parse: ") + c.text());
    DcmDataset& ds = *file.getDataset();
    const DcmXfer stored(ds.getOriginalXfer());
    const std::string from = describe_transfer_syntax(stored.getXferID());
    const std::string to = describe_transfer_syntax(target_uid);
    if (ds.tagExists(DCM_PixelData)) {
      if (stored.isEncapsulated() && !DcmCodecList::canChangeCoding(stored.getXfer(), EXS_LittleEndianExplicit))
        return result(TranscodeStatus::CannotDecode,
                      "The instance is stored in " + from + ", which this server cannot decode");
      // Native targets share one in-memory representation; DCMTK writes their encoding.
      const E_TransferSyntax representation = target.isEncapsulated() ? target.getXfer() : EXS_LittleEndianExplicit;
      OFCondition c = EC_Normal;
      if (is_jpeg_ls(representation)) {
        c = ds.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
        if (c.good()) c = clear_unused_bits(ds);
      }
      // JPEG-LS near-lossless: DCMTK's default parameter would encode losslessly (NEAR 0).
      const DJLSRepresentationParameter near_lossless(2, OFFalse);
      const DcmRepresentationParameter* parameter =
          representation == EXS_JPEGLSLossy ? &near_lossless : nullptr;
      if (c.good()) c = ds.chooseRepresentation(representation, parameter);
      if (c.bad()) {
        if (stored.isEncapsulated() && !ds.hasRepresentation(EXS_LittleEndianExplicit, nullptr))
          return result(TranscodeStatus::CannotDecode, "The pixels stored in " + from + " do not decode: " + c.text());
        return result(TranscodeStatus::CannotEncode, "The pixels cannot be encoded in " + to + ": " + c.text());
      }
    }
    if (!ds.canWriteXfer(target.getXfer()))
      return result(TranscodeStatus::CannotEncode, "The instance cannot be written in " + to);
    SinkStream out(sink);
    file.transferInit();
    OFCondition c = file.write(out, target.getXfer(), EET_ExplicitLength, nullptr, EGL_recalcGL);
    file.transferEnd();
    out.flush();
    if (c.bad() || !out.good())
      return result(TranscodeStatus::CannotEncode, std::string("writing the instance in ") + to + " failed: " + c.text());
  } catch (const std::exception& e) {  // bad_alloc on a corrupt length
    return result(TranscodeStatus::CannotDecode, std::string("transcoding failed: ") + e.what());
  }
  return {};
}

}  // namespace healthd::dicom
