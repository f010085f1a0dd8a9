import type { Api } from './client.js';
import type { ExportStatus, ExportView } from './types.js';

/** An export's settings and its status, fetched together: the pages that watch an export need both. */
export async function exportWithStatus(api: Api, id: string): Promise<{ view: ExportView; status: ExportStatus }> {
  const enc = encodeURIComponent(id);
  const [view, status] = await Promise.all([
    api.get<ExportView>(`/v1/exports/${enc}`),
    api.get<ExportStatus>(`/v1/exports/${enc}/status`),
  ]);
  return { view, status };
}
