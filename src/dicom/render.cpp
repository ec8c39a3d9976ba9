#include "dicom/render.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmimage/diregist.h>  // color images (RGB, YBR, palette) for DicomImage
#include <dcmtk/dcmimage/dipipng.h>
#include <dcmtk/dcmimgle/dcmimage.h>
#include <dcmtk/dcmjpeg/dipijpeg.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>

#include "dicom/codecs.h"

namespace healthd::dicom {

namespace {

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

// Collects what a DCMTK plugin writes to a FILE* (glibc's memory stream).
class MemoryFile {
 public:
  MemoryFile() : file_(open_memstream(&data_, &size_)) {}
  ~MemoryFile() {
    if (file_) std::fclose(file_);
    std::free(data_);
  }
  FILE* get() const { return file_; }
  bool take(std::string& out) {
    if (!file_ || std::fclose(file_) != 0) return file_ = nullptr, false;
    file_ = nullptr;
    out.assign(data_, size_);
    return true;
  }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  FILE* file_;
};

}  // namespace

bool render_frame(const std::string& path, const RenderOptions& options, std::string& out, std::string* error) {
  detail::register_codecs();
  DcmFileFormat file;
  if (OFCondition c = file.loadFile(OFFilename(path.c_str()), EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                                    ERM_fileOnly);
      c.bad())
    return fail(error, std::string("the stored file does not parse: ") + c.text());
  try {
    // Partial access: only the frame asked for is read (and decoded).
    DicomImage image(&file, file.getDataset()->getOriginalXfer(), CIF_UsePartialAccessToPixelData, options.frame, 1);
    if (image.getStatus() != EIS_Normal)
      return fail(error, std::string("cannot render: ") + DicomImage::getString(image.getStatus()));
    if (image.isMonochrome()) {
      if (image.getWindowCount() > 0)
        image.setWindow(0);
      else
        image.setMinMaxWindow();
    }
    MemoryFile memory;
    if (!memory.get()) return fail(error, "cannot allocate the image buffer");
    int written = 0;
    if (options.format == ImageFormat::Jpeg) {
      DiJPEGPlugin jpeg;
      jpeg.setQuality(static_cast<unsigned int>(options.quality));
      jpeg.setSampling(ESS_444);
      written = image.writePluginFormat(&jpeg, memory.get(), 0);
    } else {
      DiPNGPlugin png;
      written = image.writePluginFormat(&png, memory.get(), 0);
    }
    if (!written || !memory.take(out)) return fail(error, "the image could not be encoded");
  } catch (const std::exception& e) {
    return fail(error, std::string("cannot render: ") + e.what());
  }
  return true;
}

}  // namespace healthd::dicom
