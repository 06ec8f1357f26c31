// The command contract between the UI and the Rust command layer. The types are generated
// from the Rust types (ts-rs) into bindings.ts; this file re-exports them and adds the
// few type helpers the transports need. Never write a crossing type by hand here.
import type { Commands, CommandName, PreviewArgs } from './bindings';

export type * from './bindings';

export type CommandArgs<K extends CommandName> = Commands[K]['args'];
export type CommandResult<K extends CommandName> = Commands[K]['result'];

/** A column mapping: canonical field → the file's header, or null for "not mapped". */
export type Mapping = NonNullable<PreviewArgs['mapping']>;
