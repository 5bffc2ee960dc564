"""Independent check of a de-identified export with pydicom (tests/integration/security/deid-export.test.ts).

Usage: /usr/bin/python3 deid-export-read.py EXPORT_DIR REAL_STUDY_DATE(YYYY-MM-DD) SHIFT_DAYS
Prints one JSON object: the distinct values of the de-identification attributes over all files,
the expected shifted study date (computed here with datetime, not by the code under test), and
whether every RTSTRUCT contour references a CT image present in the export.
"""
import datetime
import json
import os
import sys

import pydicom

export_dir, real_date, shift = sys.argv[1], sys.argv[2], int(sys.argv[3])
expected = (datetime.date.fromisoformat(real_date) + datetime.timedelta(days=shift)).strftime("%Y%m%d")

out = {"files": 0, "unreadable": [], "expectedStudyDate": expected}
sets = {k: set() for k in ["patientNames", "patientIds", "birthDates", "identityRemoved", "methodCodes", "longitudinal", "studyDates", "studyUids"]}
ct_sops, ct_series, ct_for = set(), set(), set()
rtstructs = []
for root, _, names in os.walk(export_dir):
    for name in sorted(names):
        if not name.endswith(".dcm"):
            continue
        path = os.path.join(root, name)
        try:
            ds = pydicom.dcmread(path)
        except Exception as e:  # noqa: BLE001 - report, do not stop
            out["unreadable"].append(f"{name}: {e}")
            continue
        out["files"] += 1
        sets["patientNames"].add(str(ds.PatientName))
        sets["patientIds"].add(str(ds.PatientID))
        sets["birthDates"].add(str(ds.get("PatientBirthDate", "")))
        sets["identityRemoved"].add(str(ds.get("PatientIdentityRemoved", "")))
        sets["longitudinal"].add(str(ds.get("LongitudinalTemporalInformationModified", "")))
        for item in ds.get("DeidentificationMethodCodeSequence", []):
            sets["methodCodes"].add(str(item.CodeValue))
        sets["studyDates"].add(str(ds.get("StudyDate", "")))
        sets["studyUids"].add(str(ds.StudyInstanceUID))
        if ds.Modality == "CT":
            ds.pixel_array  # decodes: the pixel data is complete
            ct_sops.add(str(ds.SOPInstanceUID))
            ct_series.add(str(ds.SeriesInstanceUID))
            ct_for.add(str(ds.FrameOfReferenceUID))
        elif ds.Modality == "RTSTRUCT":
            rtstructs.append(ds)

refs = dangling = missing_series = for_mismatch = 0
for rs in rtstructs:
    for fr in rs.ReferencedFrameOfReferenceSequence:
        if str(fr.FrameOfReferenceUID) not in ct_for:
            for_mismatch += 1
        for st in fr.RTReferencedStudySequence:
            for se in st.RTReferencedSeriesSequence:
                if str(se.SeriesInstanceUID) not in ct_series:
                    missing_series += 1
    for roi in rs.ROIContourSequence:
        for c in roi.get("ContourSequence", []):
            for img in c.ContourImageSequence:
                refs += 1
                if str(img.ReferencedSOPInstanceUID) not in ct_sops:
                    dangling += 1
for k, v in sets.items():
    out[k] = sorted(v)
out.update({"contourRefs": refs, "danglingContourRefs": dangling, "rtReferencedSeriesMissing": missing_series, "frameOfReferenceMismatch": for_mismatch})
print(json.dumps(out))
