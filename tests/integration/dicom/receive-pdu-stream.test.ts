/**
 * The listener's own PDU reader (lib/dicom/net/pdu-reader.ts, wired into store-scp.ts) against
 * dcmtk's storescu: every received data set is stored byte for byte as sent, whether a network
 * chunk holds many small PDUs (a 4 KiB maximum PDU: PDU and PDV headers split across chunks) or a
 * PDU spans several chunks (256 KiB, our default), and the header the listener reports is the file's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haveDcmtk, storescu } from '../../peers/dcmtk';
import { writePhantomStudy } from '../import/phantom-fixture';
import { startStoreScp, type StoredInstance } from '@/lib/dicom/net/store-scp';
import { parseDicomBytes } from '@/lib/dicom';

/** A Part 10 file's data set: the bytes after its file meta group (group length from (0002,0000)). */
function dataSetBytes(file: string): Buffer {
  const b = readFileSync(file);
  expect(b.toString('latin1', 128, 132)).toBe('DICM');
  return b.subarray(144 + b.readUInt32LE(140));
}

type ParsedDataSet = NonNullable<ReturnType<typeof parseDicomBytes>['parsed']>['dataSet'];

/** Every element's value bytes by tag path (sequence items by index), the file meta group left out. */
function elementValues(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (ds: ParsedDataSet, prefix: string) => {
    for (const [tag, el] of Object.entries(ds.elements)) {
      // The file meta group, and item delimiters (storescu sends the items with explicit lengths).
      if (tag.startsWith('x0002') || tag.startsWith('xfffe')) continue;
      if (el.items) el.items.forEach((item, i) => item.dataSet && walk(item.dataSet, `${prefix}${tag}[${i}].`));
      else out[`${prefix}${tag}`] = Buffer.from(ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length)).toString('hex');
    }
  };
  const { parsed } = parseDicomBytes(new Uint8Array(readFileSync(file)), file);
  expect(parsed, file).toBeTruthy();
  walk(parsed!.dataSet, '');
  return out;
}

function dcmFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.dcm'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

const sopOf = (file: string) =>
  parseDicomBytes(new Uint8Array(readFileSync(file)), file)
    .parsed!.dataSet.string('x00080018')!
    .replace(/\0/g, '')
    .trim();

describe.skipIf(!haveDcmtk())('the listener reads PDUs from storescu however they are cut', () => {
  let tmp: string;
  let sources: Map<string, string>;
  let dicomDir: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'iseg-pdu-stream-'));
    // 128×128 slices (32 KiB of pixels each) and one RTSTRUCT per phase.
    const study = await writePhantomStudy(path.join(tmp, 'study'), { dims: [128, 128, 6], spacingMm: [3, 3, 5], phasePercents: [0, 50] });
    dicomDir = study.dicomDir;
    sources = new Map(dcmFiles(dicomDir).map((f) => [sopOf(f), f]));
  });
  afterAll(() => {
    if (tmp && !process.env.KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
  });

  for (const maxPduLength of [4096, 256 * 1024]) {
    it(`stores every instance byte for byte with a ${maxPduLength / 1024} KiB maximum PDU`, async () => {
      const spoolDir = path.join(tmp, `spool-${maxPduLength}`);
      const stored: StoredInstance[] = [];
      const scp = await startStoreScp({
        aeTitle: 'ISEG_QA',
        host: '127.0.0.1',
        port: 0,
        spoolDir,
        maxPduLength,
        log: () => undefined,
        decideAssociation: async () => ({ accept: true, associationId: `pdu-${maxPduLength}` }),
        onInstanceStored: async (s) => {
          stored.push(s);
        },
      });
      try {
        const r = await storescu({ port: scp.port, calledAe: 'ISEG_QA', callingAe: 'PDU_TEST' }, [dicomDir]).done;
        expect(r.code, r.output).toBe(0);
      } finally {
        await scp.close();
      }
      expect(stored.length).toBe(sources.size);
      for (const s of stored) {
        const source = sources.get(s.sopInstanceUid);
        expect(source, s.sopInstanceUid).toBeDefined();
        // storescu sends a CT image's data set as stored; an RTSTRUCT it encodes anew (its sequences'
        // lengths), so that is compared element by element.
        if (s.header.modality === 'CT') expect(dataSetBytes(s.file).equals(dataSetBytes(source!)), `${s.file} differs from ${source}`).toBe(true);
        else expect(elementValues(s.file)).toEqual(elementValues(source!));
        const ds = parseDicomBytes(new Uint8Array(readFileSync(source!)), source!).parsed!.dataSet;
        expect(s.studyInstanceUid).toBe(ds.string('x0020000d')!.replace(/\0/g, '').trim());
        expect(s.header.modality).toBe(ds.string('x00080060')!.trim());
        if (s.header.modality === 'CT') expect(s.header.seriesInstanceUid).toBe(ds.string('x0020000e')!.replace(/\0/g, '').trim());
      }
      expect(stored.filter((s) => s.header.modality === 'RTSTRUCT').length).toBe(2);
    });
  }
});
