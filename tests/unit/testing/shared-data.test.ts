/** The switch that turns a missing ../shared into a failure in CI (tests/shared-data.ts). */
import { afterEach, describe, expect, it } from 'vitest';
import { haveSharedData, sharedDataPath } from '../../shared-data';

const saved = process.env.ISEG_REQUIRE_SHARED_DATA;
afterEach(() => {
  if (saved === undefined) delete process.env.ISEG_REQUIRE_SHARED_DATA;
  else process.env.ISEG_REQUIRE_SHARED_DATA = saved;
});

describe('haveSharedData', () => {
  const absent = sharedDataPath('no-such-folder-for-this-test');

  it('skips (false) on a user machine when a folder is absent', () => {
    delete process.env.ISEG_REQUIRE_SHARED_DATA;
    expect(haveSharedData(absent)).toBe(false);
  });

  it('fails, naming the folder, when ISEG_REQUIRE_SHARED_DATA=1 (CI)', () => {
    process.env.ISEG_REQUIRE_SHARED_DATA = '1';
    expect(() => haveSharedData(absent)).toThrow(/no-such-folder-for-this-test.*ISEG_REQUIRE_SHARED_DATA=1/);
  });

  it('is true when every path exists', () => {
    process.env.ISEG_REQUIRE_SHARED_DATA = '1';
    expect(haveSharedData(__dirname)).toBe(true);
  });
});
