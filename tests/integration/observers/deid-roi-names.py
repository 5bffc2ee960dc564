"""Independent read of a de-identified export's RTSTRUCTs with pydicom (deid-observer-names.test.ts).

Usage: /usr/bin/python3 deid-roi-names.py EXPORT_DIR
Prints one JSON object: for each RTSTRUCT file (path relative to EXPORT_DIR), its ROI names in
StructureSetROISequence order and the number of ROIContourSequence items with contours.
"""
import json
import os
import sys

import pydicom

export_dir = sys.argv[1]
out = {}
for root, _, names in os.walk(export_dir):
    for name in sorted(names):
        if not name.endswith(".dcm"):
            continue
        path = os.path.join(root, name)
        ds = pydicom.dcmread(path)
        if ds.Modality != "RTSTRUCT":
            continue
        rois = [str(r.ROIName) for r in ds.StructureSetROISequence]
        contoured = sum(1 for c in ds.ROIContourSequence if len(c.get("ContourSequence", [])) > 0)
        out[os.path.relpath(path, export_dir)] = {"rois": rois, "contoured": contoured}
print(json.dumps(out))
