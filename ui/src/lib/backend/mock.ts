import type { AppEvent, CommandArgs, CommandName, CommandResult, ExportFile, StagedFile } from '../contract';
import { ApiFailure, type Backend } from './backend';

export type Handler<K extends CommandName> = (args: CommandArgs<K>) => CommandResult<K> | Promise<CommandResult<K>>;
export type Handlers = { [K in CommandName]?: Handler<K> };

/** An in-memory backend for tests (and `npm run dev` with `?mock`): answers from handlers, records calls. */
export class MockBackend implements Backend {
  readonly calls: { name: CommandName; args: unknown }[] = [];
  readonly exports: ExportFile[] = [];
  readonly uploads: File[] = [];
  /** The sign-in pages the UI asked to open: job id and address. */
  readonly signInPages: { job: string; url: string }[] = [];
  private readonly handlers: Handlers;
  private readonly listeners = new Set<(event: AppEvent) => void>();
  nextPick: StagedFile | null = null;

  constructor(handlers: Handlers = {}) {
    this.handlers = { ...handlers };
  }

  /** Replaces or adds the handler of one command. */
  on<K extends CommandName>(name: K, handler: Handler<K>): this {
    (this.handlers as Record<string, unknown>)[name] = handler;
    return this;
  }

  async call<K extends CommandName>(name: K, args: CommandArgs<K>): Promise<CommandResult<K>> {
    this.calls.push({ name, args });
    const handler = this.handlers[name] as Handler<K> | undefined;
    if (!handler) throw new ApiFailure({ code: 'not_implemented', message: `The mock backend has no "${name}".` });
    return handler(args);
  }

  callsOf<K extends CommandName>(name: K): CommandArgs<K>[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.args as CommandArgs<K>);
  }

  onEvent(handler: (event: AppEvent) => void): () => void {
    this.listeners.add(handler);
    return () => this.listeners.delete(handler);
  }

  emit(event: AppEvent): void {
    for (const l of [...this.listeners]) l(event);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  async uploadFile(file: File): Promise<StagedFile> {
    this.uploads.push(file);
    return { path: `/staged/${file.name}`, file_name: file.name, size: file.size };
  }

  async pickFile(): Promise<StagedFile | null> {
    return this.nextPick;
  }

  async saveExport(file: ExportFile): Promise<void> {
    this.exports.push(file);
  }

  async openSignInPage(job: string, url: string): Promise<void> {
    this.signInPages.push({ job, url });
  }
}
