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

/** A Currents field a transformation may name: its value types and the event types that have it. */
export const catalogFieldView = z.object({
  name: z.string(),
  value_types: z.array(z.string()),
  types: z.array(z.string()),
});

export const catalogAnswer = z.object({ types: z.array(catalogTypeView), fields: z.array(catalogFieldView) });

export type CatalogField = z.infer<typeof catalogFieldView>;
