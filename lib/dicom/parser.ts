/**
 * The one place that loads dicom-parser (a CommonJS/UMD bundle): normalises its default/namespace
 * export so the rest of lib/dicom gets typed functions under Node ESM, tsx and vitest alike.
 */
import * as dicomParserNs from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';

type DicomParserModule = typeof dicomParserNs;
const mod = ((dicomParserNs as unknown as { default?: DicomParserModule }).default ?? dicomParserNs) as DicomParserModule;

export const parseDicom = mod.parseDicom;
export const readPart10Header = mod.readPart10Header;
export type { DataSet, Element };
