#!/usr/bin/python3
"""pydicom's DICOM JSON for DICOM files: the reference the C++ test compares healthd's with.

usage: pydicom_json.py BULK_BASE INLINE_MAX FILE...

  BULK_BASE   an element's BulkDataURI is BULK_BASE + "/" + its path ("7FE00010",
              "00540016/0/00181072": sequence tags and item numbers down to the element)
  INLINE_MAX  binary values of at most this many bytes are InlineBinary, longer ones
              BulkDataURI (0: always BulkDataURI); a multiple of 3, so pydicom's threshold
              on the base64 length means the same
Prints one JSON object: {FILE: Dataset.to_json_dict(...) or {"error": "..."}}.
"""
import json
import sys
import warnings

import pydicom


def element_paths(dataset, prefix, out):
    # Iterating converts each raw element once; to_json_dict then sees the same objects.
    for elem in dataset:
        path = prefix + format(elem.tag, "08X")
        out[id(elem)] = path
        if elem.VR == "SQ":
            for i, item in enumerate(elem.value):
                element_paths(item, f"{path}/{i}/", out)


def dataset_json(file, bulk_base, inline_max):
    ds = pydicom.dcmread(file)
    paths = {}
    element_paths(ds, "", paths)
    return ds.to_json_dict(
        bulk_data_threshold=inline_max * 4 // 3,
        bulk_data_element_handler=lambda elem: bulk_base + "/" + paths[id(elem)],
        suppress_invalid_tags=True,  # like healthd, leave out what cannot be represented
    )


def main():
    bulk_base, inline_max, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    if inline_max % 3:
        sys.exit("INLINE_MAX must be a multiple of 3")
    warnings.simplefilter("ignore")
    pydicom.config.logger.disabled = True
    out = {}
    for file in files:
        try:
            out[file] = dataset_json(file, bulk_base, inline_max)
        except Exception as e:  # reported per file; the C++ test decides
            out[file] = {"error": f"{type(e).__name__}: {e}"}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
