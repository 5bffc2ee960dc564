import { describe, expect, it } from 'vitest';
import { describeSetupFailure, redactSecrets } from '../../../app/setup/run-setup';

describe('setup failure log line', () => {
  it('redacts the given secrets, bcrypt hashes and URL passwords', () => {
    const hash = '$2b$12$' + 'a'.repeat(53);
    const text = `token abcd-token-1234 password hunter2hunter2 hash ${hash} url postgresql://iseg:pw%21x@db:5432/iseg`;
    const out = redactSecrets(text, ['abcd-token-1234', 'hunter2hunter2']);
    expect(out).toBe('token [redacted] password [redacted] hash [redacted] url postgresql://iseg:[redacted]@db:5432/iseg');
  });

  it('names the error, its code and message on one line', () => {
    const e = Object.assign(new Error('insert refused\n  by constraint x'), { code: 'P2010' });
    expect(describeSetupFailure(e, [])).toBe('[setup] creating the first administrator failed: Error P2010: insert refused by constraint x');
    expect(describeSetupFailure('plain', [])).toBe('[setup] creating the first administrator failed: Error: plain');
  });
});
