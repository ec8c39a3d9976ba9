#include "dicom/render.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmimage/diregist.h>  // color images (RGB, YBR, palette) for DicomImage
#include <dcmtk/dcmimage/dipipng.h>
#include <dcmtk/dcmimgle/dcmimage.h>

#include <jpeglib.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>

#include "dicom/codecs.h"
#include "dicom/instance_impl.h"

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

// The rendered 8-bit pixels (one sample, or RGB interleaved) as a baseline JPEG, by libjpeg-turbo:
// its SIMD code takes a fraction of the time of the plain IJG copy inside DCMTK's DiJPEGPlugin.
// Sampling 4:4:4, as the plugin was asked for.
bool encode_jpeg(const unsigned char* pixels, unsigned width, unsigned height, int components, int quality,
                 std::string& out, std::string* error) {
  struct Failure {
    jpeg_error_mgr manager;
    std::jmp_buf jump;
  };
  jpeg_compress_struct cinfo{};
  Failure failure{};
  cinfo.err = jpeg_std_error(&failure.manager);
  failure.manager.error_exit = [](j_common_ptr c) { std::longjmp(reinterpret_cast<Failure*>(c->err)->jump, 1); };
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  if (setjmp(failure.jump)) {
    jpeg_destroy_compress(&cinfo);
    std::free(buffer);
    return fail(error, "the image could not be encoded as JPEG");
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = components;
  cinfo.in_color_space = components == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  for (int c = 0; c < cinfo.num_components; ++c) cinfo.comp_info[c].h_samp_factor = cinfo.comp_info[c].v_samp_factor = 1;
  jpeg_start_compress(&cinfo, TRUE);
  const size_t stride = static_cast<size_t>(width) * components;
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<unsigned char*>(pixels + cinfo.next_scanline * stride);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  out.assign(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  return true;
}

}  // namespace

bool render_frame(const Instance& instance, const RenderOptions& options, std::string& out, std::string* error) {
  detail::register_codecs();
  DcmFileFormat& file = *instance.impl().file;
  try {
    // Partial access: only the frame asked for is read (and decoded) from the file.
    DicomImage image(&file, file.getDataset()->getOriginalXfer(), CIF_UsePartialAccessToPixelData, options.frame, 1);
    if (image.getStatus() != EIS_Normal)
      return fail(error, std::string("cannot render: ") + DicomImage::getString(image.getStatus()));
    if (image.isMonochrome()) {
      if (image.getWindowCount() > 0)
        image.setWindow(0);
      else
        image.setMinMaxWindow();
    }
    if (options.format == ImageFormat::Jpeg) {
      // 8 bits per sample, color interleaved (planar 0), windowed as set above.
      const auto* pixels = static_cast<const unsigned char*>(image.getOutputData(8, 0, 0));
      if (!pixels) return fail(error, "the image could not be rendered");
      return encode_jpeg(pixels, static_cast<unsigned>(image.getWidth()), static_cast<unsigned>(image.getHeight()),
                         image.isMonochrome() ? 1 : 3, options.quality, out, error);
    }
    MemoryFile memory;
    if (!memory.get()) return fail(error, "cannot allocate the image buffer");
    DiPNGPlugin png;
    if (!image.writePluginFormat(&png, memory.get(), 0) || !memory.take(out))
      return fail(error, "the image could not be encoded");
  } catch (const std::exception& e) {
    return fail(error, std::string("cannot render: ") + e.what());
  }
  return true;
}

}  // namespace healthd::dicom
