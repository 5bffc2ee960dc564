"""Independent reader (pydicom) of an RTSTRUCT that our sender delivered to a peer.

Usage: /usr/bin/python3 sent_rtstruct.py RTSTRUCT_FILE

Prints JSON: the SOP class and instance UIDs, Modality, ApprovalStatus and ReviewerName, the
study and frame-of-reference UIDs, the frames of reference in ReferencedFrameOfReferenceSequence
with their RT Referenced Series (series UID and the Contour Image Sequence's SOP Instance UIDs),
the StructureSetROI names with each ROI's ReferencedFrameOfReferenceUID, and per ROI the number
of contours and the SOP Instance UIDs their Contour Image Sequences name.
Used by tests/integration/dicom-send/*.test.ts.
"""
import json
import sys

import pydicom


def main(path):
    d = pydicom.dcmread(path)
    frames = []
    for f in d.get("ReferencedFrameOfReferenceSequence", []):
        series = []
        for st in f.get("RTReferencedStudySequence", []):
            for se in st.get("RTReferencedSeriesSequence", []):
                series.append({
                    "study": st.ReferencedSOPInstanceUID,
                    "series": se.SeriesInstanceUID,
                    "images": [i.ReferencedSOPInstanceUID for i in se.get("ContourImageSequence", [])],
                })
        frames.append({"frameOfReferenceUid": f.FrameOfReferenceUID, "series": series})
    names = {r.ROINumber: r.ROIName for r in d.StructureSetROISequence}
    rois = [{"name": r.ROIName, "frameOfReferenceUid": r.ReferencedFrameOfReferenceUID} for r in d.StructureSetROISequence]
    contours = {}
    for rc in d.ROIContourSequence:
        name = names[rc.ReferencedROINumber]
        cs = list(rc.get("ContourSequence", []))
        images = sorted({i.ReferencedSOPInstanceUID for c in cs for i in c.get("ContourImageSequence", [])})
        contours[name] = {"count": len(cs), "points": sum(int(c.NumberOfContourPoints) for c in cs), "images": images}
    print(json.dumps({
        "sopClassUid": d.SOPClassUID,
        "sopInstanceUid": d.SOPInstanceUID,
        "modality": d.Modality,
        "approvalStatus": d.get("ApprovalStatus", None),
        "reviewerName": str(d.get("ReviewerName", "")),
        "studyInstanceUid": d.StudyInstanceUID,
        "frameOfReferenceUid": d.FrameOfReferenceUID,
        "patientId": d.PatientID,
        "referencedFrames": frames,
        "rois": rois,
        "contours": contours,
    }))


if __name__ == "__main__":
    main(sys.argv[1])
