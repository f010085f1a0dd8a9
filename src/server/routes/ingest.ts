import { z } from 'zod';
import { MissingTally } from '../../ingest/missing.js';
import { parsePush } from '../../ingest/push.js';
import type { Store } from '../../store/port.js';
import type { Api } from '../api.js';
import { ingestSourceOf } from '../auth.js';
import type { DiskGuard } from '../disk.js';
import { HttpError } from '../errors.js';
import type { Metrics } from '../metrics.js';

export interface IngestRouteDeps {
  store: Store;
  metrics: Metrics;
  disk: DiskGuard;
  partitions: number;
  maxEventsPerRequest: number;
  bodyLimitBytes: number;
  /** Called after events were committed (wakes idle delivery lanes in this process). */
  onAppended?: () => void;
}

const pushBody = z.object({
  events: z
    .array(
      z
        .object({
          event_type: z.string().describe('a Currents event type, e.g. users.messages.email.Send'),
          id: z.string().describe('globally unique event id, the dedup key'),
          time: z.number().int().describe('UNIX seconds'),
          user: z.record(z.string(), z.unknown()).optional(),
          properties: z.record(z.string(), z.unknown()).optional(),
        })
        .loose(),
    )
    .describe('up to the configured maximum (100 by default); an empty array checks the credentials'),
});

const pushQuery = z.object({
  source: z
    .string()
    .optional()
    .describe(
      "with the ingest token: the source to file the events under (Braze's extra GET parameter); default `default`",
    ),
});

const pushAnswer = z.object({
  request_id: z.string(),
  source: z.string().describe('the source the events were filed under'),
  received: z.number().int(),
  stored: z.number().int(),
  duplicates: z.array(z.number().int()).describe('indexes of events already in the log (dropped)'),
  quarantined: z
    .array(z.object({ index: z.number().int(), reason: z.string() }))
    .describe('indexes of invalid events, kept in quarantine with the reason'),
});

/**
 * POST /v1/currents: Braze's "Custom HTTP" Currents connector. Answers 2xx only after the valid events are committed
 * to the log and the invalid ones to quarantine: nothing a client sent is lost without an answer saying so.
 */
export function registerIngestRoute(api: Api, deps: IngestRouteDeps): void {
  api.route({
    method: 'POST',
    url: '/v1/currents',
    tag: 'ingest',
    summary: "Push Currents events (Braze's Custom HTTP connector format)",
    auth: 'ingest',
    body: pushBody,
    validateBody: false,
    query: pushQuery,
    bodyLimit: deps.bodyLimitBytes,
    responses: {
      200: { description: 'committed: stored, duplicates and quarantined events listed by index', schema: pushAnswer },
      400: { description: 'malformed JSON or not {"events":[...]}' },
      401: { description: "missing or wrong token (the ingest token, or an http source's own token)" },
      403: { description: "a source's token with another ?source=, or a source that takes no pushes (a bucket)" },
      404: { description: '?source= names no source' },
      413: { description: 'too many events or body too large: split the request' },
      503: {
        description:
          'the source is paused, or the store cannot keep events now (disk full, database down): retry after Retry-After',
      },
    },
    handler: async ({ request, reply }) => {
      const source = ingestSourceOf(request).id;
      const version = request.headers['braze-currents-version'];
      if (version !== undefined && version !== '1') {
        throw new HttpError(
          400,
          'unsupported_version',
          `Braze-Currents-Version ${String(version)} is not supported; this service speaks version 1`,
        );
      }
      const parsed = parsePush(request.body, {
        requestId: request.id,
        receivedAt: Date.now(),
        partitions: deps.partitions,
        maxEvents: deps.maxEventsPerRequest,
        source,
      });
      if (!parsed.ok) {
        if (parsed.status === 413) {
          throw new HttpError(413, 'too_many_events', parsed.error, {
            limit_events: deps.maxEventsPerRequest,
            setting: 'CURRENTS_MAX_EVENTS_PER_REQUEST',
          });
        }
        throw new HttpError(400, 'bad_body', parsed.error);
      }
      if (parsed.events.length === 0 && parsed.quarantined.length === 0) {
        return reply
          .code(200)
          .send({ request_id: request.id, source, received: 0, stored: 0, duplicates: [], quarantined: [] });
      }
      await deps.disk.assertRoom();
      const started = performance.now();
      // Events first, quarantine after: when the store refuses the events (503), no quarantine record is left
      // behind for the client's retry to add a second time; when only the quarantine write fails, the retry finds
      // the events already stored and reports them as duplicates.
      const appended = await deps.store.append(parsed.events);
      if (parsed.quarantined.length > 0) await deps.store.addQuarantine(parsed.quarantined);
      deps.metrics.commitSeconds.observe((performance.now() - started) / 1000);
      deps.metrics.eventsAccepted.inc({ source }, appended.stored);
      if (appended.stored > 0) deps.onAppended?.();
      if (appended.duplicateIndexes.length > 0) {
        deps.metrics.eventsDuplicate.inc({ source }, appended.duplicateIndexes.length);
      }
      deps.metrics.countFutureDated(source, parsed.events, appended.duplicateIndexes);
      // Counted for the events stored only: a resent duplicate was counted when it was first stored.
      if (parsed.lacking.length > 0) {
        const duplicates = new Set(appended.duplicateIndexes);
        deps.metrics.countMissing(new MissingTally().addAll(parsed.lacking, duplicates));
      }
      if (parsed.rejected.length > 0) deps.metrics.eventsQuarantined.inc({ source }, parsed.rejected.length);
      return reply.code(200).send({
        request_id: request.id,
        source,
        received: parsed.events.length + parsed.rejected.length,
        stored: appended.stored,
        duplicates: appended.duplicateIndexes.map((i) => parsed.eventIndexes[i]),
        quarantined: parsed.rejected,
      });
    },
  });
}
