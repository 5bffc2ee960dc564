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
console.log('k=.5 h=5 mu=1 (R 10.3759699)', sim(0.5, 5, 1, 2e6));
console.log('k=.5 h=5 mu=0.5 (R ?)', sim(0.5, 5, 0.5, 2e5));
console.log('k=.25 h=2.5 mu=0', sim(0.25, 2.5, 0, 1e6));
