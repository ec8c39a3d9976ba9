#include "dicom/instance.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/oflog/oflog.h>

#include <exception>
#include <functional>
#include <mutex>

#include "dicom/instance_impl.h"
#include "dicom/nesting_scan.h"

namespace healthd::dicom {

namespace detail {

void init_dcmtk() {
  static std::once_flag once;
  std::call_once(once, [] {
    // DCMTK would otherwise print parser warnings to stderr; failures reach callers as errors.
    OFLog::configure(OFLogger::OFF_LOG_LEVEL);
    // An explicit-VR "UN" element of a tag the dictionary knows is read with the dictionary's
    // VR (pydicom does the same), so the JSON model carries the real VR.
    dcmEnableUnknownVRConversion.set(OFTrue);
  });
}

}  // namespace detail

Instance::Impl::~Impl() = default;

DcmDataset& Instance::Impl::dataset() const { return *file->getDataset(); }

Instance::Instance(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Instance::~Instance() = default;

const std::string& Instance::path() const { return impl_->path; }
const std::string& Instance::transfer_syntax_uid() const { return impl_->transfer_syntax_uid; }

namespace {

// What open() and parse() share: the checks before DCMTK, DCMTK reading the file (`read`
// fills impl->file), then the File Meta Information.
std::unique_ptr<Instance::Impl> load(const std::function<bool(std::string*)>& nesting_ok,
                                     const std::function<OFCondition(DcmFileFormat&)>& read,
                                     std::string* error) {
  auto fail = [&](std::string why) {
    if (error) *error = std::move(why);
    return nullptr;
  };
  detail::init_dcmtk();
  if (!dcmDataDict.isDictionaryLoaded()) return fail("DCMTK data dictionary not loaded");

  std::string why;
  if (!nesting_ok(&why)) return fail("not a readable DICOM file: " + why);

  auto impl = std::make_unique<Instance::Impl>();
  impl->file = std::make_unique<DcmFileFormat>();
  OFCondition status;
  try {
    status = read(*impl->file);
  } catch (const std::exception& e) {  // e.g. bad_alloc on a corrupt length
    return fail(std::string("not a readable DICOM file: ") + e.what());
  }
  if (status.bad()) return fail(std::string("not a readable DICOM file: ") + status.text());

  OFString ts;
  if (impl->file->getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, ts).bad() || ts.empty())
    return fail("no Transfer Syntax UID in the File Meta Information");
  DcmXfer xfer(impl->dataset().getOriginalXfer());
  if (xfer.getXfer() == EXS_Unknown) return fail("unknown transfer syntax " + std::string(ts.c_str()));
  impl->transfer_syntax_uid = ts.c_str();
  impl->implicit_vr = xfer.isImplicitVR();
  impl->big_endian = xfer.getByteOrder() == EBO_BigEndian;
  impl->encapsulated = xfer.isEncapsulated();
  return impl;
}

}  // namespace

std::unique_ptr<Instance> Instance::open(const std::string& path, std::string* error,
                                         const OpenOptions& options) {
  auto impl = load(
      [&](std::string* why) { return detail::nesting_within(path, options.max_sequence_depth, why); },
      [&](DcmFileFormat& file) {
        // ERM_fileOnly: a Part 10 file (preamble, "DICM", meta header) or nothing.
        return file.loadFile(OFFilename(path.c_str()), EXS_Unknown, EGL_noChange, options.max_read_length,
                             ERM_fileOnly);
      },
      error);
  if (!impl) return nullptr;
  impl->path = path;
  return std::unique_ptr<Instance>(new Instance(std::move(impl)));
}

std::unique_ptr<Instance> Instance::parse(std::string_view bytes, std::string* error, const OpenOptions& options) {
  auto impl = load(
      [&](std::string* why) { return detail::nesting_within(bytes, options.max_sequence_depth, why); },
      [&](DcmFileFormat& file) {
        // What loadFile does, from a buffer: a memory stream has no way to load a value later, so
        // DCMTK reads every value now (max_read_length does not apply).
        DcmInputBufferStream in;
        in.setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
        in.setEos();
        file.setReadMode(ERM_fileOnly);
        file.transferInit();
        OFCondition status = file.read(in, EXS_Unknown, EGL_noChange, options.max_read_length);
        file.transferEnd();
        in.releaseBuffer();
        return status;
      },
      error);
  if (!impl) return nullptr;
  return std::unique_ptr<Instance>(new Instance(std::move(impl)));
}

}  // namespace healthd::dicom
