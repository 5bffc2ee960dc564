/**
 * Float32 volumes a segmentation reuses from one phase to the next instead of allocating them
 * again: the CT on the model grid, the stitched network output and the sliding window's batch.
 *
 * Why: every large typed array is memory outside V8's heap, and each few tens of MB of it
 * allocated set off a full garbage collection (bench:pipeline, `--trace-gc`: about two full
 * collections per 96×96×48 phase before this). A taken array belongs to its taker alone
 * (concurrent segmentations in one process take different arrays); it comes back with
 * `giveBackScratch` once nothing refers to it, or is simply dropped (an error path) and
 * collected as before. Taken arrays hold the values a previous user left: callers that
 * accumulate must fill them first.
 */

/** Arrays larger than this (32 MiB) are not kept: a 512×512×200 CT's volumes are allocated each time, as before. */
const MAX_KEPT_LENGTH = 8 * 2 ** 20;
/** At most this many arrays are kept (the three a phase uses, and a spare). */
const MAX_KEPT = 4;
const kept: Float32Array[] = [];

/** A Float32Array of `length` values: a kept one (old contents) or a new one (zeros). */
export function takeScratch(length: number): Float32Array {
  const i = kept.findIndex((a) => a.length === length);
  if (i < 0) return new Float32Array(length);
  const [a] = kept.splice(i, 1);
  return a!;
}

/** Hand an array taken with takeScratch back for reuse; the caller must not use it afterwards. */
export function giveBackScratch(a: Float32Array): void {
  if (a.length > MAX_KEPT_LENGTH || a.byteOffset !== 0 || a.length !== a.buffer.byteLength / 4 || kept.includes(a)) return;
  kept.push(a);
  if (kept.length > MAX_KEPT) kept.shift();
}
