import { z } from 'zod';
import type { Store } from '../../store/port.js';
import type { Api } from '../api.js';
import { HttpError } from '../errors.js';
import { traceEvent } from '../exports/trace.js';
import { traceView } from '../schemas/events.js';

export function registerEventRoutes(api: Api, deps: { store: Store; now: () => number }): void {
  api.route({
    method: 'GET',
    url: '/v1/events/:id',
    tag: 'events',
    summary: 'Trace one event by its Currents id: the log row, and per export its fate and mParticle mapping',
    auth: 'viewer',
    params: z.object({ id: z.string().min(1).max(200).describe('the Currents event id') }),
    responses: {
      200: { description: 'the event and its fate in each export', schema: traceView },
      404: { description: 'the log does not hold an event with this id' },
    },
    handler: async ({ params }) => {
      const row = await deps.store.findEvent(params.id);
      if (row === null) {
        throw new HttpError(
          404,
          'not_found',
          `the log holds no event with id ${params.id}: it was never received, was refused at ingest ` +
            '(GET /v1/quarantine lists those), or retention removed it after every export had passed it',
        );
      }
      return traceEvent(row, deps.store, deps.now());
    },
  });
}
