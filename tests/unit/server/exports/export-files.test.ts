/** Paths of prepared exports: ids checked before any path is built; leftovers attributed to their export. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportFilePath, exportIdOfFile, exportTempPath } from '@/lib/server/exports/export-files';

describe('export files', () => {
  it('builds the zip and temp paths of an export id under <root>/exports', () => {
    expect(exportFilePath('/v', 'cmabc12345')).toBe(path.join('/v', 'exports', 'cmabc12345.zip'));
    const tmp = exportTempPath('/v', 'cmabc12345');
    expect(path.dirname(tmp)).toBe(path.join('/v', 'exports', 'tmp'));
    expect(exportIdOfFile(path.basename(tmp))).toBe('cmabc12345');
    expect(exportIdOfFile('cmabc12345.zip')).toBe('cmabc12345');
  });

  it('refuses an id that is not one (no path is built from it)', () => {
    for (const bad of ['../etc', 'a/b', 'ABCDEFGHIJ', 'short', '', 'x'.repeat(41)]) expect(() => exportFilePath('/v', bad), bad).toThrow(/is not an export id/);
  });

  it('attributes no other file to an export', () => {
    for (const name of ['README', 'cmabc12345.zip.bak', 'cmabc12345.part', '0a', 'cmabc12345.12.zz.part']) expect(exportIdOfFile(name), name).toBeNull();
  });
});
