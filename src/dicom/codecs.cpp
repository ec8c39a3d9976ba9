#include "dicom/codecs.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/dcmjpls/djencode.h>

#include <mutex>

#include "dicom/instance_impl.h"

namespace healthd::dicom::detail {

void register_codecs() {
  static std::once_flag once;
  std::call_once(once, [] {
    init_dcmtk();
    // A retrieve re-encodes what is stored: the instance keeps its SOP Instance UID even when
    // the target is lossy (the client asked for that instance), and nothing becomes a
    // Secondary Capture.
    DJDecoderRegistration::registerCodecs(EDC_photometricInterpretation, EUC_never);
    DJEncoderRegistration::registerCodecs(ECC_lossyYCbCr, EUC_never);
    DJLSDecoderRegistration::registerCodecs(EJLSUC_never);
    DJLSEncoderRegistration::registerCodecs(0, 0, 0, 0, OFTrue, 0, OFTrue, EJLSUC_never);
    DcmRLEDecoderRegistration::registerCodecs(OFFalse);
    DcmRLEEncoderRegistration::registerCodecs(OFFalse);
    register_j2k_decoder();
    register_j2k_encoder();
  });
}

}  // namespace healthd::dicom::detail
