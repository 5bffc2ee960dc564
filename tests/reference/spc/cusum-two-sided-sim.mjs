// Monte Carlo of the two-sided tabular CUSUM ARL, a check of 1/ARL = 1/ARL+ + 1/ARL- (docs/monitoring.md). Not a test: node tests/reference/spc/cusum-two-sided-sim.mjs
let s = 12345;
function u() {
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  return (s >>> 0) / 4294967296;
}
function norm() {
  let a;
  do {
    a = u();
  } while (a === 0);
  return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
}
function sim(k, h, mu, runs) {
  let sum = 0,
    sum2 = 0;
  for (let r = 0; r < runs; r++) {
    let up = 0,
      lo = 0,
      n = 0;
    for (;;) {
      n++;
      const x = norm() + mu;
      up = Math.max(0, up + x - k);
      lo = Math.max(0, lo - x - k);
      if (up > h || lo > h) break;
    }
    sum += n;
    sum2 += n * n;
  }
  const m = sum / runs;
  return [m, Math.sqrt((sum2 / runs - m * m) / runs)];
}
// [k, h, shift, runs, the two-sided ARL from 1/ARL = 1/ARL+ + 1/ARL- (cusumArl; R xcusum.arl(k, h, mu, sided = "two"))]
for (const [k, h, mu, runs, relation] of [
  [0.5, 5, 1, 2e6, 10.37596992],
  [0.5, 5, 0.5, 2e5, 37.99614319],
  [0.25, 2.5, 0, 1e6, 13.63507149],
]) {
  const [mean, se] = sim(k, h, mu, runs);
  console.log(`k ${k}, h ${h}, shift ${mu}: simulated ${mean.toFixed(4)} ± ${se.toFixed(4)} (${runs} runs); relation ${relation}`);
}
