"""Independent reader (pydicom) for the RTSTRUCT image-reference tests.

Usage: /usr/bin/python3 rtstruct_image_refs.py CT_DIR [RTSTRUCT_FILE]

Prints JSON:
  ct: {SeriesInstanceUID: {"sopClassUids": [...], "slices": [{"uid", "z", "normal"}, ...]}} for every
      CT image under CT_DIR (recursively), slices sorted by the projection of ImagePositionPatient
      on the slice normal (row x column cosines, PS3.3 C.7.6.2.1.1), "z" = ImagePositionPatient z;
  rtstruct (when a file is given): the frame of reference, the RT Referenced Series items with
      their Contour Image Sequence UIDs, and per contour its ROI name, its Contour Image Sequence
      items (SOP class, SOP instance) and the min/max z of its points.
Used by tests/integration/import/import-phantom.test.ts and
tests/integration/viewer/rtstruct-image-references.test.ts.
"""
import json
import os
import sys

import pydicom


def ct_slices(folder):
    out = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                d = pydicom.dcmread(os.path.join(root, name), stop_before_pixels=True)
            except Exception:
                continue
            if getattr(d, "Modality", "") != "CT":
                continue
            r, c = [float(v) for v in d.ImageOrientationPatient[:3]], [float(v) for v in d.ImageOrientationPatient[3:]]
            n = [r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]]
            p = [float(v) for v in d.ImagePositionPatient]
            s = out.setdefault(d.SeriesInstanceUID, {"sopClassUids": set(), "slices": []})
            s["sopClassUids"].add(d.SOPClassUID)
            s["slices"].append({"uid": d.SOPInstanceUID, "z": p[2], "normal": sum(a * b for a, b in zip(p, n))})
    for s in out.values():
        s["sopClassUids"] = sorted(s["sopClassUids"])
        s["slices"].sort(key=lambda x: x["normal"])
    return out


def rtstruct(file):
    d = pydicom.dcmread(file)
    refs = []
    for f in d.get("ReferencedFrameOfReferenceSequence", []):
        for st in f.get("RTReferencedStudySequence", []):
            for se in st.get("RTReferencedSeriesSequence", []):
                refs.append({
                    "series": se.SeriesInstanceUID,
                    "images": [i.ReferencedSOPInstanceUID for i in se.get("ContourImageSequence", [])],
                })
    names = {r.ROINumber: r.ROIName for r in d.StructureSetROISequence}
    contours = []
    for rc in d.ROIContourSequence:
        for c in rc.get("ContourSequence", []):
            zs = [float(v) for v in c.ContourData[2::3]]
            contours.append({
                "roi": names[rc.ReferencedROINumber],
                "images": [{"sopClassUid": i.ReferencedSOPClassUID, "sopInstanceUid": i.ReferencedSOPInstanceUID} for i in c.get("ContourImageSequence", [])],
                "hasContourImageSequence": "ContourImageSequence" in c,
                "zMin": min(zs),
                "zMax": max(zs),
            })
    return {
        "frameOfReferenceUid": d.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID,
        "hasStudyReference": "RTReferencedStudySequence" in d.ReferencedFrameOfReferenceSequence[0],
        "referencedSeries": refs,
        "contours": contours,
    }


out = {"ct": ct_slices(sys.argv[1]) if sys.argv[1] != "-" else {}}
if len(sys.argv) > 2:
    out["rtstruct"] = rtstruct(sys.argv[2])
print(json.dumps(out))
