/**
 * The DICOM listener's network half (dcmjs-dimse): a C-ECHO and C-STORE SCP that
 *
 * - accepts an association only when the called AE title is ours and `decideAssociation` (the
 *   allow-list, kept by lib/server) accepts the calling AE title; otherwise it sends A-ASSOCIATE-RJ
 *   (permanent; "calling AE not recognized" or "called AE not recognized");
 * - accepts Verification and the storage SOP classes of STORAGE_SOP_CLASSES, each with the peer's
 *   first proposed transfer syntax that lib/dicom decodes (transfer-syntaxes.ts; no transcoding);
 * - streams each C-STORE data set into a temporary file in the spool (spool-file.ts), fsyncs it,
 *   renames it to `<spool>/<StudyInstanceUID>/<SOPInstanceUID>.dcm`, reports it
 *   (`onInstanceStored`), and only then answers Success. A failure answers "processing failure"
 *   (0x0110) or "SOP class not supported" and leaves nothing in the spool;
 * - refuses a C-STORE with 0xA700 (Refused: out of resources) while `admitInstance` says the
 *   spool is full (spool-capacity.ts), reading and dropping its data set, so nothing is written;
 * - releases an association that has been silent for `idleTimeoutMs` (a hung peer): it sends
 *   A-ABORT, closes the connection, and reports the end as TIMED_OUT.
 *
 * No database here: the hooks do that (lib/server/dicom-receive, wired in workers/dicom-node.ts).
 */
import net from 'node:net';
import * as dimseNs from 'dcmjs-dimse';
import { Writable } from 'node:stream';
import { transferSyntaxInfo } from '../transfer-syntaxes';
import { SpoolPartWriter, commitSpoolFile, fileMetaHeader, isUid } from './spool-file';
import { readInstanceHeader, readInstanceHeaderQuick, type InstanceHeader } from './read-instance-header';
import { PduReader, type PdvFragment } from './pdu-reader';

// A CommonJS/UMD bundle: take its namespace whether the loader wraps it in `default` or not.
const dimse = ((dimseNs as unknown as { default?: typeof dimseNs }).default ?? dimseNs) as typeof dimseNs;
const { Scp, Dataset } = dimse;
const { CEchoResponse, CStoreResponse } = dimse.responses;
const { Status, PresentationContextResult, RejectResult, RejectSource, RejectReason } = dimse.constants;

type DimseAssociation = InstanceType<typeof dimse.association.Association>;
type DimseContext = InstanceType<typeof dimse.association.PresentationContext>;
type DimseStoreRequest = InstanceType<typeof dimse.requests.CStoreRequest>;
type DimseEchoRequest = InstanceType<typeof dimse.requests.CEchoRequest>;
type DimseStoreResponse = InstanceType<typeof dimse.responses.CStoreResponse>;
type DimseEchoResponse = InstanceType<typeof dimse.responses.CEchoResponse>;
type DimseDataset = InstanceType<typeof dimse.Dataset>;

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

/** Storage SOP classes the listener accepts. */
export const STORAGE_SOP_CLASSES: Record<string, string> = {
  '1.2.840.10008.5.1.4.1.1.2': 'CT Image Storage',
  '1.2.840.10008.5.1.4.1.1.481.3': 'RT Structure Set Storage',
  '1.2.840.10008.5.1.4.1.1.481.5': 'RT Plan Storage',
  '1.2.840.10008.5.1.4.1.1.481.8': 'RT Ion Plan Storage',
  '1.2.840.10008.5.1.4.1.1.481.2': 'RT Dose Storage',
};

const IMPLICIT_VR_LE = '1.2.840.10008.1.2';

/** The head read first for an instance's header (whole chunks up to at least this many bytes). */
const QUICK_HEAD_BYTES = 16 * 1024;

/**
 * The transfer syntax we accept from a proposal: the peer's first one that lib/dicom decodes
 * (peers list their preference first, usually the syntax the file is stored in, so nothing is
 * transcoded), or null when none is decodable.
 */
export function chooseTransferSyntax(proposed: readonly string[]): string | null {
  return proposed.find((ts) => transferSyntaxInfo(ts).codec !== null) ?? null;
}

export interface AssociationInfo {
  callingAeTitle: string;
  calledAeTitle: string;
  /** The called AE title is ours (StoreScpOptions.aeTitle). */
  calledAeIsOurs: boolean;
  remoteAddress: string | null;
}

export type AssociationDecision = { accept: true; associationId: string } | { accept: false; reason: string; calledAeUnknown?: boolean };

export interface StoredInstance {
  associationId: string;
  callingAeTitle: string;
  studyInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  header: InstanceHeader;
  file: string;
  bytes: number;
  /** A file of this SOP Instance UID was in the spool already (a repeated send). */
  replaced: boolean;
}

export type AssociationEndState = 'RELEASED' | 'ABORTED' | 'TIMED_OUT';

/** C-STORE status "Refused: out of resources" (PS3.4 B.2.3). */
export const STATUS_OUT_OF_RESOURCES = 0xa700;

export interface StoreScpHooks {
  /** Accept or reject an association (reject when the called AE title is not ours). Records it. */
  decideAssociation(info: AssociationInfo): Promise<AssociationDecision>;
  /** An instance is on disk under its final name; Success is answered after this resolves. */
  onInstanceStored(instance: StoredInstance): Promise<void>;
  /** An instance was refused (answered with a failure status). */
  onInstanceFailed?(info: { associationId: string; sopInstanceUid: string; reason: string }): Promise<void>;
  /**
   * The association ended: released by the peer, aborted (A-ABORT or the connection dropped), or
   * timed out (nothing arrived for `idleTimeoutMs`; we aborted it).
   */
  onAssociationEnded?(info: { associationId: string; endState: AssociationEndState }): Promise<void>;
  /** Asked before each C-STORE's data set: null to take it, or why the spool cannot (answered 0xA700). */
  admitInstance?(): string | null;
  log?(line: string): void;
}

export interface StoreScpOptions extends StoreScpHooks {
  aeTitle: string;
  host: string;
  /** 0: any free port. */
  port: number;
  spoolDir: string;
  /** Largest PDU we receive (bytes); default 256 KiB. */
  maxPduLength?: number;
  /** A connection with no data either way for this long is aborted (ARTIM / idle timer); default 60 s. */
  idleTimeoutMs?: number;
}

export interface StoreScp {
  host: string;
  port: number;
  /** Stops listening and drops open associations. */
  close(): Promise<void>;
}

interface PendingStore {
  writer: SpoolPartWriter;
  request: DimseStoreRequest;
  transferSyntaxUid: string;
}

/** What of dcmjs-dimse's Network (no types for these) the listener's own PDU reader drives. */
interface DimseNetworkInternals {
  lastPduTime?: number;
  statistics: { addBytesReceived(n: number): void };
  _processPdu(pdu: Buffer): Promise<void>;
  _processPDataTf(pdata: { getPdvs(): PdvFragment[] }): Promise<void>;
  _reset(): void;
  emit(event: 'networkError', error: Error): void;
}

type StoreOutcome = { ok: true; stored: StoredInstance } | { ok: false; reason: string; status: number };

/** Takes a refused instance's data set and drops it. */
class DiscardWritable extends Writable {
  override _write(_chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    callback();
  }
}

export async function startStoreScp(options: StoreScpOptions): Promise<StoreScp> {
  const say = options.log ?? ((l: string) => console.log(`[dicom] ${l}`));
  dimse.log.setLevel('silent');
  const ourAe = options.aeTitle.trim();

  class IsegScp extends Scp {
    private associationId: string | null = null;
    private callingAe = '';
    private ended = false;
    private released = false;
    timedOut = false;
    private readonly stores = new Map<string, Promise<StoreOutcome>>();
    private refused: { request: DimseStoreRequest; reason: string } | null = null;
    private readonly remote: string | null;

    constructor(socket: net.Socket, opts: Record<string, unknown>) {
      super(socket, opts);
      this.remote = socket.remoteAddress ?? null;
      // Our PDU reader instead of dcmjs-dimse's (pdu-reader.ts: P-DATA-TF values are handed on as
      // views of the network chunks, not joined): its 'data' listener, the only one, is replaced.
      // The PDUs are processed one after another in arrival order, as a chain of promises.
      const internals = this as unknown as DimseNetworkInternals;
      let processing: Promise<void> = Promise.resolve();
      const next = (step: () => Promise<void>) => {
        processing = processing.then(step).catch((e: Error) => say(`PDU from ${this.remote} not processed: ${e.message}`));
      };
      const reader = new PduReader({
        pdu: (pdu) => next(() => internals._processPdu(pdu)),
        pdata: (fragments) => next(() => internals._processPDataTf({ getPdvs: () => fragments })),
        error: (e) => {
          internals._reset();
          internals.emit('networkError', new Error(`Connection error: ${e.message}`));
        },
      });
      socket.removeAllListeners('data');
      socket.on('data', (chunk: Buffer) => {
        internals.lastPduTime = Date.now();
        internals.statistics.addBytesReceived(chunk.length);
        reader.push(chunk);
      });
      socket.on('close', () => {
        // A transfer cut off mid-instance: its temporary file is removed (it was never acknowledged).
        if (this.pendingStore) void this.pendingStore.writer.discard();
        this.pendingStore = null;
        void this.end(this.released ? 'RELEASED' : this.timedOut ? 'TIMED_OUT' : 'ABORTED');
      });
    }

    /** Nothing arrived for the idle time: abort the association and close the connection. */
    idleTimeout(seconds: number): void {
      if (this.ended || this.released) return;
      this.timedOut = true;
      const who = this.associationId ? `association ${this.associationId} from ${this.callingAe}` : `connection from ${this.remote} (no association yet)`;
      say(
        `TIMED OUT ${who} at ${this.remote}: nothing received for ${seconds} s (ISEG_DICOM_IDLE_TIMEOUT_S); aborted. What arrived stays in the spool and is imported when quiet.`,
      );
      try {
        this.sendAbort();
      } catch {}
    }

    private async end(state: AssociationEndState): Promise<void> {
      if (this.ended || !this.associationId) return;
      this.ended = true;
      const id = this.associationId;
      // Let stores in flight finish first, so their counts land before the end.
      await Promise.allSettled([...this.stores.values()]);
      say(`association ${id} from ${this.callingAe} ${state === 'RELEASED' ? 'released' : state === 'TIMED_OUT' ? 'timed out' : 'aborted'}`);
      await options
        .onAssociationEnded?.({ associationId: id, endState: state })
        .catch((e: Error) => say(`could not record the end of association ${id}: ${e.message}`));
    }

    override associationRequested(association: DimseAssociation): void {
      void this.decide(association);
    }

    private async decide(association: DimseAssociation): Promise<void> {
      const callingAeTitle = association.getCallingAeTitle().trim();
      const calledAeTitle = association.getCalledAeTitle().trim();
      const info = { callingAeTitle, calledAeTitle, calledAeIsOurs: calledAeTitle === ourAe, remoteAddress: this.remote };
      let decision: AssociationDecision;
      try {
        decision = await options.decideAssociation(info);
      } catch (e) {
        say(`association from ${callingAeTitle} at ${this.remote}: could not check the allow-list (${(e as Error).message}); rejected (transient)`);
        this.sendAssociationReject(RejectResult.Transient, RejectSource.ServiceUser, RejectReason.NoReasonGiven);
        return;
      }
      if (!decision.accept) {
        say(`REJECTED association from calling AE "${callingAeTitle}" to called AE "${calledAeTitle}" at ${this.remote}: ${decision.reason}`);
        this.sendAssociationReject(
          RejectResult.Permanent,
          RejectSource.ServiceUser,
          decision.calledAeUnknown ? RejectReason.CalledAeNotRecognized : RejectReason.CallingAeNotRecognized,
        );
        return;
      }
      this.associationId = decision.associationId;
      this.callingAe = callingAeTitle;
      association.setMaxPduLength(options.maxPduLength ?? 256 * 1024);
      for (const c of association.getPresentationContexts()) {
        const context = association.getPresentationContext(c.id);
        const abstract = context.getAbstractSyntaxUid();
        if (abstract !== VERIFICATION_SOP_CLASS && !STORAGE_SOP_CLASSES[abstract]) {
          context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
          continue;
        }
        const ts = chooseTransferSyntax(context.getTransferSyntaxUids());
        if (ts) context.setResult(PresentationContextResult.Accept, ts);
        else context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
      }
      say(`association ${decision.associationId} accepted from ${callingAeTitle} at ${this.remote}`);
      this.sendAssociationAccept();
    }

    override associationReleaseRequested(): void {
      this.released = true;
      this.sendAssociationReleaseResponse();
    }

    override abort(): void {
      void this.end('ABORTED');
    }

    override cEchoRequest(request: DimseEchoRequest, callback: (response: DimseEchoResponse) => void): void {
      const response = CEchoResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }

    override createStoreWritableStream(context: DimseContext, request: DimseStoreRequest): Writable {
      const full = options.admitInstance?.() ?? null;
      if (full) {
        this.refused = { request, reason: full };
        return new DiscardWritable();
      }
      const sopInstanceUid = request.getAffectedSopInstanceUid();
      const sopClassUid = request.getAffectedSopClassUid();
      const transferSyntaxUid = context.getAcceptedTransferSyntaxUid() ?? IMPLICIT_VR_LE;
      const meta = fileMetaHeader({ sopClassUid, sopInstanceUid, transferSyntaxUid, sourceAeTitle: this.callingAe });
      const writer = new SpoolPartWriter(options.spoolDir, meta);
      this.pendingStore = { writer, request, transferSyntaxUid };
      return writer;
    }

    private pendingStore: PendingStore | null = null;

    override createDatasetFromStoreWritableStream(_writable: Writable, context: DimseContext, callback: (dataset: DimseDataset) => void): void {
      const pending = this.pendingStore;
      this.pendingStore = null;
      const refused = this.refused;
      this.refused = null;
      if (refused) {
        this.stores.set(
          refused.request.getAffectedSopInstanceUid(),
          Promise.resolve({ ok: false, reason: `out of resources: ${refused.reason}`, status: STATUS_OUT_OF_RESOURCES }),
        );
      } else if (pending) {
        const sop = pending.request.getAffectedSopInstanceUid();
        this.stores.set(sop, this.commit(pending));
      }
      callback(new Dataset({}, context.getAcceptedTransferSyntaxUid()));
    }

    private async commit(p: PendingStore): Promise<StoreOutcome> {
      const sopInstanceUid = p.request.getAffectedSopInstanceUid();
      const sopClassUid = p.request.getAffectedSopClassUid();
      try {
        await p.writer.finished;
        if (!STORAGE_SOP_CLASSES[sopClassUid]) {
          await p.writer.discard();
          return {
            ok: false,
            reason: `SOP class ${sopClassUid} is not one the listener stores (CT, RTSTRUCT, RTPLAN, RTDOSE)`,
            status: Status.SopClassNotSupported,
          };
        }
        if (!isUid(sopInstanceUid)) {
          await p.writer.discard();
          return { ok: false, reason: `the SOP Instance UID "${sopInstanceUid}" is not a valid UID`, status: Status.InvalidArgumentValue };
        }
        // A CT header is in the first chunk or two (no copy of the larger head); else the larger head.
        const header = readInstanceHeaderQuick(p.writer.headBytes(QUICK_HEAD_BYTES)) ?? (await readInstanceHeader(p.writer.headBytes(), p.writer.tempFile));
        if (!isUid(header.studyInstanceUid)) {
          await p.writer.discard();
          return { ok: false, reason: `instance ${sopInstanceUid} has no valid StudyInstanceUID (0020,000D)`, status: Status.ProcessingFailure };
        }
        const { file, replaced } = await commitSpoolFile(options.spoolDir, p.writer.tempFile, header.studyInstanceUid, sopInstanceUid);
        const stored: StoredInstance = {
          associationId: this.associationId ?? '',
          callingAeTitle: this.callingAe,
          studyInstanceUid: header.studyInstanceUid,
          sopInstanceUid,
          sopClassUid,
          transferSyntaxUid: p.transferSyntaxUid,
          header,
          file,
          bytes: p.writer.bytes,
          replaced,
        };
        return { ok: true, stored };
      } catch (e) {
        await p.writer.discard().catch(() => undefined);
        return {
          ok: false,
          reason: `could not write instance ${sopInstanceUid} to the spool ${options.spoolDir}: ${(e as Error).message}`,
          status: Status.ProcessingFailure,
        };
      }
    }

    override cStoreRequest(request: DimseStoreRequest, callback: (response: DimseStoreResponse) => void): void {
      const sop = request.getAffectedSopInstanceUid();
      const result = this.stores.get(sop) ?? Promise.resolve({ ok: false as const, reason: 'no data set was received', status: Status.ProcessingFailure });
      void (async () => {
        const response = CStoreResponse.fromRequest(request);
        const r = await result;
        if (r.ok) {
          try {
            await options.onInstanceStored(r.stored);
          } catch (e) {
            // The file is safely in the spool: the spool scan records it; the peer need not resend.
            say(`instance ${sop} is in the spool but could not be recorded: ${(e as Error).message}`);
          }
          response.setStatus(Status.Success);
        } else {
          say(`instance ${sop} from ${this.callingAe} refused: ${r.reason}`);
          await options.onInstanceFailed?.({ associationId: this.associationId ?? '', sopInstanceUid: sop, reason: r.reason }).catch(() => undefined);
          response.setStatus(r.status);
          response.setErrorComment(r.reason.slice(0, 64));
        }
        this.stores.delete(sop);
        callback(response);
      })();
    }
  }

  // Our own net.Server (dcmjs-dimse's Server listens on every interface; we bind ISEG_DICOM_HOST).
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // dcmjs-dimse arms socket.setTimeout(connectTimeout) and reports it as "Connection timeout"
    // (its PDU/association timers only run on connections it opened itself).
    const idleMs = options.idleTimeoutMs ?? 60_000;
    const scp = new IsegScp(socket, { connectTimeout: idleMs, associationTimeout: idleMs, pduTimeout: idleMs });
    scp.on('networkError', (e: Error) => {
      if (/Connection timeout/.test(e.message)) scp.idleTimeout(Math.round(idleMs / 1000));
      else say(`network error from ${socket.remoteAddress}: ${e.message}`);
      // Let the A-ABORT go out before the connection closes.
      socket.end();
      setTimeout(() => socket.destroy(), 500).unref();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  say(`DICOM listener ${ourAe} on ${options.host}:${port} (spool ${options.spoolDir})`);
  return {
    host: options.host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
