/**
 * bench/inference/gpu-check.sh cannot run its GPU half on machines without an NVIDIA GPU, so the
 * script itself is exercised here: the CPU self-test (the CPU provider against itself must give
 * identical masks through the whole comparison path), and the clear refusal without a GPU.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const hasNvidiaSmi = ['/usr/bin/nvidia-smi', '/usr/local/bin/nvidia-smi'].some((p) => existsSync(p));

describe('GPU check script', () => {
  it('runs the whole comparison on the CPU self-test and passes with identical, non-empty masks', async () => {
    const { stdout } = await run(
      'npx',
      ['tsx', 'bench/inference/gpu-check.ts', '--provider', 'cpu', '--phases', '1', '--dims', '128,128,64', '--spacing', '2.5,2.5,3'],
      {
        timeout: 240_000,
      },
    );
    const phase = stdout.match(/mask (\d+) vs (\d+) voxels, (\d+) differ/);
    expect(phase, stdout).not.toBeNull();
    expect(Number(phase![1])).toBeGreaterThan(1000);
    expect(phase![2]).toBe(phase![1]);
    expect(phase![3]).toBe('0');
    expect(stdout).toMatch(/^PASS: /m);
  }, 300_000);

  it('refuses an unknown provider with the accepted ones', async () => {
    const err = await run('npx', ['tsx', 'bench/inference/gpu-check.ts', '--provider', 'tpu']).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(1);
    expect((err as { stderr: string }).stderr).toContain('use cuda or webgpu');
  }, 120_000);

  it.skipIf(hasNvidiaSmi)('without an NVIDIA driver, the shell script stops first and says what is missing', async () => {
    const err = await run('bash', ['bench/inference/gpu-check.sh', 'cuda']).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(1);
    expect((err as { stderr: string }).stderr).toContain('nvidia-smi not found');
  });
});
