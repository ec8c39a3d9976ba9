#include "dicom/transcode.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrma.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <exception>
#include <limits>

#include "dicom/codecs.h"
#include "dicom/codecs_encode.h"
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
      const OFCondition c = detail::choose_target_representation(ds, target.getXfer());
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
