import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'survival');

export function loadFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

/** |actual − expected| ≤ rel·|expected| (+ a tiny absolute floor for values that are 0 in R). */
export function expectRel(actual: number, expected: number, rel = 1e-6, abs = 1e-12, what = ''): void {
  const ok = Math.abs(actual - expected) <= rel * Math.abs(expected) + abs;
  if (!ok) expect.fail(`${what}: got ${actual}, R gives ${expected} (rel err ${Math.abs(actual - expected) / Math.abs(expected)})`);
}

export function expectAllRel(actual: ArrayLike<number>, expected: ArrayLike<number | null>, rel = 1e-6, abs = 1e-12, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (e === null) {
      expect(Number.isFinite(actual[i]), `${what}[${i}] should be non-finite/null`).toBe(false);
    } else expectRel(actual[i], e, rel, abs, `${what}[${i}]`);
  }
}
