/**
 * The listener's pure parts: which transfer syntax it accepts from a proposal, the Part 10 meta
 * header it writes in front of a received data set (read back by our parser), and UID checks
 * for spool file names.
 */
import { describe, expect, it } from 'vitest';
import { chooseTransferSyntax } from '@/lib/dicom/net/store-scp';
import { commitSpoolFile, fileMetaHeader, isUid } from '@/lib/dicom/net/spool-file';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDicomBytes } from '@/lib/dicom';

describe('chooseTransferSyntax', () => {
  it("takes the peer's first decodable proposal as it is (no transcoding)", () => {
    expect(chooseTransferSyntax(['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2'])).toBe('1.2.840.10008.1.2.4.90');
    expect(chooseTransferSyntax(['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'])).toBe('1.2.840.10008.1.2.1');
    expect(chooseTransferSyntax(['1.2.840.10008.1.2'])).toBe('1.2.840.10008.1.2');
  });
  it('skips syntaxes the importer cannot decode, and refuses when none is left', () => {
    expect(chooseTransferSyntax(['1.2.840.10008.1.2.4.110', '1.2.840.10008.1.2.5'])).toBe('1.2.840.10008.1.2.5');
    expect(chooseTransferSyntax(['1.2.840.10008.1.2.4.100', '1.2.840.10008.1.2.4.112'])).toBeNull();
    expect(chooseTransferSyntax(['9.9.9'])).toBeNull();
  });
});

describe('fileMetaHeader', () => {
  it('writes a Part 10 header our parser reads, followed by an explicit VR data set', () => {
    const meta = fileMetaHeader({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: '1.2.3.44',
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      sourceAeTitle: 'TPS',
    });
    // (0008,0060) CS "CT" and (0020,000D) UI "1.2.3" in explicit VR little endian.
    const ds = Buffer.from([
      0x08, 0x00, 0x60, 0x00, 0x43, 0x53, 0x02, 0x00, 0x43, 0x54, 0x20, 0x00, 0x0d, 0x00, 0x55, 0x49, 0x06, 0x00, 0x31, 0x2e, 0x32, 0x2e, 0x33, 0x00,
    ]);
    const { parsed, findings } = parseDicomBytes(new Uint8Array(Buffer.concat([meta, ds])), 'x.dcm');
    expect(findings).toEqual([]);
    expect(parsed!.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    expect(parsed!.dataSet.string('x00020003')?.replace(/\0/g, '')).toBe('1.2.3.44');
    expect(parsed!.dataSet.string('x00020016')?.trim()).toBe('TPS');
    expect(parsed!.dataSet.string('x00080060')?.trim()).toBe('CT');
    expect(parsed!.dataSet.string('x0020000d')?.replace(/\0/g, '')).toBe('1.2.3');
  });
});

describe('isUid', () => {
  it('accepts only digits and dots (a safe file name), at most 64 characters', () => {
    expect(isUid('1.2.840.10008.5.1.4.1.1.2')).toBe(true);
    expect(isUid('../etc/passwd')).toBe(false);
    expect(isUid('1.2/3')).toBe(false);
    expect(isUid('1..2')).toBe(false);
    expect(isUid('')).toBe(false);
    expect(isUid(`1.${'2'.repeat(63)}`)).toBe(false);
    expect(isUid(undefined)).toBe(false);
  });
});

describe('commitSpoolFile', () => {
  it('files an instance again after the import removed its study folder (the folder is made once, and again when gone)', async () => {
    const spool = mkdtempSync(path.join(os.tmpdir(), 'iseg-commit-spool-'));
    try {
      const part = (name: string, body: string) => {
        mkdirSync(path.join(spool, '.incoming'), { recursive: true });
        const f = path.join(spool, '.incoming', name);
        writeFileSync(f, body);
        return f;
      };
      const first = await commitSpoolFile(spool, part('a.part', 'one'), '1.2.3', '1.2.3.1');
      expect(first.replaced).toBe(false);
      // The import removes the imported files and the emptied folder.
      rmSync(path.join(spool, '1.2.3'), { recursive: true });
      const again = await commitSpoolFile(spool, part('b.part', 'two'), '1.2.3', '1.2.3.2');
      expect(again).toEqual({ file: path.join(spool, '1.2.3', '1.2.3.2.dcm'), replaced: false });
      expect(readFileSync(again.file, 'utf8')).toBe('two');
      const repeated = await commitSpoolFile(spool, part('c.part', 'three'), '1.2.3', '1.2.3.2');
      expect(repeated.replaced).toBe(true);
      expect(readFileSync(repeated.file, 'utf8')).toBe('three');
      expect(existsSync(path.join(spool, '.incoming', 'c.part'))).toBe(false);
    } finally {
      rmSync(spool, { recursive: true, force: true });
    }
  });
});
