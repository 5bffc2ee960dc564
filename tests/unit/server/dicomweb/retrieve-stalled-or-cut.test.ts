/**
 * retrieveDicomWebStudy against a misbehaving HTTP server (a stand-in for a PACS whose network
 * fails, which Orthanc cannot be made to do on cue): an answer that stops sending mid-part hits
 * the pause limit, one whose connection closes mid-part is "incomplete", and one that is not
 * multipart is named as such. Each error names the PACS and the study; the parts completed
 * before the failure were written whole.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retrieveDicomWebStudy } from '@/lib/server/dicomweb/retrieve-dicomweb-study';

const B = 'xyzBOUNDARY';
const part = (bytes: string) => `--${B}\r\nContent-Type: application/dicom\r\n\r\n${bytes}\r\n`;

describe('retrieveDicomWebStudy with a failing server', () => {
  let server: http.Server;
  let base: string;
  let tmp: string;
  const sockets = new Set<import('node:net').Socket>();
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-wado-fail-'));
    server = http.createServer((req, res) => {
      const mode = req.url!.split('/').pop();
      if (mode === '1.1') {
        // Stalls: one whole part, then half of the next, then nothing (connection kept open).
        res.writeHead(200, { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${B}` });
        res.write(part('FIRST') + `--${B}\r\nContent-Type: application/dicom\r\n\r\nSECO`);
      } else if (mode === '1.2') {
        res.writeHead(200, { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${B}` });
        res.write(part('FIRST') + `--${B}\r\nContent-Type: application/dicom\r\n\r\nSECO`);
        setTimeout(() => res.socket?.destroy(), 50);
      } else if (mode === '1.3') {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<html>login</html>');
      } else {
        res.writeHead(200, { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${B}` });
        res.end(part('ONE') + part('TWO') + `--${B}--\r\n`);
      }
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicom-web`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const target = () => ({ name: 'Flaky', baseUrl: base });
  const dirFor = (name: string) => fs.mkdtempSync(path.join(tmp, name));

  it('a whole answer: every part written', async () => {
    const dir = dirFor('ok-');
    const r = await retrieveDicomWebStudy({ target: target(), studyInstanceUid: '1.4', dir });
    expect(r.files.map((f) => fs.readFileSync(f, 'latin1'))).toEqual(['ONE', 'TWO']);
  });

  it('an answer that stops moving hits the pause limit and says so', async () => {
    const dir = dirFor('stall-');
    await expect(retrieveDicomWebStudy({ target: target(), studyInstanceUid: '1.1', dir, timeoutMs: 400 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(
        /^PACS "Flaky" \(http:\/\/127\.0\.0\.1:\d+\/dicom-web\) stopped sending the retrieve of study 1\.1 \(WADO-RS\) after 1 instance\(s\): nothing arrived for 0\.4 s/,
      ),
    });
    expect(fs.readFileSync(path.join(dir, '000001.dcm'), 'latin1')).toBe('FIRST');
  });

  it('a connection closed mid-part is an incomplete retrieve naming the PACS', async () => {
    const dir = dirFor('cut-');
    await expect(retrieveDicomWebStudy({ target: target(), studyInstanceUid: '1.2', dir })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(
        /^PACS "Flaky" \(http:\/\/127\.0\.0\.1:\d+\/dicom-web\): (the connection closed during the|the) retrieve of study 1\.2 \(WADO-RS\) (after 1 instance\(s\)|is incomplete)/,
      ),
    });
  });

  it('an answer that is not multipart is named', async () => {
    const dir = dirFor('html-');
    await expect(retrieveDicomWebStudy({ target: target(), studyInstanceUid: '1.3', dir })).rejects.toThrow(
      /answered the retrieve of study 1\.3 \(WADO-RS\) with expected a multipart\/related answer but got Content-Type "text\/html"/,
    );
  });
});
