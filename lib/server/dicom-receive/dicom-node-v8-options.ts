/**
 * V8 options for the DICOM node's process (workers/dicom-node.ts), given by whoever starts it
 * (scripts/start.ts, bench:receive). A received instance passes through many short-lived buffers
 * (PDU fragments joined, file writes) and the import through whole volumes; a 64 MiB young
 * generation (V8's default is 16 MiB on 64-bit) means fewer scavenges: on the 10-phase receive
 * benchmark the node used about 20 % less CPU time with it (docs/benchmarks.md, "DICOM receive").
 */
export const DICOM_NODE_V8_OPTIONS: readonly string[] = ['--max-semi-space-size=64'];
