import { describe, expect, it } from 'vitest';
import { parseEnv, ConfigError } from '../../../lib/server/env';

describe('configuration', () => {
  it('has working defaults', () => {
    const env = parseEnv({}, '/srv/iseg');
    expect(env.PORT).toBe(3000);
    expect(env.ISEG_EXECUTION_PROVIDER).toBe('cpu');
    expect(env.dataDir).toBe('/srv/iseg/.data');
    expect(env.volumeDir).toBe('/srv/iseg/.data/volumes');
    expect(env.modelsDir).toBe('/srv/iseg/models');
    expect(parseEnv({ ISEG_MODELS_DIR: '/opt/models' }, '/srv/iseg').modelsDir).toBe('/opt/models');
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('names every bad variable and what is wrong with it', () => {
    let err: unknown;
    try {
      parseEnv({ PORT: 'eighty', ISEG_EXECUTION_PROVIDER: 'tpu', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('PORT="eighty"');
    expect(msg).toContain('ISEG_EXECUTION_PROVIDER="tpu"');
    expect(msg).toContain('DATABASE_URL="mysql://x": must start with postgresql://');
  });

  it('treats empty strings as unset, and refuses a short admin password or session secret', () => {
    expect(parseEnv({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
    expect(() => parseEnv({ ISEG_ADMIN_PASSWORD: 'short' })).toThrow(/ISEG_ADMIN_PASSWORD.*at least 10/);
    expect(() => parseEnv({ NEXTAUTH_SECRET: 'abc' })).toThrow(/NEXTAUTH_SECRET/);
  });
});
