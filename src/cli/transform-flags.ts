import type { Command } from 'commander';
import type { Transformation } from '../types.js';

/**
 * `--hash <field>`, `--remove <field>` and (on update) `--keep <field>`: field transformations from the command line,
 * laid over the list of the JSON file (or, on update, the export's own list). The result goes through the same
 * validation as the API's.
 */
export interface TransformFlags {
  hash?: string[];
  remove?: string[];
  keep?: string[];
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function transformOptions(command: Command, update: boolean): Command {
  command
    .option('--hash <field>', 'send this Currents field as the SHA-256 of its value (repeatable)', collect)
    .option('--remove <field>', 'send this Currents field as [REDACTED] (repeatable)', collect);
  if (update) command.option('--keep <field>', 'stop transforming this field (repeatable)', collect);
  return command;
}

export function hasTransformFlags(flags: TransformFlags): boolean {
  return (flags.hash?.length ?? 0) + (flags.remove?.length ?? 0) + (flags.keep?.length ?? 0) > 0;
}

/** The list with the flags applied: a field named again takes the flag's action, in the place it had. */
export function applyTransformFlags(list: readonly Transformation[], flags: TransformFlags): Transformation[] {
  const out = list.map((t) => ({ ...t }));
  const set = (field: string, action: Transformation['action']) => {
    const at = out.findIndex((t) => t.field === field);
    if (at >= 0) out[at] = { field, action };
    else out.push({ field, action });
  };
  for (const field of flags.hash ?? []) set(field, 'hash');
  for (const field of flags.remove ?? []) set(field, 'remove');
  const keep = new Set(flags.keep ?? []);
  return out.filter((t) => !keep.has(t.field));
}
