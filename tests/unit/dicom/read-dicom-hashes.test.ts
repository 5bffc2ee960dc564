/**
 * readDicom's fileSha256: the sha256 of each file's bytes as parsed, which the importer uses as
 * its file hashes (study content hash, prepared-volume lookup) instead of reading every file again.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDicom } from '@/lib/dicom';
import { haveSharedData, referenceSuite, sharedDataPath } from '../../shared-data';

const dir = sharedDataPath('rtutils', 'mock_data');
const tmp = mkdtempSync(join(tmpdir(), 'iseg-read-hashes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.runIf(haveSharedData(dir))(referenceSuite('readDicom file hashes'), () => {
  it('gives the sha256 of every file read, a byte-for-byte copy included, and none for a file that could not be read', async () => {
    const files = readdirSync(dir).map((f) => join(dir, f));
    const copy = join(tmp, 'copy.dcm');
    copyFileSync(files[0], copy);
    const missing = join(tmp, 'gone.dcm');
    const read = await readDicom([...files, copy, missing]);
    const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    for (const f of [...files, copy]) expect(read.fileSha256?.get(f), f).toBe(sha(f));
    expect(read.fileSha256?.has(missing)).toBe(false);
    expect(read.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['DUPLICATE_FILE', 'NOT_DICOM']));
  });
});
