/**
 * The C-STORE SCU's failures without a DICOM peer (real sockets, no mocks): a port nobody listens
 * on, a server that accepts the connection and closes it at once, a file that is not DICOM; and
 * the wording of statuses and association rejections (PS3.4 B.2.3, PS3.8 9.3.4). Sends to real
 * peers (Orthanc, storescp) are in tests/integration/dicom-send/.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { describeRejection, isStored, storeInstance, storeStatusMeaning, StoreScuError } from '@/lib/dicom/net/store-scu';
import { writeRtStruct, buildSeries, type ImageSliceHeader } from '@/lib/dicom';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** A tiny valid RTSTRUCT (2 slices, one contour). */
function rtstructBytes(): Uint8Array {
  const headers: ImageSliceHeader[] = [0, 1].map((k) => ({
    file: `s${k}.dcm`,
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    sopInstanceUid: `1.2.826.0.1.77.${k}`,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    modality: 'CT',
    seriesInstanceUid: '1.2.826.0.1.77',
    studyInstanceUid: '1.2.826.0.1.76',
    frameOfReferenceUid: '1.2.826.0.1.75',
    patientId: 'P1',
    rows: 8,
    columns: 8,
    pixelSpacingMm: [1, 1],
    imagePositionMm: [0, 0, 2 * k],
    imageOrientation: [1, 0, 0, 0, 1, 0],
    rescaleSlope: 1,
    rescaleIntercept: 0,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 1,
    samplesPerPixel: 1,
    numberOfFrames: 1,
    pixelDataEncapsulated: false,
  }));
  const series = buildSeries('1.2.826.0.1.77', headers);
  const data = new Uint8Array(128);
  for (let j = 2; j < 6; j++) for (let i = 2; i < 6; i++) data[i + 8 * j] = 1;
  return writeRtStruct({ series, structures: [{ name: 'GTV', mask: { grid: series.grid!, data } }] }).bytes;
}

const servers: net.Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

describe('storeInstance failures name the destination and what to check', () => {
  it('nobody listens on the port: PEER_UNREACHABLE, "the peer is down or not listening"', async () => {
    const port = await freePort();
    const e = await storeInstance({ host: '127.0.0.1', port, calledAeTitle: 'PACS', callingAeTitle: 'ISEG_QA', label: 'PACS' }, rtstructBytes(), {
      timeoutMs: 5_000,
    }).catch((x) => x);
    expect(e).toBeInstanceOf(StoreScuError);
    expect(e.failure).toBe('PEER_UNREACHABLE');
    expect(e.message).toBe(
      `Destination "PACS" (AE "PACS" at 127.0.0.1:${port}) refused the connection: the peer is down or not listening on port ${port}; check that it runs and the destination's host and port.`,
    );
  });

  it('a server that accepts the connection and closes it before any association: ABORTED, no success reported', async () => {
    const server = net.createServer((sock) => sock.destroy());
    servers.push(server);
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
    const e = await storeInstance({ host: '127.0.0.1', port, calledAeTitle: 'PACS', callingAeTitle: 'ISEG_QA' }, rtstructBytes(), { timeoutMs: 5_000 }).catch(
      (x) => x,
    );
    expect(e).toBeInstanceOf(StoreScuError);
    expect(['ABORTED', 'PEER_UNREACHABLE']).toContain(e.failure);
    expect(e.message).toContain(`(AE "PACS" at 127.0.0.1:${port})`);
    expect(e.message).toMatch(/check the peer's log|check the destination's host and port/);
  });

  it('bytes that are not DICOM: INVALID_FILE before any connection', async () => {
    const e = await storeInstance({ host: '127.0.0.1', port: 1, calledAeTitle: 'PACS', callingAeTitle: 'ISEG_QA' }, new Uint8Array([1, 2, 3]), {
      timeoutMs: 1_000,
    }).catch((x) => x);
    expect(e).toMatchObject({ failure: 'INVALID_FILE' });
    expect(e.message).toMatch(/^The file to send to \(AE "PACS" at 127\.0\.0\.1:1\) is not readable DICOM/);
  });

  it('statuses: success and warnings are stored, failures say which (PS3.4 B.2.3)', () => {
    expect([0x0000, 0xb000, 0xb007].map(isStored)).toEqual([true, true, true]);
    expect([0x0110, 0x0122, 0xa700, 0xa900, 0xc001, 0xfe00].map(isStored)).toEqual([false, false, false, false, false, false]);
    expect(storeStatusMeaning(0)).toBe('Success');
    expect(storeStatusMeaning(0x0122)).toBe('Refused: SOP class not supported');
    expect(storeStatusMeaning(0xa701)).toBe('Refused: out of resources');
    expect(storeStatusMeaning(0xa900)).toBe('Error: data set does not match SOP class');
    expect(storeStatusMeaning(0xc123)).toBe('Error: cannot understand');
    expect(storeStatusMeaning(0xb000)).toBe('Warning: coercion of data elements');
  });

  it('association rejections: calling and called AE title, transient congestion', () => {
    const peer = { host: 'pacs', port: 104, calledAeTitle: 'PACS', callingAeTitle: 'ISEG_QA', label: 'Main PACS' };
    expect(describeRejection({ result: 1, source: 1, reason: 3 }, peer)).toBe(
      'Destination "Main PACS" (AE "PACS" at pacs:104) permanently rejected the association: calling AE title "ISEG_QA" not recognised: add it to the peer\'s known AE titles (its DICOM modalities / allow-list)',
    );
    expect(describeRejection({ result: 1, source: 1, reason: 7 }, peer)).toContain('called AE title "PACS" not recognised: check the destination\'s AE title');
    expect(describeRejection({ result: 2, source: 3, reason: 1 }, peer)).toContain('transiently rejected the association: temporary congestion');
  });
});
