import { z } from 'zod';

/** One event type as GET /v1/catalog lists it (zod only: the dashboard takes its type from here, type-only). */
export const catalogTypeView = z.object({
  type: z.string(),
  group: z.string().describe("the group Braze's mParticle page puts it in"),
  group_order: z.number(),
  mappable: z.boolean().describe('has an mParticle mapping, so an export can select it'),
  default_selected: z.boolean().describe("on Braze's mParticle page (the default selection)"),
  mparticle_name: z.string().nullable(),
  channel_qualified_name: z.string().nullable(),
  platform_bound: z.boolean(),
});

export type CatalogType = z.infer<typeof catalogTypeView>;
