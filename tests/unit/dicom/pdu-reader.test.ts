/**
 * The listener's PDU reader (lib/dicom/net/pdu-reader.ts): the same PDUs and PDV values however
 * the network cuts the stream, P-DATA-TF values handed on as views of the chunks (no copy), and a
 * clear error for a stream that is not DICOM.
 */
import { describe, expect, it } from 'vitest';
import { PduReader, type PdvFragment } from '@/lib/dicom/net/pdu-reader';

function pdu(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(6);
  h[0] = type;
  h.writeUInt32BE(body.length, 2);
  return Buffer.concat([h, body]);
}

function pdv(pcId: number, command: boolean, last: boolean, value: Buffer): Buffer {
  const h = Buffer.alloc(6);
  h.writeUInt32BE(value.length + 2, 0);
  h[4] = pcId;
  h[5] = (command ? 1 : 0) | (last ? 2 : 0);
  return Buffer.concat([h, value]);
}

const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

/** A stream: an A-ASSOCIATE-RQ, a command (one PDV), a data set over two P-DATA-TFs (three PDVs, one empty), an A-RELEASE-RQ. */
function stream() {
  const command = bytes(70, 1);
  const data1 = bytes(3000, 2);
  const data2 = bytes(1500, 3);
  const assoc = pdu(0x01, bytes(200, 4));
  const release = pdu(0x05, Buffer.alloc(4));
  const wire = Buffer.concat([
    assoc,
    pdu(0x04, pdv(1, true, true, command)),
    pdu(0x04, Buffer.concat([pdv(1, false, false, data1), pdv(1, false, false, Buffer.alloc(0))])),
    pdu(0x04, pdv(1, false, true, data2)),
    release,
  ]);
  return { wire, command, data: Buffer.concat([data1, data2]), assoc, release };
}

/** Feeds the chunks; returns the whole PDUs, and the command and data-set bytes with their last-fragment flags. */
function feed(chunks: Buffer[]) {
  const events: string[] = [];
  const pdus: Buffer[] = [];
  const command: Buffer[] = [];
  const data: Buffer[] = [];
  const lasts: string[] = [];
  const errors: string[] = [];
  const fragments: PdvFragment[] = [];
  const reader = new PduReader({
    pdu: (b) => {
      pdus.push(b);
      events.push(`pdu ${b[0]}`);
    },
    pdata: (fs) => {
      for (const f of fs) {
        fragments.push(f);
        expect(f.getPresentationContextId()).toBe(1);
        (f.isCommand() ? command : data).push(f.getValue());
        if (f.isLastFragment()) lasts.push(f.isCommand() ? 'command' : 'data');
        events.push(f.isCommand() ? 'command' : 'data');
      }
    },
    error: (e) => errors.push(e.message),
  });
  for (const c of chunks) reader.push(c);
  return { pdus, command: Buffer.concat(command), data: Buffer.concat(data), lasts, errors, events, fragments };
}

describe('PduReader', () => {
  it('gives the same PDUs and PDV values for every cut of the stream into two chunks, and into 1-byte chunks', () => {
    const s = stream();
    const cuts = [...Array.from({ length: s.wire.length + 1 }, (_, i) => i)];
    for (const cut of cuts) {
      const r = feed([s.wire.subarray(0, cut), s.wire.subarray(cut)]);
      expect(r.errors).toEqual([]);
      expect(r.pdus).toEqual([s.assoc, s.release]);
      expect(r.command.equals(s.command)).toBe(true);
      expect(r.data.equals(s.data)).toBe(true);
      // One last fragment per message, in order; nothing after the release but the release.
      expect(r.lasts).toEqual(['command', 'data']);
      expect(r.events[0]).toBe('pdu 1');
      expect(r.events.at(-1)).toBe('pdu 5');
    }
    const bytewise = feed([...s.wire].map((b) => Buffer.from([b])));
    expect(bytewise.pdus).toEqual([s.assoc, s.release]);
    expect(bytewise.data.equals(s.data)).toBe(true);
    expect(bytewise.lasts).toEqual(['command', 'data']);
  });

  it('hands P-DATA-TF values on as views of the network chunk, not copies', () => {
    const s = stream();
    const chunk = Buffer.from(s.wire);
    const r = feed([chunk]);
    const dataFragments = r.fragments.filter((f) => !f.isCommand() && f.getValue().length > 0);
    expect(dataFragments.length).toBe(2);
    for (const f of dataFragments) expect(f.getValue().buffer).toBe(chunk.buffer);
  });

  it('stops with an error naming the PDU type for a stream that is not DICOM', () => {
    const s = stream();
    const r = feed([Buffer.concat([pdu(0x04, pdv(1, true, true, bytes(10, 5))), Buffer.from('GET / HTTP/1.1\r\n\r\n'), s.wire])]);
    expect(r.errors).toEqual([expect.stringMatching(/unknown PDU type 0x47/)]);
    // What came before is handed on; nothing after the error.
    expect(r.command.length).toBe(10);
    expect(r.pdus).toEqual([]);
  });

  it('stops with an error for an association PDU claiming more than 1 MiB (nothing collected)', () => {
    const h = Buffer.alloc(6);
    h[0] = 0x01;
    h.writeUInt32BE(0x7fffffff, 2);
    const r = feed([h, bytes(1000, 7)]);
    expect(r.errors).toEqual([expect.stringMatching(/PDU of type 0x01 claims 2147483647 bytes, more than the 1048576/)]);
    expect(r.pdus).toEqual([]);
  });

  it('stops with an error for a PDV longer than its PDU', () => {
    const bad = pdu(0x04, pdv(1, false, true, bytes(100, 6)));
    bad.writeUInt32BE(50, 2); // the PDU claims 50 bytes, its PDV 102
    const r = feed([bad]);
    expect(r.errors).toEqual([expect.stringMatching(/PDV item of 102 bytes does not fit the 50 bytes/)]);
    expect(r.data.length).toBe(0);
  });
});
