import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { open, save } from '@tauri-apps/plugin-dialog';
import type { AppEvent, CommandArgs, CommandName, CommandResult, ExportFile, StagedFile } from '../contract';
import { toApiFailure, type Backend } from './backend';

/** Tauri IPC: one `call` command for the whole command list, events on `revlens-event`. */
export class TauriBackend implements Backend {
  async call<K extends CommandName>(name: K, args: CommandArgs<K>): Promise<CommandResult<K>> {
    try {
      return await invoke<CommandResult<K>>('call', { name, args });
    } catch (e) {
      throw toApiFailure(e);
    }
  }

  onEvent(handler: (event: AppEvent) => void): () => void {
    let unlisten: (() => void) | null = null;
    let cancelled = false;
    listen<AppEvent>('revlens-event', (e) => handler(e.payload)).then(
      (fn) => {
        if (cancelled) fn();
        else unlisten = fn;
      },
      () => {
        // no event channel: progress simply does not show
      },
    );
    return () => {
      cancelled = true;
      unlisten?.();
    };
  }

  async uploadFile(file: File): Promise<StagedFile> {
    try {
      return await invoke<StagedFile>('stage_upload', new Uint8Array(await file.arrayBuffer()), {
        headers: { 'x-file-name': encodeURIComponent(file.name) },
      });
    } catch (e) {
      throw toApiFailure(e);
    }
  }

  async pickFile(): Promise<StagedFile | null> {
    const path = await open({
      multiple: false,
      directory: false,
      filters: [{ name: 'CSV or Excel', extensions: ['csv', 'tsv', 'txt', 'xlsx', 'xls', 'xlsm', 'ods'] }],
    });
    if (typeof path !== 'string') return null;
    return this.call('stage_path', { path });
  }

  /** The shell opens the page it saw in the job's event: the window names only the job. */
  async openSignInPage(job: string, _url: string): Promise<void> {
    try {
      await invoke('open_sign_in_page', { job });
    } catch (e) {
      throw toApiFailure(e);
    }
  }

  async saveExport(file: ExportFile): Promise<void> {
    const path = await save({ defaultPath: file.file_name });
    if (!path) return;
    try {
      await invoke('write_export', { path, file });
    } catch (e) {
      throw toApiFailure(e);
    }
  }
}
