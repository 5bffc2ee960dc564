/**
 * Transfer syntaxes whose pixel data lib/dicom can decode, and how. Native (uncompressed) ones
 * are read directly; encapsulated ones go through a codec (decode-frame.ts). Everything else
 * keeps a finding that names the syntax (ct-series.ts).
 */
export type PixelCodec = 'native' | 'rle' | 'jpeg-lossless' | 'jpeg-ls' | 'jpeg-2000' | 'jpeg-8bit';

export interface TransferSyntaxInfo {
  name: string;
  codec: PixelCodec | null;
  /** True when the syntax allows lossy compression (the HU are then not the scanner's). */
  lossy: boolean;
  /** For codecs limited to 8-bit samples (libjpeg-turbo 8-bit): the largest BitsStored decoded. */
  maxBitsStored?: number;
}

const TABLE: Record<string, TransferSyntaxInfo> = {
  '1.2.840.10008.1.2': { name: 'Implicit VR Little Endian', codec: 'native', lossy: false },
  '1.2.840.10008.1.2.1': { name: 'Explicit VR Little Endian', codec: 'native', lossy: false },
  '1.2.840.10008.1.2.1.99': { name: 'Deflated Explicit VR Little Endian', codec: 'native', lossy: false },
  '1.2.840.10008.1.2.2': { name: 'Explicit VR Big Endian', codec: 'native', lossy: false },
  '1.2.840.10008.1.2.5': { name: 'RLE Lossless', codec: 'rle', lossy: false },
  '1.2.840.10008.1.2.4.50': { name: 'JPEG Baseline (Process 1)', codec: 'jpeg-8bit', lossy: true, maxBitsStored: 8 },
  '1.2.840.10008.1.2.4.51': { name: 'JPEG Extended (Process 2 & 4)', codec: 'jpeg-8bit', lossy: true, maxBitsStored: 8 },
  '1.2.840.10008.1.2.4.57': { name: 'JPEG Lossless, Non-Hierarchical (Process 14)', codec: 'jpeg-lossless', lossy: false },
  '1.2.840.10008.1.2.4.70': { name: 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, SV1)', codec: 'jpeg-lossless', lossy: false },
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS Lossless', codec: 'jpeg-ls', lossy: false },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS Lossy (Near-Lossless)', codec: 'jpeg-ls', lossy: true },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 (Lossless Only)', codec: 'jpeg-2000', lossy: false },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000', codec: 'jpeg-2000', lossy: true },
  // HTJ2K (JPEG 2000 Part 15): OpenJPEG ≥ 2.5 decodes it, the cornerstone build included.
  '1.2.840.10008.1.2.4.201': { name: 'High-Throughput JPEG 2000 (Lossless Only)', codec: 'jpeg-2000', lossy: false },
  '1.2.840.10008.1.2.4.202': { name: 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)', codec: 'jpeg-2000', lossy: false },
  '1.2.840.10008.1.2.4.203': { name: 'High-Throughput JPEG 2000', codec: 'jpeg-2000', lossy: true },
  // Known, not decoded: named in the finding so the user knows what to re-export.
  '1.2.840.10008.1.2.4.100': { name: 'MPEG2 Main Profile', codec: null, lossy: true },
  '1.2.840.10008.1.2.4.102': { name: 'MPEG-4 AVC/H.264', codec: null, lossy: true },
  '1.2.840.10008.1.2.4.110': { name: 'JPEG XL Lossless', codec: null, lossy: false },
  '1.2.840.10008.1.2.4.112': { name: 'JPEG XL', codec: null, lossy: true },
};

/** What we know of a transfer syntax UID (an unknown UID has no codec). */
export function transferSyntaxInfo(uid: string): TransferSyntaxInfo {
  return TABLE[uid] ?? { name: 'unknown transfer syntax', codec: null, lossy: false };
}

/** "JPEG 2000 (Lossless Only) (1.2.840.10008.1.2.4.90)": how findings name a syntax. */
export function describeTransferSyntax(uid: string): string {
  return `${transferSyntaxInfo(uid).name} (${uid || 'none'})`;
}

/** The encapsulated syntaxes we decode, for docs and messages. */
export function decodableCompressedSyntaxes(): { uid: string; name: string; lossy: boolean }[] {
  return Object.entries(TABLE)
    .filter(([, v]) => v.codec && v.codec !== 'native')
    .map(([uid, v]) => ({ uid, name: v.name, lossy: v.lossy }));
}
