"""Writes a synthetic multi-frame CT-like instance (Explicit VR Little Endian) for the transcoding
benchmark: FRAMES frames of SIZE x SIZE 16-bit pixels, smooth anatomy-like content plus noise, so
the codecs see realistic compression ratios.   make_multiframe.py OUT.dcm [FRAMES] [SIZE]"""
import sys

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

out = sys.argv[1]
frames = int(sys.argv[2]) if len(sys.argv) > 2 else 16
size = int(sys.argv[3]) if len(sys.argv) > 3 else 512

rng = np.random.default_rng(1)
y, x = np.mgrid[0:size, 0:size] / size
pixels = np.empty((frames, size, size), dtype=np.uint16)
for f in range(frames):
    body = ((x - 0.5) ** 2 + (y - 0.5) ** 2 < (0.4 - 0.005 * f) ** 2) * 1000
    organs = 300 * np.sin(12 * x + f * 0.1) * np.cos(9 * y)
    pixels[f] = np.clip(body + organs + rng.normal(0, 20, (size, size)) + 1024, 0, 4095)

meta = FileMetaDataset()
meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"  # Enhanced CT
meta.MediaStorageSOPInstanceUID = generate_uid()
meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds = Dataset()
ds.file_meta = meta
ds.is_little_endian, ds.is_implicit_VR = True, False
ds.SOPClassUID = meta.MediaStorageSOPClassUID
ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
ds.PatientID, ds.PatientName, ds.Modality = "BENCH", "Bench^Transcode", "CT"
ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
ds.Rows = ds.Columns = size
ds.NumberOfFrames = frames
ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
ds.WindowCenter, ds.WindowWidth = 1400, 1600
ds.PixelData = pixels.tobytes()
ds.save_as(out, write_like_original=False)
print(ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
