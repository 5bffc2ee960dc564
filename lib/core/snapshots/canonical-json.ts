/**
 * Canonical JSON for analysis snapshots (docs/outcomes-snapshots.md), the text whose sha256 is a
 * snapshot's content hash. It follows RFC 8785 (JSON Canonicalization Scheme): object keys sorted
 * by their UTF-16 code units, no whitespace, strings and numbers as ECMAScript's JSON.stringify
 * writes them (shortest round-trip numbers, -0 as 0). Properties whose value is undefined are left
 * out, as JSON.stringify does; anything JSON cannot hold (NaN, ±Infinity, undefined in an array, a
 * bigint, a function, a Date) is refused with the path of the value, so two snapshots that differ
 * only in how a value would be coerced cannot share a hash. Pure: no I/O.
 */

export class CanonicalJsonError extends Error {
  readonly code = 'INVALID_INPUT';
}

function walk(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value))
        throw new CanonicalJsonError(`Canonical JSON: ${path || 'the value'} is ${value}; only finite numbers can be stored (use null).`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value
          .map((v, i) => {
            if (v === undefined) throw new CanonicalJsonError(`Canonical JSON: ${path}[${i}] is undefined; use null.`);
            return walk(v, `${path}[${i}]`);
          })
          .join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null)
        throw new CanonicalJsonError(
          `Canonical JSON: ${path || 'the value'} is a ${proto?.constructor?.name ?? 'non-plain object'}; convert it to plain JSON first.`,
        );
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      // Default sort compares UTF-16 code units, as RFC 8785 asks.
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${walk(v, path ? `${path}.${k}` : k)}`).join(',')}}`;
    }
    default:
      throw new CanonicalJsonError(`Canonical JSON: ${path || 'the value'} is a ${typeof value}, which JSON cannot hold.`);
  }
}

/** The canonical JSON text of a plain JSON value (see the module comment). */
export function canonicalJson(value: unknown): string {
  return walk(value, '');
}
