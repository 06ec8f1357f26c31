import type { AppEvent, CommandArgs, CommandName, CommandResult, ExportFile, StagedFile } from '../contract';
import { ApiFailure, base64ToBytes, toApiFailure, type Backend } from './backend';

/** Talks to `revlens serve` on the same origin: POST /api/call/{name}, SSE /api/events. */
export class HttpBackend implements Backend {
  private source: EventSource | null = null;
  private readonly handlers = new Set<(event: AppEvent) => void>();

  constructor(
    private readonly base = '',
    private readonly fetcher: typeof fetch = (...a) => fetch(...a),
  ) {}

  async call<K extends CommandName>(name: K, args: CommandArgs<K>): Promise<CommandResult<K>> {
    return this.request<CommandResult<K>>(`/api/call/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-revlens': '1' },
      body: JSON.stringify(args),
    });
  }

  onEvent(handler: (event: AppEvent) => void): () => void {
    this.handlers.add(handler);
    if (!this.source && typeof EventSource !== 'undefined') {
      this.source = new EventSource(`${this.base}/api/events`);
      this.source.onmessage = (message: MessageEvent<string>) => {
        let event: AppEvent;
        try {
          event = JSON.parse(message.data) as AppEvent;
        } catch {
          return; // a keep-alive or a malformed line: nothing to tell the screens
        }
        for (const h of [...this.handlers]) h(event);
      };
    }
    return () => {
      this.handlers.delete(handler);
      if (this.handlers.size === 0 && this.source) {
        this.source.close();
        this.source = null;
      }
    };
  }

  async uploadFile(file: File): Promise<StagedFile> {
    return this.request<StagedFile>(`/api/upload?name=${encodeURIComponent(file.name)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-revlens': '1' },
      body: file,
    });
  }

  pickFile(): Promise<StagedFile | null> {
    return new Promise((resolve, reject) => {
      const input = document.createElement('input');
      input.type = 'file';
      input.accept = '.csv,.tsv,.txt,.xlsx,.xls,.xlsm,.ods';
      input.style.display = 'none';
      const done = () => input.remove();
      input.addEventListener('change', () => {
        const file = input.files?.[0];
        done();
        if (!file) return resolve(null);
        this.uploadFile(file).then(resolve, reject);
      });
      input.addEventListener('cancel', () => {
        done();
        resolve(null);
      });
      document.body.append(input);
      input.click();
    });
  }

  async saveExport(file: ExportFile): Promise<void> {
    const blob = new Blob([base64ToBytes(file.base64)], { type: file.mime });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = file.file_name;
    a.style.display = 'none';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  async openSignInPage(_job: string, url: string): Promise<void> {
    // Only the sync server's pages; `noopener` keeps the sign-in tab from reaching this one. A
    // blocked pop-up goes unnoticed here (noopener returns null either way): the page shows the link.
    if (!/^https?:\/\//i.test(url)) throw new ApiFailure({ code: 'invalid', message: `Not a sign-in page: ${url}` });
    window.open(url, '_blank', 'noopener,noreferrer');
  }

  private async request<T>(path: string, init: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await this.fetcher(`${this.base}${path}`, init);
    } catch (e) {
      throw toApiFailure(e, 'network');
    }
    const text = await response.text();
    if (response.ok) {
      try {
        return (text === '' ? null : JSON.parse(text)) as T;
      } catch {
        throw new ApiFailure({ code: 'bad_response', message: `The server sent a response that is not JSON (${path}).` });
      }
    }
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: fall through to a message built from the status
    }
    const failure = toApiFailure(body, `http_${response.status}`);
    if (failure.code === `http_${response.status}` && failure.message.startsWith('Something went wrong')) {
      throw new ApiFailure({
        code: `http_${response.status}`,
        message: `The server answered ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 300)}` : ''}`,
      });
    }
    throw failure;
  }
}
