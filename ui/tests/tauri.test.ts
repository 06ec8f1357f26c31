import { beforeEach, describe, expect, it, vi } from 'vitest';

const invoke = vi.fn();
const listen = vi.fn();
const open = vi.fn();
const save = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...a: unknown[]) => invoke(...a) }));
vi.mock('@tauri-apps/api/event', () => ({ listen: (...a: unknown[]) => listen(...a) }));
vi.mock('@tauri-apps/plugin-dialog', () => ({ open: (...a: unknown[]) => open(...a), save: (...a: unknown[]) => save(...a) }));

const { TauriBackend } = await import('../src/lib/backend/tauri');

beforeEach(() => {
  invoke.mockReset();
  listen.mockReset();
  open.mockReset();
  save.mockReset();
});

describe('TauriBackend', () => {
  it('calls every command through invoke("call", { name, args })', async () => {
    invoke.mockResolvedValue({ version: '1', home: '/h', demo_workspace: 'w' });
    expect(await new TauriBackend().call('app_info', {})).toMatchObject({ version: '1' });
    expect(invoke).toHaveBeenCalledWith('call', { name: 'app_info', args: {} });
  });

  it('rejects with the ApiError the shell sent', async () => {
    invoke.mockRejectedValue({ code: 'not_found', message: 'No such workspace' });
    await expect(new TauriBackend().call('list_datasets', { workspace: 'x' })).rejects.toMatchObject({ code: 'not_found', message: 'No such workspace' });
  });

  it('stages an upload as raw bytes with the file name in a header', async () => {
    invoke.mockResolvedValue({ path: '/p', file_name: 'é.csv', size: 3 });
    await new TauriBackend().uploadFile(new File(['a,b'], 'é.csv'));
    const [cmd, body, options] = invoke.mock.calls[0]!;
    expect(cmd).toBe('stage_upload');
    expect(body).toBeInstanceOf(Uint8Array);
    expect((body as Uint8Array).length).toBe(3);
    expect(options).toEqual({ headers: { 'x-file-name': encodeURIComponent('é.csv') } });
  });

  it('picks a file with the dialog and stages its path; null when cancelled', async () => {
    open.mockResolvedValueOnce('/home/me/subs.csv').mockResolvedValueOnce(null);
    invoke.mockResolvedValue({ path: '/home/me/subs.csv', file_name: 'subs.csv', size: 9 });
    const backend = new TauriBackend();
    expect(await backend.pickFile()).toMatchObject({ file_name: 'subs.csv' });
    expect(invoke).toHaveBeenCalledWith('call', { name: 'stage_path', args: { path: '/home/me/subs.csv' } });
    expect(await backend.pickFile()).toBeNull();
  });

  it('saves an export where the user chose', async () => {
    save.mockResolvedValue('/home/me/mrr.png');
    const file = { file_name: 'mrr.png', mime: 'image/png', base64: 'AA==' };
    await new TauriBackend().saveExport(file);
    expect(save).toHaveBeenCalledWith({ defaultPath: 'mrr.png' });
    expect(invoke).toHaveBeenCalledWith('write_export', { path: '/home/me/mrr.png', file });
  });

  it('opens a sign-in page by its job: the shell knows the address, the window only names the job', async () => {
    invoke.mockResolvedValueOnce(null).mockRejectedValueOnce({ code: 'not_found', message: 'No sign-in waits for the browser any more.' });
    const backend = new TauriBackend();
    await backend.openSignInPage('job-1', 'https://login.example.com/authorize');
    expect(invoke).toHaveBeenCalledWith('open_sign_in_page', { job: 'job-1' });
    await expect(backend.openSignInPage('job-1', 'https://x')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('listens on revlens-event and unsubscribes', async () => {
    const unlisten = vi.fn();
    let deliver: (e: { payload: unknown }) => void = () => {};
    listen.mockImplementation(async (_name: string, h: typeof deliver) => {
      deliver = h;
      return unlisten;
    });
    const seen: unknown[] = [];
    const off = new TauriBackend().onEvent((e) => seen.push(e));
    await Promise.resolve();
    expect(listen.mock.calls[0]![0]).toBe('revlens-event');
    deliver({ payload: { job: 'j', kind: 'finished' } });
    expect(seen).toEqual([{ job: 'j', kind: 'finished' }]);
    off();
    expect(unlisten).toHaveBeenCalled();
  });
});
