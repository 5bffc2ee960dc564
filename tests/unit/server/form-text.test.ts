import { describe, expect, it } from 'vitest';
import { formText } from '@/lib/server/http/form-text';

describe('formText: a server action reads its untrusted form', () => {
  it('reads a text field', () => {
    const form = new FormData();
    form.set('email', 'a@b.org');
    expect(formText(form, 'email')).toBe('a@b.org');
    expect(formText(form, 'name')).toBeUndefined();
  });
  it('reads a forged argument (a string, JSON, nothing) as missing instead of throwing', () => {
    for (const forged of ['x', { get: 1 }, null, undefined, 42, ['email']]) expect(formText(forged, 'email')).toBeUndefined();
  });
  it('reads a file where text was expected as missing', () => {
    const form = new FormData();
    form.set('email', new Blob(['a@b.org']), 'email.txt');
    expect(formText(form, 'email')).toBeUndefined();
  });
});
