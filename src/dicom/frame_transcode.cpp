#include "dicom/frame_transcode.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcswap.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <cstring>
#include <exception>
#include <vector>

#include "dicom/codecs.h"
#include "dicom/codecs_encode.h"
#include "dicom/encapsulated.h"
#include "dicom/instance.h"
#include "dicom/instance_impl.h"

namespace healthd::dicom {

namespace {

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

// The attributes encoders read: the Image Pixel, Modality LUT and VOI LUT modules (group 0028)
// and what identifies the image.
void copy_image_attributes(DcmDataset& from, DcmDataset& to) {
  for (unsigned long i = 0; i < from.card(); ++i) {
    DcmElement* e = from.getElement(i);
    const DcmTagKey key = e->getTag();
    if (key.getGroup() == 0x0028 || key == DCM_SOPClassUID || key == DCM_Modality)
      to.insert(static_cast<DcmElement*>(e->clone()), OFTrue);
  }
  to.findAndDeleteElement(DCM_NumberOfFrames);
}

OFCondition put_pixels(DcmDataset& ds, const std::string& native) {
  Uint16 bits = 0;
  ds.findAndGetUint16(DCM_BitsAllocated, bits);
  if (bits <= 8) return ds.putAndInsertUint8Array(DCM_PixelData, reinterpret_cast<const Uint8*>(native.data()),
                                                  static_cast<unsigned long>(native.size()));
  std::vector<Uint16> words((native.size() + 1) / 2, 0);
  std::memcpy(words.data(), native.data(), native.size());
  swapIfNecessary(gLocalByteOrder, EBO_LittleEndian, words.data(), static_cast<Uint32>(words.size() * 2), 2);
  return ds.putAndInsertUint16Array(DCM_PixelData, words.data(), static_cast<unsigned long>(words.size()));
}

}  // namespace

bool transcode_frame(const Instance& instance, const std::string& native, std::string_view photometric,
                     std::string_view target_uid, std::string& out, std::string* error) {
  detail::register_codecs();
  const std::string target_text(target_uid);
  const DcmXfer target(target_text.c_str());
  if (!target.isEncapsulated()) return fail(error, "not a compressed transfer syntax");
  DcmDataset one;
  copy_image_attributes(instance.impl().dataset(), one);
  if (!photometric.empty()) one.putAndInsertString(DCM_PhotometricInterpretation, std::string(photometric).c_str());
  // Native 4:2:2 frames (a decoded one is full color already): the encoders would read them as
  // three samples per pixel.
  OFString pi;
  if (one.findAndGetOFString(DCM_PhotometricInterpretation, pi).good() && (pi == "YBR_FULL_422" || pi == "YBR_PARTIAL_422"))
    return fail(error, std::string("frames in ") + pi.c_str() + " (two pixels share their color) are not re-encoded");
  if (OFCondition c = put_pixels(one, native); c.bad()) return fail(error, c.text());
  try {
    if (OFCondition c = detail::choose_target_representation(one, target.getXfer()); c.bad()) return fail(error, c.text());
  } catch (const std::exception& e) {  // bad_alloc on nonsense geometry
    return fail(error, e.what());
  }
  DcmElement* element = nullptr;
  if (one.findAndGetElement(DCM_PixelData, element).bad() || !element || element->ident() != EVR_PixelData)
    return fail(error, "no Pixel Data after encoding");
  auto* pixels = static_cast<DcmPixelData*>(element);
  E_TransferSyntax syntax = EXS_Unknown;
  const DcmRepresentationParameter* parameter = nullptr;
  pixels->getCurrentRepresentationKey(syntax, parameter);
  DcmPixelSequence* sequence = nullptr;
  if (syntax != target.getXfer() || pixels->getEncapsulatedRepresentation(syntax, parameter, sequence).bad() || !sequence)
    return fail(error, "the encoder gave no compressed frame");
  // item 0 is the Basic Offset Table; the rest is the one frame
  return detail::fragment_bytes(*sequence, 1, static_cast<uint32_t>(sequence->card()), out, error);
}

}  // namespace healthd::dicom
