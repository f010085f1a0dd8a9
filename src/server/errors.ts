import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { StoreUnavailableError, toError } from '../store/errors.js';
import { describeAjvErrors, summarise } from './issues.js';

/**
 * The one HTTP error class and the central error handler. Every error answer has the shape
 * `{ "error": <what went wrong and what to do>, "code": <stable machine code>, ...details }`.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof HttpError) {
    void reply
      .code(error.status)
      .headers(error.headers)
      .send({ error: error.message, code: error.code, ...error.details });
    return;
  }
  if (error instanceof StoreUnavailableError) {
    request.log.error({ err: error }, 'store unavailable');
    void reply
      .code(503)
      .header('retry-after', String(error.retryAfterSeconds))
      .send({
        error: `the event store cannot accept writes right now (${error.message}); nothing from this request was kept, retry later`,
        code: 'store_unavailable',
      });
    return;
  }
  const fe = error as FastifyError;
  if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (fe.statusCode === 400 && error instanceof SyntaxError)) {
    void reply.code(400).send({
      error: `the body is not valid JSON (${error.message}); send {"events":[...]} as application/json`,
      code: 'malformed_json',
    });
    return;
  }
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    void reply
      .code(400)
      .send({ error: 'the body is empty; send {"events":[...]} as application/json', code: 'empty_body' });
    return;
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = request.routeOptions.bodyLimit;
    const push = request.routeOptions.url === '/v1/currents';
    void reply.code(413).send({
      error:
        `the body is larger than the ${bytes(limit)} this service accepts; ` +
        (push ? 'split the events over several requests, ' : 'send a smaller body, ') +
        'or raise the limit with --body-limit (CURRENTS_BODY_LIMIT_BYTES)',
      code: 'body_too_large',
      limit_bytes: limit,
      setting: 'CURRENTS_BODY_LIMIT_BYTES',
    });
    return;
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    void reply.code(415).send({ error: 'send the body as application/json', code: 'unsupported_media_type' });
    return;
  }
  if (fe.validation) {
    const fields = describeAjvErrors(fe.validation, fe.validationContext ?? 'request');
    void reply.code(400).send({ error: summarise(fields, 'request'), code: 'invalid_request', fields });
    return;
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    void reply.code(fe.statusCode).send({ error: error.message, code: fe.code ?? 'bad_request' });
    return;
  }
  request.log.error({ err: toError(error) }, 'unhandled error');
  void reply.code(500).send({ error: 'internal error; see the service log for details', code: 'internal' });
}

/** "4,194,304 bytes (4 MiB)": the limit as set and as people think of it. */
export function bytes(n: number | undefined): string {
  if (n === undefined) return 'size';
  const [value, unit] = n >= 1024 * 1024 ? [n / (1024 * 1024), 'MiB'] : [n / 1024, 'KiB'];
  return `${n.toLocaleString('en-US')} bytes (${Math.round(value * 10) / 10} ${unit})`;
}
