/**
 * `npx tsx bench/pipeline/top-functions.ts FILE.cpuprofile [N]`: the N functions (default 30) with
 * the most self time in a V8 CPU profile, and their share of the samples.
 */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const [file, n = '30'] = process.argv.slice(2);
if (!file) throw new Error('usage: top-functions.ts FILE.cpuprofile [N]');
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; startTime: number; endTime: number };
const hits = new Map<number, number>();
for (const s of profile.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const self = new Map<string, number>();
for (const node of profile.nodes) {
  const f = node.callFrame;
  const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(lib|node_modules|bench|workers)\//, '$1/')}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (hits.get(node.id) ?? 0));
}
const total = profile.samples.length;
const ms = (profile.endTime - profile.startTime) / 1000 / total;
console.log(`${total} samples, ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n)))
  console.log(`${((100 * v) / total).toFixed(1).padStart(5)} %  ${(v * ms).toFixed(0).padStart(6)} ms  ${k}`);
