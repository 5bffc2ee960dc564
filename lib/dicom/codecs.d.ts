// The image codec packages ship no usable type declarations; decode-frame.ts uses this much.
interface CornerstoneFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}
interface CornerstoneDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): CornerstoneFrameInfo;
  delete(): void;
}
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: (moduleArg?: { print?: (line: string) => void; printErr?: (line: string) => void }) => Promise<{ J2KDecoder: new () => CornerstoneDecoder }>;
  export default factory;
}
declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: (moduleArg?: {
    print?: (line: string) => void;
    printErr?: (line: string) => void;
  }) => Promise<{ JpegLSDecoder: new () => CornerstoneDecoder }>;
  export default factory;
}
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: (moduleArg?: { print?: (line: string) => void; printErr?: (line: string) => void }) => Promise<{ JPEGDecoder: new () => CornerstoneDecoder }>;
  export default factory;
}
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    constructor(buffer?: ArrayBuffer, numBytes?: number);
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
    frame: { dimX: number; dimY: number; precision: number; numComp: number };
  }
}
