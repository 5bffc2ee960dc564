/**
 * lib/server's folders import one another in one direction only: the import graph between
 * folders (auth, audit, sign-in, studies, deid, runs, …) has no cycle, so each folder can be read
 * with only the folders below it in mind.
 * The graph is built from the import statements of every .ts file; a file directly in lib/server
 * (env.ts, errors.ts) is shared by all and not a folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const SERVER = path.join(ROOT, 'lib', 'server');

function folderOf(file: string): string | null {
  const parts = path.relative(SERVER, file).split(path.sep);
  return parts.length > 1 && parts[0] !== '..' ? parts[0]! : null;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? [] : sourceFiles(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** folder → folder → the files that make the edge */
function folderGraph(files: string[]): Map<string, Map<string, string[]>> {
  const edges = new Map<string, Map<string, string[]>>();
  for (const file of files) {
    const from = folderOf(file);
    if (!from) continue;
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = (m[1] ?? m[2])!;
      const target = spec.startsWith('@/lib/server/')
        ? path.join(SERVER, spec.slice('@/lib/server/'.length))
        : spec.startsWith('.')
          ? path.resolve(path.dirname(file), spec)
          : null;
      const to = target && folderOf(target);
      if (!to || to === from) continue;
      const out = edges.get(from) ?? new Map<string, string[]>();
      edges.set(from, out);
      out.set(to, [...(out.get(to) ?? []), path.relative(ROOT, file)]);
    }
  }
  return edges;
}

/** Each cycle as "a → b → a" with the files of its first edge. */
function findCycles(edges: Map<string, Map<string, string[]>>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (v: string) => {
    state.set(v, 'open');
    stack.push(v);
    for (const [w, files] of edges.get(v) ?? []) {
      if (state.get(w) === 'open') cycles.push(`${[...stack.slice(stack.indexOf(w)), w].join(' → ')} (${v} → ${w}: ${[...new Set(files)].join(', ')})`);
      else if (!state.has(w)) visit(w);
    }
    stack.pop();
    state.set(v, 'done');
  };
  for (const v of [...edges.keys()].sort()) if (!state.has(v)) visit(v);
  return cycles;
}

describe('lib/server folder imports', () => {
  it('form no cycle', () => {
    const edges = folderGraph(sourceFiles(SERVER));
    expect(edges.size).toBeGreaterThan(5);
    expect(findCycles(edges)).toEqual([]);
  });

  it('the check finds a cycle when there is one', () => {
    const edges = new Map([
      ['audit', new Map([['auth', ['lib/server/audit/x.ts']]])],
      ['auth', new Map([['audit', ['lib/server/auth/y.ts']]])],
      ['studies', new Map([['auth', ['lib/server/studies/z.ts']]])],
    ]);
    expect(findCycles(edges)).toEqual(['audit → auth → audit (auth → audit: lib/server/auth/y.ts)']);
  });
});
