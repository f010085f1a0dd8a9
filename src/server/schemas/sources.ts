import { z } from 'zod';
import { sourceView } from '../sources/schemas.js';
import { sourceFiguresView } from './exports.js';

/** What the sources API lists and reports (zod only: the dashboard takes its types from here, type-only). */

export const listedSourceView = sourceView.extend(sourceFiguresView.shape).extend({
  last_error: z.string().nullable(),
});

export const sourceStatusView = sourceFiguresView.extend({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['http', 's3', 'azure_blob', 'gcs']),
  state: z.enum(['active', 'paused']),
  message: z.string().nullable().describe('what its worker says'),
  last_error: z.string().nullable(),
  last_error_at: z.string().nullable(),
  last_run_at: z.string().nullable(),
  newest_object_at: z.string().nullable(),
  exports: z.array(z.object({ id: z.string(), name: z.string() })).describe('the exports taking its events'),
});

export type ListedSource = z.infer<typeof listedSourceView>;
export type SourceStatusView = z.infer<typeof sourceStatusView>;
