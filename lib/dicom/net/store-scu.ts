/**
 * C-STORE SCU: send one DICOM Part 10 file to a peer (dcmjs-dimse `Client`) and report the
 * DICOM status of its C-STORE response, or throw a StoreScuError that says what went wrong in
 * the terms a physicist setting up the destination checks: the peer is down or the host/port is
 * wrong (connection refused, host not found, timeout), the peer rejected the association (its
 * reason: our calling AE title or its called AE title not recognised…), the peer aborted, the
 * peer does not accept the SOP class, or the peer answered with a failure status.
 * References: DICOM PS3.4 B.2.3 (C-STORE statuses), GG.4; PS3.8 9.3.4 (A-ASSOCIATE-RJ result,
 * source and reason), PS3.7 C (status classes).
 */
import * as dimseNs from 'dcmjs-dimse';
import * as dcmjsNs from 'dcmjs';

type DimseModule = typeof import('dcmjs-dimse');
const dimse = ((dimseNs as unknown as { default?: DimseModule }).default ?? dimseNs) as DimseModule;
// dcmjs-dimse logs every PDU at INFO by default; what matters reaches the caller as a result or a StoreScuError.
dimse.log.setLevel('silent');

interface DcmjsData {
  DicomMessage: { readFile: (buf: ArrayBuffer) => { meta: Record<string, unknown>; dict: Record<string, unknown> } };
  DicomMetaDictionary: { naturalizeDataset: (ds: unknown) => Record<string, unknown> };
}
const dcmjs = (dcmjsNs as unknown as { default?: { data: DcmjsData } }).default ?? (dcmjsNs as unknown as { data: DcmjsData });

export interface StorePeer {
  host: string;
  port: number;
  /** The peer's AE title (called AE). */
  calledAeTitle: string;
  /** Our AE title on this association (calling AE). */
  callingAeTitle: string;
  /** A label for messages, e.g. the destination's name. */
  label?: string;
}

export interface StoreResult {
  /** The C-STORE response status (0 = success; 0xB000–0xBFFF warnings: stored with a warning). */
  status: number;
  meaning: string;
  /** ErrorComment of the response, when the peer sent one. */
  comment: string | null;
}

export type StoreScuFailure = 'PEER_UNREACHABLE' | 'TIMEOUT' | 'ASSOCIATION_REJECTED' | 'ABORTED' | 'STATUS' | 'INVALID_FILE';

export class StoreScuError extends Error {
  constructor(
    readonly failure: StoreScuFailure,
    message: string,
    /** The DICOM status of the C-STORE response, for STATUS failures. */
    readonly status: number | null = null,
    readonly statusMeaning: string | null = null,
    /**
     * Sending again would get the same answer (a permanent association rejection, a status that
     * says the peer will not take this object, an unreadable file): do not retry.
     */
    readonly permanent: boolean = false,
  ) {
    super(message);
    this.name = 'StoreScuError';
  }
}

/**
 * A C-STORE failure status that sending the same object again will not change (PS3.4 B.2.3,
 * PS3.7 C): SOP class not supported (0x0122), not authorized (0x0124), duplicate SOP instance
 * (0x0111), invalid object instance (0x0117), unrecognized operation / mistyped argument
 * (0x0211, 0x0212), data set does not match SOP class (0xA9xx), cannot understand (0xCxxx).
 * Out of resources (0xA7xx), processing failure (0x0110) and anything else may pass later: retried.
 */
export function isPermanentStoreStatus(status: number): boolean {
  if ([0x0122, 0x0124, 0x0111, 0x0117, 0x0211, 0x0212].includes(status)) return true;
  return (status >= 0xa900 && status <= 0xa9ff) || (status >= 0xc000 && status <= 0xcfff);
}

const hex = (n: number) => `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;

/** What a C-STORE status means (PS3.4 B.2.3 and PS3.7 C). */
export function storeStatusMeaning(status: number): string {
  if (status === 0x0000) return 'Success';
  if (status === 0x0001 || (status >= 0xb000 && status <= 0xbfff)) {
    if (status === 0xb000) return 'Warning: coercion of data elements';
    if (status === 0xb006) return 'Warning: elements discarded';
    if (status === 0xb007) return 'Warning: data set does not match SOP class';
    return `Warning ${hex(status)}`;
  }
  if (status === 0xfe00) return 'Cancel';
  if (status === 0x0122) return 'Refused: SOP class not supported';
  if (status === 0x0124) return 'Refused: not authorized';
  if (status === 0x0110) return 'Error: processing failure';
  if (status === 0x0111) return 'Error: duplicate SOP instance';
  if (status === 0x0117) return 'Error: invalid object instance';
  if (status === 0x0211) return 'Error: unrecognized operation';
  if (status === 0x0212) return 'Error: mistyped argument';
  if (status >= 0xa700 && status <= 0xa7ff) return 'Refused: out of resources';
  if (status >= 0xa900 && status <= 0xa9ff) return 'Error: data set does not match SOP class';
  if (status >= 0xc000 && status <= 0xcfff) return 'Error: cannot understand';
  return `Failure ${hex(status)}`;
}

/** True for success and warning statuses: the peer stored the instance. */
export function isStored(status: number): boolean {
  return status === 0x0000 || status === 0x0001 || (status >= 0xb000 && status <= 0xbfff);
}

/** Why an association was rejected (PS3.8 9.3.4), with what to check. */
export function describeRejection(r: { result: number; source: number; reason: number }, peer: StorePeer): string {
  const kind = r.result === 2 ? 'transiently' : 'permanently';
  let why: string;
  if (r.source === 1) {
    why =
      r.reason === 3
        ? `calling AE title "${peer.callingAeTitle}" not recognised: add it to the peer's known AE titles (its DICOM modalities / allow-list)`
        : r.reason === 7
          ? `called AE title "${peer.calledAeTitle}" not recognised: check the destination's AE title against the peer's own`
          : r.reason === 2
            ? 'application context not supported'
            : `no reason given (reason ${r.reason}): check the peer's log; usually our calling AE title "${peer.callingAeTitle}" is not allowed there`;
  } else if (r.source === 2) {
    why = r.reason === 2 ? 'protocol version not supported' : `no reason given by the peer's ACSE (reason ${r.reason})`;
  } else {
    why =
      r.reason === 1
        ? 'temporary congestion: try again later'
        : r.reason === 2
          ? 'local limit exceeded: the peer has too many associations'
          : `presentation layer reason ${r.reason}`;
  }
  return `${where(peer)} ${kind} rejected the association: ${why}`;
}

function where(peer: StorePeer): string {
  return `${peer.label ? `Destination "${peer.label}" ` : ''}(AE "${peer.calledAeTitle}" at ${peer.host}:${peer.port})`;
}

function networkMessage(e: Error & { code?: string }, peer: StorePeer): { failure: StoreScuFailure; message: string } {
  // dcmjs-dimse wraps socket errors ("Connection error: connect ECONNREFUSED 127.0.0.1:104"):
  // the code is read from the message when the error does not carry it.
  const code = e.code ?? /\b(E[A-Z]{4,})\b/.exec(e.message ?? '')?.[1] ?? '';
  if (code === 'ECONNREFUSED')
    return {
      failure: 'PEER_UNREACHABLE',
      message: `${where(peer)} refused the connection: the peer is down or not listening on port ${peer.port}; check that it runs and the destination's host and port.`,
    };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return { failure: 'PEER_UNREACHABLE', message: `${where(peer)}: host "${peer.host}" not found; check the destination's host name.` };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return { failure: 'PEER_UNREACHABLE', message: `${where(peer)}: host ${peer.host} unreachable; check the network and the destination's host.` };
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return { failure: 'ABORTED', message: `${where(peer)} closed the connection (${code}): check the peer's log (it may have aborted the association).` };
  if (/timeout|timed out/i.test(e.message) || code === 'ETIMEDOUT')
    return {
      failure: 'TIMEOUT',
      message: `${where(peer)} did not answer in time (${e.message}): check the host and port (a firewall may drop the connection) and that the peer is up.`,
    };
  return {
    failure: 'PEER_UNREACHABLE',
    message: `${where(peer)}: network error (${e.message.replace(/^[\s>-]+/, '')}); check the destination's host and port and that the peer is up.`,
  };
}

/**
 * Sends `bytes` (a DICOM Part 10 file) to the peer in one association and resolves with the
 * C-STORE status when the peer stored it (success or warning). Throws StoreScuError otherwise.
 */
export async function storeInstance(peer: StorePeer, bytes: Uint8Array, { timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<StoreResult> {
  let dataset: InstanceType<DimseModule['Dataset']>;
  try {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const file = dcmjs.data.DicomMessage.readFile(ab);
    const meta = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.meta);
    const elements = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict);
    dataset = new dimse.Dataset(elements, String(meta.TransferSyntaxUID ?? '1.2.840.10008.1.2.1'));
  } catch (e) {
    throw new StoreScuError('INVALID_FILE', `The file to send to ${where(peer)} is not readable DICOM (${(e as Error).message}).`, null, null, true);
  }
  return new Promise<StoreResult>((resolve, reject) => {
    const client = new dimse.Client();
    const request = new dimse.requests.CStoreRequest(dataset);
    let response: StoreResult | null = null;
    let failed: StoreScuError | null = null;
    let accepted = false;
    request.on('response', (r: InstanceType<DimseModule['responses']['CStoreResponse']>) => {
      const status = Number(r.getStatus());
      response = { status, meaning: storeStatusMeaning(status), comment: r.getErrorComment() || null };
    });
    client.on('associationAccepted', (association: { getAcceptedPresentationContextFromRequest: (r: unknown) => unknown }) => {
      accepted = true;
      if (!association.getAcceptedPresentationContextFromRequest(request))
        failed = new StoreScuError(
          'STATUS',
          `${where(peer)} accepted the association but not the RT Structure Set storage SOP class: configure the peer to accept RTSTRUCT.`,
          0x0122,
          storeStatusMeaning(0x0122),
          true,
        );
    });
    client.on('associationRejected', (r: { result: number; source: number; reason: number }) => {
      // Result 1 is permanent (the peer's configuration must change first), 2 transient.
      failed = new StoreScuError('ASSOCIATION_REJECTED', describeRejection(r, peer) + '.', null, null, r.result !== 2);
    });
    client.on('networkError', (e: Error & { code?: string }) => {
      if (failed) return;
      const m = networkMessage(e, peer);
      failed = new StoreScuError(m.failure, m.message);
    });
    client.on('closed', () => {
      if (failed) return reject(failed);
      if (response === null)
        return reject(
          new StoreScuError(
            'ABORTED',
            accepted
              ? `${where(peer)} ended the association before answering the C-STORE: check the peer's log (it may have aborted, or refused the SOP class).`
              : `${where(peer)} closed the connection before accepting the association: check the peer's log and its AE title settings.`,
          ),
        );
      const r = response as StoreResult;
      if (isStored(r.status)) return resolve(r);
      reject(
        new StoreScuError(
          'STATUS',
          `${where(peer)} answered the C-STORE with status ${hex(r.status)} (${r.meaning})${r.comment ? `: ${r.comment}` : ''}; check the peer's log.`,
          r.status,
          r.meaning,
          isPermanentStoreStatus(r.status),
        ),
      );
    });
    client.addRequest(request);
    client.send(peer.host, peer.port, peer.callingAeTitle, peer.calledAeTitle, {
      connectTimeout: timeoutMs,
      associationTimeout: timeoutMs,
      pduTimeout: timeoutMs,
      associationLingerTimeout: 0,
    });
  });
}
