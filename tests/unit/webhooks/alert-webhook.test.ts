/**
 * lib/core/webhooks/alert-webhook.ts: which webhook URLs and secrets are accepted, the body an
 * alert is sent as (no identifier), and the HMAC signature (checked against openssl:
 * printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'test-secret-0123456789abcdef').
 */
import { describe, expect, it } from 'vitest';
import { alertWebhookBody, checkWebhookSecret, checkWebhookUrl, signWebhookBody } from '@/lib/core/webhooks/alert-webhook';

describe('checkWebhookUrl', () => {
  it('accepts https anywhere and http to the loopback host only', () => {
    expect(checkWebhookUrl(' https://hooks.example.org/iseg?x=1 ')).toEqual({ url: 'https://hooks.example.org/iseg?x=1' });
    expect(checkWebhookUrl('http://localhost:8080/h')).toEqual({ url: 'http://localhost:8080/h' });
    expect(checkWebhookUrl('http://127.0.0.1:9/h')).toEqual({ url: 'http://127.0.0.1:9/h' });
    expect(checkWebhookUrl('http://[::1]:9/h')).toEqual({ url: 'http://[::1]:9/h' });
  });
  it('refuses, with the reason, plain http elsewhere, other schemes, credentials, fragments, garbage and empty', () => {
    const err = (u: string) => {
      const r = checkWebhookUrl(u);
      if (!('error' in r)) throw new Error(`accepted ${u}`);
      return r.error;
    };
    expect(err('http://hooks.example.org/x')).toMatch(/must use https:\/\/ \(plain http:\/\/ only to localhost, 127\.0\.0\.1 or \[::1\]\); .* uses http\.$/);
    expect(err('http://localhost.evil.example/x')).toMatch(/must use https/);
    expect(err('http://127.0.0.2/x')).toMatch(/must use https/);
    expect(err('ftp://hooks.example.org/x')).toMatch(/uses ftp\.$/);
    expect(err('https://u:p@hooks.example.org/')).toMatch(/user name or password/);
    expect(err('https://hooks.example.org/#frag')).toMatch(/#fragment/);
    expect(err('hooks.example.org')).toMatch(/is not a URL/);
    expect(err('  ')).toMatch(/is empty/);
    expect(err(`https://h.example.org/${'a'.repeat(2000)}`)).toMatch(/at most 2000/);
  });
});

describe('checkWebhookSecret', () => {
  it('takes 16 to 200 printable characters without spaces', () => {
    expect(checkWebhookSecret(' 0123456789abcdef ')).toEqual({ secret: '0123456789abcdef' });
    expect(checkWebhookSecret('0123456789abcde')).toMatchObject({
      error: expect.stringMatching(/16 to 200 .* \(it was 15 long\); a random one: openssl rand -hex 32/),
    });
    expect(checkWebhookSecret('0123456789 abcdef')).toMatchObject({ error: expect.any(String) });
    expect(checkWebhookSecret('x'.repeat(201))).toMatchObject({ error: expect.any(String) });
  });
});

describe('signWebhookBody', () => {
  it('is sha256= HMAC-SHA256 of "timestamp.body", as openssl computes it', () => {
    expect(signWebhookBody('test-secret-0123456789abcdef', 1700000000, '{"a":1}')).toBe(
      'sha256=9b8ebd5b30591a4540f6eea35c2cafc8ca96f659bc3b66994554908a236809ca',
    );
  });
});

describe('alertWebhookBody', () => {
  const alert = {
    id: 'a1',
    metric: 'fp',
    chart: 'cusum',
    direction: 'up',
    split: 'institution',
    splitLabel: 'Clinic A',
    pseudonym: 'P-7K2Q',
    position: 30,
    value: 4.5,
    statistic: 5.2,
    limit: 5,
    baselineMean: 1,
    baselineSigma: 0.4,
    configVersion: 3,
    createdAt: new Date('2026-12-06T22:00:00Z'),
    // Fields of the stored row that must never be sent.
    studyId: 'study-internal',
    runId: 'run-internal',
  };
  it('carries the alert, its type label and a link, and only the listed fields', () => {
    const b = alertWebhookBody(alert, 'https://qa.example.org/');
    expect(b).toEqual({
      event: 'monitoring.alert',
      alertId: 'a1',
      alertType: 'fp',
      alertTypeLabel: 'ITV false-positive volume (cc)',
      chart: 'cusum',
      direction: 'up',
      series: { split: 'institution', label: 'Clinic A' },
      studyPseudonym: 'P-7K2Q',
      position: 30,
      value: 4.5,
      statistic: 5.2,
      limit: 5,
      baseline: { mean: 1, sigma: 0.4 },
      configVersion: 3,
      time: '2026-12-06T22:00:00.000Z',
      link: 'https://qa.example.org/monitoring#alert-a1',
    });
    expect(JSON.stringify(b)).not.toMatch(/internal/);
    expect(alertWebhookBody(alert, null).link).toBe('/monitoring#alert-a1');
  });
});
