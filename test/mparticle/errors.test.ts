import { describe, expect, it } from 'vitest';
import { classifyError, classifyResponse, parseRetryAfter } from '../../src/mparticle/errors.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('classifyResponse', () => {
  it('reads the rate limit usage of a 2xx', () => {
    const ok = classifyResponse(202, { 'X-MP-Rate-Limit-Percentage-Used': '37.5' }, '', NOW);
    expect(ok).toMatchObject({ kind: 'ok', action: 'done', status: 202, rateLimitPercentUsed: 37.5 });
    expect(classifyResponse(200, {}, '')).toMatchObject({ kind: 'ok', rateLimitPercentUsed: null });
  });

  it('reads Retry-After in seconds or as a date, and the scope, of a 429', () => {
    const seconds = classifyResponse(429, { 'retry-after': '3', 'x-mp-rate-limit-exceeded': 'api_key' }, '', NOW);
    expect(seconds).toMatchObject({ kind: 'rate_limited', action: 'wait', retryAfterMs: 3000, scope: 'api_key' });
    expect(seconds.message).toMatch(/wait 3 s/);
    const date = classifyResponse(429, { 'retry-after': new Date(NOW + 10_000).toUTCString() }, '', NOW);
    expect(date).toMatchObject({ retryAfterMs: 10_000, scope: null });
    const none = classifyResponse(429, {}, '', NOW);
    expect(none).toMatchObject({ retryAfterMs: null });
    expect(none.message).toMatch(/back off/);
  });

  it('takes mParticle’s error text from a 400, or the body when it is not mParticle’s shape', () => {
    const body = JSON.stringify({ errors: [{ code: 'BAD_REQUEST', message: 'events[0] is invalid' }] });
    const bad = classifyResponse(400, {}, body);
    expect(bad).toMatchObject({ kind: 'bad_request', action: 'split', error: 'BAD_REQUEST: events[0] is invalid' });
    expect(bad.message).toMatch(/split it/);
    expect(classifyResponse(400, {}, 'plain words')).toMatchObject({ error: 'plain words' });
    expect(classifyResponse(400, {}, '')).toMatchObject({ error: '(empty body)' });
  });

  it('classifies every other status with a message saying what to do', () => {
    const cases: [number, string, string, RegExp][] = [
      [413, 'too_large', 'split', /split/],
      [401, 'auth_missing', 'hold', /key and secret/],
      [403, 'auth_rejected', 'hold', /update them/],
      [404, 'not_found', 'hold', /pod or base URL/],
      [500, 'server_error', 'retry', /retried/],
      [502, 'server_error', 'retry', /retried/],
      [503, 'server_error', 'retry', /retried/],
      [504, 'server_error', 'retry', /retried/],
      [409, 'unexpected', 'hold', /held/],
      [302, 'unexpected', 'retry', /retried/],
    ];
    for (const [status, kind, action, message] of cases) {
      const outcome = classifyResponse(status, {}, '');
      expect(outcome, String(status)).toMatchObject({ kind, action, status });
      expect(outcome.message, String(status)).toMatch(message);
    }
  });
});

describe('classifyError', () => {
  it('tells timeouts from network failures, looking through causes', () => {
    const headers = Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(classifyError(headers)).toMatchObject({ kind: 'timeout', status: null, action: 'retry' });
    expect(classifyError(new DOMException('The operation timed out.', 'TimeoutError'))).toMatchObject({
      kind: 'timeout',
    });
    const refused = new Error('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    });
    const outcome = classifyError(refused);
    expect(outcome).toMatchObject({ kind: 'network', code: 'ECONNREFUSED', action: 'retry' });
    expect(outcome.message).toMatch(/ECONNREFUSED/);
    expect(classifyError('weird')).toMatchObject({ kind: 'network', code: null });
  });
});

describe('parseRetryAfter', () => {
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeNull();
    expect(parseRetryAfter('soon', NOW)).toBeNull();
    expect(parseRetryAfter('1.5', NOW)).toBe(1500);
    expect(parseRetryAfter(new Date(NOW - 5000).toUTCString(), NOW)).toBe(0);
  });
});
