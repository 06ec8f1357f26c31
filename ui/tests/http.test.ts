import { describe, expect, it, vi } from 'vitest';
import { ApiFailure } from '../src/lib/backend/backend';
import { HttpBackend } from '../src/lib/backend/http';

function fakeFetch(status: number, body: string, statusText = '') {
  return vi.fn<typeof fetch>(async () => new Response(body, { status, statusText }));
}

describe('HttpBackend', () => {
  it('POSTs the args as JSON with the x-revlens header and returns the result', async () => {
    const fetcher = fakeFetch(200, JSON.stringify([{ id: 'w1', name: 'Demo', created_at: 'x', datasets: 0 }]));
    const backend = new HttpBackend('', fetcher);
    const result = await backend.call('list_workspaces', {});
    expect(result[0]?.name).toBe('Demo');
    const [url, init] = fetcher.mock.calls[0]!;
    expect(url).toBe('/api/call/list_workspaces');
    expect(init?.method).toBe('POST');
    expect((init?.headers as Record<string, string>)['x-revlens']).toBe('1');
    expect(JSON.parse(init?.body as string)).toEqual({});
  });

  it('sends snake_case args as written', async () => {
    const fetcher = fakeFetch(200, 'null');
    await new HttpBackend('', fetcher).call('delete_version', { workspace: 'w', version: 'v' });
    expect(JSON.parse(fetcher.mock.calls[0]![1]?.body as string)).toEqual({ workspace: 'w', version: 'v' });
  });

  it('turns an error body into an ApiFailure with code, message and details', async () => {
    const body = { error: { code: 'invalid_rows', message: '2 rows are invalid', details: { total: 2, errors: [] } } };
    const backend = new HttpBackend('', fakeFetch(422, JSON.stringify(body)));
    const error = await backend.call('import_file', {} as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiFailure);
    expect(error).toMatchObject({ code: 'invalid_rows', message: '2 rows are invalid', details: { total: 2, errors: [] } });
  });

  it('opens a sign-in page in a new tab without an opener, and only http(s) pages', async () => {
    const open = vi.spyOn(window, 'open').mockImplementation(() => null);
    const backend = new HttpBackend('', fakeFetch(200, 'null'));
    await backend.openSignInPage('j', 'https://login.example.com/authorize?state=s');
    expect(open).toHaveBeenCalledWith('https://login.example.com/authorize?state=s', '_blank', 'noopener,noreferrer');
    await expect(backend.openSignInPage('j', 'javascript:alert(1)')).rejects.toMatchObject({ code: 'invalid' });
    expect(open).toHaveBeenCalledTimes(1);
    open.mockRestore();
  });

  it('explains an error status without a JSON body', async () => {
    const backend = new HttpBackend('', fakeFetch(502, 'upstream down', 'Bad Gateway'));
    await expect(backend.call('app_info', {})).rejects.toMatchObject({ code: 'http_502', message: expect.stringContaining('502 Bad Gateway: upstream down') });
  });

  it('reports a network failure in words', async () => {
    const fetcher = vi.fn<typeof fetch>(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(new HttpBackend('', fetcher).call('app_info', {})).rejects.toMatchObject({ code: 'network', message: 'Failed to fetch' });
  });

  it('uploads the raw bytes with the file name in the query', async () => {
    const staged = { path: '/tmp/staged/a b.csv', file_name: 'a b.csv', size: 3 };
    const fetcher = fakeFetch(200, JSON.stringify(staged));
    const file = new File(['a,b'], 'a b.csv', { type: 'text/csv' });
    expect(await new HttpBackend('', fetcher).uploadFile(file)).toEqual(staged);
    const [url, init] = fetcher.mock.calls[0]!;
    expect(url).toBe('/api/upload?name=a%20b.csv');
    expect(init?.body).toBe(file);
    expect((init?.headers as Record<string, string>)['x-revlens']).toBe('1');
  });

  it('delivers server-sent events to subscribers and closes when the last one leaves', () => {
    const sources: { url: string; onmessage: ((m: MessageEvent) => void) | null; closed: boolean; close(): void }[] = [];
    class FakeEventSource {
      onmessage: ((m: MessageEvent) => void) | null = null;
      closed = false;
      constructor(public url: string) {
        sources.push(this);
      }
      close() {
        this.closed = true;
      }
    }
    vi.stubGlobal('EventSource', FakeEventSource);
    try {
      const backend = new HttpBackend('', fakeFetch(200, 'null'));
      const seen: unknown[] = [];
      const off = backend.onEvent((e) => seen.push(e));
      expect(sources[0]?.url).toBe('/api/events');
      sources[0]!.onmessage!(new MessageEvent('message', { data: JSON.stringify({ job: 'j', kind: 'finished' }) }));
      sources[0]!.onmessage!(new MessageEvent('message', { data: 'not json' }));
      expect(seen).toEqual([{ job: 'j', kind: 'finished' }]);
      off();
      expect(sources[0]!.closed).toBe(true);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('saves an export through a download link', async () => {
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    URL.createObjectURL = vi.fn(() => 'blob:x');
    URL.revokeObjectURL = vi.fn();
    await new HttpBackend().saveExport({ file_name: 'mrr.png', mime: 'image/png', base64: btoa('PNG') });
    expect(click).toHaveBeenCalledOnce();
    const a = click.mock.contexts[0] as HTMLAnchorElement;
    expect(a.download).toBe('mrr.png');
    click.mockRestore();
  });
});
