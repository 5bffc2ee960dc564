import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { indexToPatientMm, type Grid, type Volume, type VoxelArray } from '@/lib/core/volume';
import { encodeNifti, NiftiError, parseNifti, readMask, readNifti, writeNifti } from '@/lib/nifti';
import { oursFixtureVolume } from '../../reference/nifti/ours-fixture-volume';

const dir = mkdtempSync(join(tmpdir(), 'nifti-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NiftiError);
    return (err as NiftiError).code;
  }
  return undefined;
}

const oblique = oursFixtureVolume().grid;

describe('round trip (ours → ours)', () => {
  const ctors: [string, (n: number) => VoxelArray][] = [
    ['Uint8Array', (n) => new Uint8Array(n)],
    ['Int16Array', (n) => new Int16Array(n)],
    ['Uint16Array', (n) => new Uint16Array(n)],
    ['Int32Array', (n) => new Int32Array(n)],
    ['Float32Array', (n) => new Float32Array(n)],
  ];
  for (const [name, make] of ctors) {
    for (const ext of ['.nii', '.nii.gz']) {
      it(`${name} ${ext} on an oblique left-handed grid`, () => {
        const data = make(60);
        for (let n = 0; n < 60; n++) data[n] = name === 'Float32Array' ? n * 0.37 - 3 : (n * 13) % 200;
        const path = join(dir, `rt-${name}${ext}`);
        writeNifti(path, { grid: oblique, data });
        const back = readNifti(path);
        expect(back.data.constructor.name).toBe(name);
        expect(Array.from(back.data)).toEqual(Array.from(data));
        // Voxel centres agree in patient space (float32 header storage: ~1e-5 mm).
        for (const [i, j, k] of [
          [0, 0, 0],
          [4, 3, 2],
          [2, 1, 1],
        ]) {
          const a = indexToPatientMm(oblique, i, j, k);
          const b = indexToPatientMm(back.grid, i, j, k);
          for (let c = 0; c < 3; c++) expect(Math.abs(a[c] - b[c])).toBeLessThan(1e-4);
        }
        expect(back.nifti.affineSource).toBe('sform');
      });
    }
  }

  it('qform alone gives the same geometry as the sform (quaternion and qfac are right)', () => {
    const bytes = encodeNifti(oursFixtureVolume());
    const viaSform = parseNifti(bytes).grid;
    const noSform = bytes.slice();
    new DataView(noSform.buffer).setInt16(254, 0, true);
    const viaQform = parseNifti(noSform);
    expect(viaQform.nifti.affineSource).toBe('qform');
    for (let n = 0; n < 9; n++) expect(Math.abs(viaQform.grid.direction[n] - viaSform.direction[n])).toBeLessThan(1e-6);
    for (let n = 0; n < 3; n++) expect(viaQform.grid.originMm[n]).toBeCloseTo(viaSform.originMm[n], 5);
  });

  it('without sform and qform, uses pixdim only (nifti1.h method 1): origin 0, RAS axes', () => {
    const bytes = encodeNifti(oursFixtureVolume());
    const v = new DataView(bytes.buffer);
    v.setInt16(252, 0, true);
    v.setInt16(254, 0, true);
    const r = parseNifti(bytes);
    expect(r.nifti.affineSource).toBe('pixdim');
    expect(r.grid.spacingMm).toEqual([0.75, 1.25, 2.5]);
    expect(r.grid.originMm).toEqual([0, 0, 0]);
    expect(r.grid.direction).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, 1]);
  });

  it('falls back to the qform when sform_code is set but the sform matrix is zero', () => {
    const bytes = encodeNifti(oursFixtureVolume());
    const viaSform = parseNifti(bytes).grid;
    const v = new DataView(bytes.buffer);
    for (let n = 0; n < 12; n++) v.setFloat32(280 + 4 * n, 0, true);
    const r = parseNifti(bytes);
    expect(r.nifti.affineSource).toBe('qform');
    for (let n = 0; n < 3; n++) expect(r.grid.originMm[n]).toBeCloseTo(viaSform.originMm[n], 5);
  });

  it("intent 'mask' stores uint8 with intent code NIFTI_INTENT_LABEL and refuses non-integer values", () => {
    const grid: Grid = { dims: [2, 1, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
    const ok = parseNifti(encodeNifti({ grid, data: new Float32Array([0, 3]) }, { intent: 'mask' }));
    expect(ok.nifti.datatype).toBe('uint8');
    expect(ok.nifti.intentCode).toBe(1002);
    expect(Array.from(ok.data)).toEqual([0, 3]);
    expect(() => encodeNifti({ grid, data: new Float32Array([0, 0.5]) }, { intent: 'mask' })).toThrowError(/voxel 1 is 0.5/);
  });

  it('refuses a data length that does not match the grid', () => {
    const grid: Grid = { dims: [2, 2, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
    expect(() => encodeNifti({ grid, data: new Uint8Array(3) })).toThrowError(/2×2×1 \(4 voxels\) but the data has 3/);
  });
});

describe('bad input gives specific errors that name the file', () => {
  const good = encodeNifti(oursFixtureVolume());

  it('not a NIfTI file', () => {
    const p = join(dir, 'notes.nii');
    writeFileSync(p, 'this is a text file, not an image, but long enough to have a header.........');
    expect(codeOf(() => readNifti(p))).toBe('NOT_NIFTI');
    expect(() => readNifti(p)).toThrowError(new RegExp(`${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a NIfTI file`));
    expect(codeOf(() => parseNifti(new Uint8Array(2), { source: 'x.nii' }))).toBe('NOT_NIFTI');
  });

  it('truncated data, uncompressed and gzip', () => {
    expect(() => parseNifti(good.slice(0, good.length - 1), { source: 't.nii' })).toThrowError(
      /t\.nii is truncated: 5×4×3 int16 voxels need 472 bytes.*has 471/,
    );
    expect(codeOf(() => parseNifti(good.slice(0, 200)))).toBe('TRUNCATED');
    const gz = gzipSync(good);
    expect(codeOf(() => parseNifti(gz.slice(0, gz.length - 10), { source: 't.nii.gz' }))).toBe('TRUNCATED');
  });

  it('unsupported datatype (uint32)', () => {
    const b = good.slice();
    new DataView(b.buffer).setInt16(70, 768, true);
    expect(() => parseNifti(b, { source: 'u32.nii' })).toThrowError(/u32\.nii: NIfTI datatype uint32 \(code 768\) is not supported/);
    expect(codeOf(() => parseNifti(b))).toBe('UNSUPPORTED_DATATYPE');
  });

  it('NaN affine and NaN spacing', () => {
    const b = good.slice();
    new DataView(b.buffer).setFloat32(280, Number.NaN, true);
    expect(() => parseNifti(b, { source: 'nan.nii' })).toThrowError(/nan\.nii: the image affine contains NaN/);
    const c = good.slice();
    new DataView(c.buffer).setFloat32(80, Number.NaN, true);
    expect(codeOf(() => parseNifti(c))).toBe('INVALID_GEOMETRY');
  });

  it('a voxel spacing of 0 is refused with the file and the pixdim named (not read as 1 mm)', () => {
    for (const [what, qform, sform] of [
      ['qform', 1, 0],
      ['sform', 1, 1],
      ['pixdim only', 0, 0],
    ] as const) {
      const b = encodeNifti(oursFixtureVolume());
      const v = new DataView(b.buffer);
      v.setInt16(252, qform, true);
      v.setInt16(254, sform, true);
      v.setFloat32(88, 0, true); // pixdim[3] (slice spacing)
      const file = join(dir, `zero-spacing-${what.replace(' ', '-')}.nii`);
      writeFileSync(file, b);
      let message = '';
      try {
        readNifti(file);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, what).toContain(`${file}: voxel spacing pixdim[3] is 0 (pixdim[1..3] = 0.75, 1.25, 0); a voxel size must be greater than 0 mm`);
      expect(codeOf(() => readNifti(file))).toBe('INVALID_GEOMETRY');
    }
    // a negative pixdim with only a qform would also be read as 1 mm: refused
    const q = encodeNifti(oursFixtureVolume());
    new DataView(q.buffer).setInt16(254, 0, true);
    new DataView(q.buffer).setFloat32(84, -1.25, true);
    expect(() => parseNifti(q, { source: 'neg.nii' })).toThrowError(/neg\.nii: voxel spacing pixdim\[2\] is -1\.25/);
  });

  it('sheared affine', () => {
    const b = good.slice();
    const v = new DataView(b.buffer);
    v.setFloat32(284, v.getFloat32(280, true) + 0.3, true);
    expect(codeOf(() => parseNifti(b))).toBe('INVALID_GEOMETRY');
  });

  it('4D image', () => {
    const b = good.slice();
    const v = new DataView(b.buffer);
    v.setInt16(40, 4, true);
    v.setInt16(48, 2, true);
    expect(() => parseNifti(b, { source: 'fmri.nii' })).toThrowError(/fmri\.nii is 5×4×3×2: only 3D images are supported/);
  });
});

describe('readMask', () => {
  const grid: Grid = { dims: [3, 2, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
  const write = (name: string, data: VoxelArray) => {
    const p = join(dir, name);
    writeNifti(p, { grid, data } as Volume<VoxelArray>);
    return p;
  };

  it('accepts 0/1 and 0/255 masks without a label', () => {
    expect(Array.from(readMask(write('m01.nii.gz', new Uint8Array([0, 1, 1, 0, 0, 1]))).data)).toEqual([0, 1, 1, 0, 0, 1]);
    expect(Array.from(readMask(write('m255.nii', new Uint8Array([255, 0, 0, 0, 0, 255]))).data)).toEqual([1, 0, 0, 0, 0, 1]);
    expect(Array.from(readMask(write('empty.nii', new Uint8Array(6))).data)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('picks one label from a label map', () => {
    const p = write('labels.nii', new Int16Array([0, 2, 5, 2, 0, 5]));
    expect(Array.from(readMask(p, { label: 2 }).data)).toEqual([0, 1, 0, 1, 0, 0]);
    expect(Array.from(readMask(p, { label: 7 }).data)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('refuses a label map without a label, naming the file and the values', () => {
    const p = write('labels2.nii', new Int16Array([0, 2, 5, 2, 0, 5]));
    expect(() => readMask(p)).toThrowError(`${p} is not a binary mask: it holds the values 0, 2, 5.`);
    const neg = write('neg.nii', new Int16Array([0, -1, 0, 0, 0, 0]));
    expect(() => readMask(neg)).toThrowError(/holds the values -1, 0/);
  });
});
