/**
 * lib/server/deid/create-zip-stream.ts, read back by two independent readers: Python's zipfile
 * (/usr/bin/python3; testzip checks every CRC) and fflate's unzipSync. Entries placed out of the
 * order they finished compressing, an incompressible one (stored), an empty one and a UTF-8 name.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { createZipStream } from '@/lib/server/deid/create-zip-stream';

describe('createZipStream', () => {
  it('writes a zip that zipfile and fflate read back entry for entry', async () => {
    const files: [string, Uint8Array][] = [
      ['P-1/ct/slice_000.dcm', new Uint8Array(300_000).map((_, i) => (i * 7) % 251)],
      ['P-1/ct/noise.bin', new Uint8Array(randomBytes(70_000))],
      ['P-1/empty.txt', new Uint8Array(0)],
      ['P-1/Straße.txt', new TextEncoder().encode('ümlaut\n'.repeat(50))],
    ];
    const zip = createZipStream({ level: 1 });
    const ready = files.map(([name, bytes]) => zip.prepare(name, bytes));
    const parts: Uint8Array[] = [];
    for (const r of [...ready].reverse()) parts.push(...zip.place(await r));
    parts.push(zip.end());
    const bytes = Buffer.concat(parts);
    expect(bytes.length).toBe(zip.bytesOut);

    const back = unzipSync(bytes);
    expect(Object.keys(back).sort()).toEqual(files.map(([n]) => n).sort());
    for (const [name, data] of files) expect(Buffer.from(back[name]).equals(Buffer.from(data)), name).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), 'iseg-zip-'));
    try {
      writeFileSync(join(dir, 'a.zip'), bytes);
      const script = [
        'import json, sys, zipfile',
        'z = zipfile.ZipFile(sys.argv[1])',
        'print(json.dumps({"bad": z.testzip(), "entries": [[i.filename, i.file_size, i.compress_type] for i in z.infolist()]}))',
      ].join('\n');
      const report = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, join(dir, 'a.zip')], { encoding: 'utf8' })) as {
        bad: string | null;
        entries: [string, number, number][];
      };
      expect(report.bad).toBeNull();
      const byName = Object.fromEntries(report.entries.map(([n, size, method]) => [n, { size, method }]));
      for (const [name, data] of files) expect(byName[name]?.size, name).toBe(data.length);
      expect(byName['P-1/ct/slice_000.dcm'].method).toBe(8); // deflated
      expect(byName['P-1/ct/noise.bin'].method).toBe(0); // incompressible: stored
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
