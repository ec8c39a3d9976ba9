// Internal to src/dicom: giving a dataset's Pixel Data the representation of a target transfer
// syntax with the registered codecs (codecs.h), for whole instances (transcode.cpp) and single
// frames (frame_transcode.cpp). Prepares what an encoder needs (JPEG-LS: the bits above
// BitsStored cleared, its near-lossless parameter) and refuses what would crash it.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcxfer.h>

namespace healthd::dicom::detail {

// Native targets share one in-memory representation (Explicit VR Little Endian); DCMTK writes
// their encoding.
OFCondition choose_target_representation(DcmDataset& ds, E_TransferSyntax target);

}  // namespace healthd::dicom::detail
