/**
 * lib/core/snapshots: the canonical JSON a snapshot's hash is taken over (RFC 8785 key order,
 * shortest numbers, refusals), the citable id (RFC 4648 base32 of the sha256), and the R
 * script's string literals (plain ASCII in any locale).
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { canonicalJson, CanonicalJsonError } from '@/lib/core/snapshots/canonical-json';
import { base32, citableIdOf, isCitableId, snapshotContentHash } from '@/lib/core/snapshots/snapshot-id';
import { reproduceRScript, rString, type ReproduceSpec } from '@/lib/core/snapshots/reproduce-r';

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined properties, writes no whitespace', () => {
    const a = canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'x' }], c: true }, u: undefined });
    expect(a).toBe('{"a":{"c":true,"d":[3,{"y":"x","z":null}]},"b":1}');
    expect(canonicalJson({ a: { c: true, d: [3, { y: 'x', z: null }] }, b: 1 })).toBe(a);
  });

  it('orders keys by UTF-16 code units and writes numbers as ECMAScript does (RFC 8785 examples)', () => {
    // RFC 8785 section 3.2.3: "\u20ac", "\r", "\ufb33", "1", "\ud83d\ude00", "\u0080", "\u00f6"
    const keys = ['\u20ac', '\r', '\ufb33', '1', '\ud83d\ude00', '\u0080', '\u00f6'];
    const want = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
    const text = canonicalJson(Object.fromEntries(keys.map((k) => [k, 0])));
    expect(text).toBe(`{${want.map((k) => `${JSON.stringify(k)}:0`).join(',')}}`);
    expect(canonicalJson([1e21, 1e-7, -0, 0.1 + 0.2, 333333333.3333333, 4.5, 2 ** 53])).toBe(
      '[1e+21,1e-7,0,0.30000000000000004,333333333.3333333,4.5,9007199254740992]',
    );
    expect(canonicalJson('a"\\\n\u0001é')).toBe('"a\\"\\\\\\n\\u0001é"');
  });

  it('refuses what JSON cannot hold, naming where', () => {
    expect(() => canonicalJson({ a: [1, NaN] })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: [1, NaN] })).toThrow(/a\[1\] is NaN/);
    expect(() => canonicalJson({ a: { b: Infinity } })).toThrow(/a\.b is Infinity/);
    expect(() => canonicalJson([undefined])).toThrow(/\[0\] is undefined/);
    expect(() => canonicalJson({ when: new Date(0) })).toThrow(/when is a Date/);
    expect(() => canonicalJson({ n: 1n })).toThrow(/n is a bigint/);
  });
});

describe('content hash and citable id', () => {
  it('hashes the UTF-8 bytes of the canonical text', () => {
    const text = canonicalJson({ b: 'ö', a: 1 });
    expect(snapshotContentHash(text)).toBe(createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'));
  });

  it('base32 is RFC 4648 (test vectors of section 10, without padding)', () => {
    const enc = (s: string) => base32(new TextEncoder().encode(s));
    expect(['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'].map(enc)).toEqual(['', 'MY', 'MZXQ', 'MZXW6', 'MZXW6YQ', 'MZXW6YTB', 'MZXW6YTBOI']);
  });

  it('the id is ISQ- and the first 10 base32 characters of the hash', () => {
    const hash = snapshotContentHash('{}');
    const id = citableIdOf(hash);
    expect(id).toBe('ISQ-' + base32(Uint8Array.from(Buffer.from(hash, 'hex'))).slice(0, 10));
    expect(isCitableId(id)).toBe(true);
    expect(isCitableId('ISQ-abcdefghij')).toBe(false);
    expect(isCitableId('ISQ-AAAAAAAAAA1')).toBe(false);
    expect(() => citableIdOf('xyz')).toThrow(/64 lower-case hex/);
    // one changed byte of content: another hash, another id
    expect(citableIdOf(snapshotContentHash('{"a":1}'))).not.toBe(citableIdOf(snapshotContentHash('{"a":2}')));
  });
});

describe('reproduce.R', () => {
  const spec: ReproduceSpec = {
    snapshotId: 'ISQ-AAAAAAAAAA',
    contentHash: 'a'.repeat(64),
    title: 'Dice ≥ 0.8 "quoted" \\ test',
    codeVersion: 'iseg-qa 1.0.0+abc',
    eventLabel: 'Local failure',
    timeColumn: 'lf_time_days',
    eventColumn: 'lf_event',
    statusColumn: 'lf_status',
    ties: 'breslow',
    covariates: [
      { column: 'itv_dice', label: 'Dice', unit: 'per 0.1 Dice', kind: 'numeric', scale: 10 },
      { column: 'clinical_stage', label: 'Stage', unit: 'vs the reference level', kind: 'categorical', scale: 1, levels: ['I', 'II', 'IIIÄ'] },
    ],
    groups: ['Dice ≤ 0.8 (median)', 'Dice > 0.8'],
    textColumns: ['pseudonym', 'clinical_stage'],
    fitCox: true,
    fitFineGray: true,
    compareGroups: true,
  };

  it('R string literals escape quotes, backslashes, controls and non-ASCII', () => {
    expect(rString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    expect(rString('≤ ö 😀')).toBe('"\\u2264 \\u00f6 \\U{1f600}"');
  });

  it('is plain ASCII, uses the ties method and scales, and refuses a column name R would mangle', () => {
    const r = reproduceRScript(spec);
    expect(/^[\x09\x0a\x20-\x7e]*$/.test(r)).toBe(true);
    expect(r).toContain('ties = "breslow"');
    expect(r).toContain('X[["itv_dice"]] <- as.numeric(d[["itv_dice"]]) * 10');
    expect(r).toContain('levels = c("I", "II", "III\\u00c4")');
    expect(r).toContain('crr(time, status, M, failcode = 1, cencode = 0)');
    expect(() => reproduceRScript({ ...spec, covariates: [{ ...spec.covariates[0]!, column: 'bad name' }] })).toThrow(/not a plain R name/);
    const os = reproduceRScript({ ...spec, statusColumn: null, fitFineGray: false, compareGroups: false });
    expect(os).not.toContain('crr(');
    expect(os).not.toContain('cuminc(');
    expect(os).not.toContain('survdiff(');
  });

  it('parses in R (when Rscript is installed; the integration test runs it on real snapshots)', () => {
    const check = spawnSync('Rscript', ['-e', 'invisible(parse(file("stdin")))'], { input: reproduceRScript(spec), encoding: 'utf8' });
    if (check.error) return; // no R here: tests/integration/outcomes/analysis-snapshots.test.ts fails under CI instead
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
