/**
 * The listener's reader of the DICOM upper layer's PDUs (PS3.8 9.3) from a TCP stream, in place of
 * dcmjs-dimse's own (store-scp.ts wires it in).
 *
 * dcmjs-dimse joins every network chunk onto the PDU received so far (`Buffer.concat` per chunk),
 * then slices each PDV's value out of the joined PDU: a 256 KiB P-DATA-TF arriving in 64 KiB chunks
 * is copied about three times, and most of the listener's garbage collection came from those
 * short-lived large buffers. This reader copies nothing of a P-DATA-TF: it hands on each PDV's
 * value as it arrives, as fragments that are views of the network chunks (a PDV split over two
 * chunks becomes two fragments, only the second marked last). A PDV fragment is the unit
 * dcmjs-dimse's DIMSE layer takes anyway (it writes each value to the data set's stream and acts
 * on the last one), so splitting a PDV changes nothing above it. Other PDUs (association request,
 * release, abort) are small: they are collected and handed on whole, header included, as
 * dcmjs-dimse's reader did.
 */

/** P-DATA-TF (PS3.8 9.3.5). */
export const PDATA_TF = 0x04;
/** The PDU types a peer may send (A-ASSOCIATE-RQ/AC/RJ, P-DATA-TF, A-RELEASE-RQ/RP, A-ABORT). */
const KNOWN_TYPES = new Set([0x01, 0x02, 0x03, PDATA_TF, 0x05, 0x06, 0x07]);
const PDU_HEADER = 6;
/**
 * The largest PDU other than P-DATA-TF we collect: an A-ASSOCIATE-RQ with every presentation
 * context a peer proposes is tens of KiB; a header claiming more is not a DICOM peer.
 */
export const MAX_CONTROL_PDU_BYTES = 1024 * 1024;
/** Item length (4), presentation context ID (1), message control header (1). */
const PDV_HEADER = 6;

/** A piece of one PDV's value, with the PDV's presentation context and flags (dcmjs-dimse's Pdv interface). */
export class PdvFragment {
  constructor(
    readonly presentationContextId: number,
    readonly command: boolean,
    /** The last fragment of the last PDV of a command or data set (its PDV's last byte). */
    readonly last: boolean,
    readonly value: Buffer,
  ) {}
  getPresentationContextId(): number {
    return this.presentationContextId;
  }
  getValue(): Buffer {
    return this.value;
  }
  isCommand(): boolean {
    return this.command;
  }
  isLastFragment(): boolean {
    return this.last;
  }
}

export interface PduReaderHandlers {
  /** A whole PDU other than P-DATA-TF, its 6-byte header included. */
  pdu(pdu: Buffer): void;
  /** PDV value fragments of P-DATA-TF PDUs, in the order they arrived (one call per network chunk at most). */
  pdata(fragments: PdvFragment[]): void;
  /** The stream is not DICOM (an unknown PDU type, a PDV longer than its PDU); nothing more is read. */
  error(e: Error): void;
}

export class PduReader {
  /** Bytes of a PDU or PDV header split across chunks. */
  private header = Buffer.alloc(PDU_HEADER);
  private headerHave = 0;
  private state: 'pdu-header' | 'pdv-header' | 'pdv-value' | 'whole' | 'failed' = 'pdu-header';
  /** P-DATA-TF: bytes of the PDU not read yet. */
  private pduLeft = 0;
  /** The PDV being read. */
  private pdv = { pcId: 0, command: false, last: false, left: 0 };
  /** Another PDU being collected: its chunks (header first) and the bytes still missing. */
  private whole: Buffer[] = [];
  private wholeLength = 0;
  private wholeLeft = 0;

  constructor(private readonly handlers: PduReaderHandlers) {}

  push(chunk: Buffer): void {
    let out: PdvFragment[] = [];
    const flush = () => {
      if (out.length === 0) return;
      const fragments = out;
      out = [];
      this.handlers.pdata(fragments);
    };
    let at = 0;
    while (at < chunk.length && this.state !== 'failed') {
      switch (this.state) {
        case 'pdu-header': {
          at = this.fillHeader(chunk, at, PDU_HEADER);
          if (this.headerHave < PDU_HEADER) break;
          this.headerHave = 0;
          const type = this.header[0];
          const length = this.header.readUInt32BE(2);
          if (!KNOWN_TYPES.has(type)) {
            flush();
            this.fail(`unknown PDU type 0x${type.toString(16).padStart(2, '0')} (not a DICOM peer, or the stream lost its place)`);
            break;
          }
          if (type === PDATA_TF) {
            this.pduLeft = length;
            this.state = length > 0 ? 'pdv-header' : 'pdu-header';
          } else if (length > MAX_CONTROL_PDU_BYTES) {
            flush();
            this.fail(
              `a PDU of type 0x${type.toString(16).padStart(2, '0')} claims ${length} bytes, more than the ${MAX_CONTROL_PDU_BYTES} an association, release or abort PDU can need`,
            );
          } else {
            this.whole = [Buffer.from(this.header)];
            this.wholeLength = PDU_HEADER;
            this.wholeLeft = length;
            this.state = 'whole';
            if (length === 0) {
              flush();
              this.emitWhole();
            }
          }
          break;
        }
        case 'pdv-header': {
          at = this.fillHeader(chunk, at, PDV_HEADER);
          if (this.headerHave < PDV_HEADER) break;
          this.headerHave = 0;
          const itemLength = this.header.readUInt32BE(0);
          if (itemLength < 2 || itemLength + 4 > this.pduLeft) {
            flush();
            this.fail(`a PDV item of ${itemLength} bytes does not fit the ${this.pduLeft} bytes left of its P-DATA-TF PDU`);
            break;
          }
          const mch = this.header[5];
          this.pdv = { pcId: this.header[4], command: (mch & 1) === 1, last: (mch & 2) === 2, left: itemLength - 2 };
          this.pduLeft -= PDV_HEADER;
          this.state = 'pdv-value';
          if (this.pdv.left === 0) {
            out.push(new PdvFragment(this.pdv.pcId, this.pdv.command, this.pdv.last, Buffer.alloc(0)));
            this.state = this.pduLeft > 0 ? 'pdv-header' : 'pdu-header';
          }
          break;
        }
        case 'pdv-value': {
          const n = Math.min(this.pdv.left, chunk.length - at);
          this.pdv.left -= n;
          this.pduLeft -= n;
          const done = this.pdv.left === 0;
          out.push(new PdvFragment(this.pdv.pcId, this.pdv.command, done && this.pdv.last, chunk.subarray(at, at + n)));
          at += n;
          if (done) this.state = this.pduLeft > 0 ? 'pdv-header' : 'pdu-header';
          break;
        }
        case 'whole': {
          const n = Math.min(this.wholeLeft, chunk.length - at);
          // A copy: the chunk's other bytes belong to the next PDUs and need not stay alive.
          this.whole.push(Buffer.from(chunk.subarray(at, at + n)));
          this.wholeLength += n;
          this.wholeLeft -= n;
          at += n;
          if (this.wholeLeft === 0) {
            flush();
            this.emitWhole();
          }
          break;
        }
      }
    }
    flush();
  }

  /** Copies header bytes from the chunk; @returns the new position in the chunk. */
  private fillHeader(chunk: Buffer, at: number, size: number): number {
    const n = Math.min(size - this.headerHave, chunk.length - at);
    chunk.copy(this.header, this.headerHave, at, at + n);
    this.headerHave += n;
    return at + n;
  }

  private emitWhole(): void {
    const pdu = this.whole.length === 1 ? this.whole[0] : Buffer.concat(this.whole, this.wholeLength);
    this.whole = [];
    this.wholeLength = 0;
    this.state = 'pdu-header';
    this.handlers.pdu(pdu);
  }

  private fail(message: string): void {
    this.state = 'failed';
    this.handlers.error(new Error(message));
  }
}
