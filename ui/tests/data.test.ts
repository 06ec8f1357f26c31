import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { ApiFailure } from '../src/lib/backend/backend';
import { demoBackend } from '../src/lib/backend/fixtures';
import type { ImportResult } from '../src/lib/contract';
import Data from '../src/lib/pages/Data.svelte';
import { appWith, renderPage } from './helpers';

async function stageAndMap() {
  const input = await screen.findByTestId('file-input');
  await fireEvent.change(input, { target: { files: [new File(['client;amount\nacme;100\n'], 'subs.csv', { type: 'text/csv' })] } });
  const select = await screen.findByTestId('mapping-customer_id');
  expect(screen.getByTestId('import-button')).toBeDisabled(); // customer_id is required and not mapped yet
  await fireEvent.change(select, { target: { value: 'client' } });
  expect(screen.getByTestId('import-button')).toBeEnabled();
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const summary: ImportResult = { dataset_id: 'd', version_id: 'v', name: 'Subs', kind: 'subscriptions', version: 2, rows: 41, skipped: 2, warnings: [] };

describe('Data page', () => {
  it('uploads a file, previews it and maps a renamed column by hand', async () => {
    const backend = demoBackend();
    renderPage(Data, appWith(backend));
    await stageAndMap();
    expect(backend.uploads[0]?.name).toBe('subs.csv');
    expect(backend.callsOf('preview_file')[0]).toMatchObject({ workspace: 'ws-demo', path: '/staged/subs.csv', kind: 'subscriptions', sheet: null, mapping: null });
    expect(screen.getByTestId('preview')).toHaveTextContent("CSV, UTF-8, ';'");
    expect(screen.getByTestId('mapping-amount')).toHaveValue('amount');
    expect(screen.getByTestId('mapping-table')).toHaveTextContent('Amount per interval Found under: price, mrr');
    expect(screen.getByTestId('mapping-plan')).toHaveValue('');
    expect(within(screen.getByTestId('mapping-plan')).getByText('— not mapped —')).toBeInTheDocument();
  });

  it('shows invalid rows as a table with the total, and imports the valid rows on request', async () => {
    const backend = demoBackend();
    backend.on('import_file', (args) => {
      if (!args.skip_invalid) {
        throw new ApiFailure({
          code: 'invalid_rows',
          message: '/tmp/uploads/x/subs.csv: 2 invalid row(s), 3 problem(s); nothing was imported',
          details: {
            rows: 2,
            total: 3,
            errors: [
              { line: 4, column: 'amount', value: 'abc', expected: 'a number' },
              { line: 9, column: 'start_date', value: '31/02/2025', expected: 'a date (YYYY-MM-DD)' },
            ],
          },
        });
      }
      return summary;
    });
    const app = appWith(backend);
    renderPage(Data, app);
    await stageAndMap();
    await fireEvent.input(screen.getByTestId('dataset-name'), { target: { value: 'Subs' } });
    await fireEvent.click(screen.getByTestId('import-button'));

    const errors = await screen.findByTestId('import-errors');
    expect(errors).toHaveTextContent('2 invalid rows (3 problems) — nothing was imported');
    // The backend's message names the staged copy, which means nothing to the user.
    expect(errors).not.toHaveTextContent('/tmp/uploads');
    const rows = within(errors).getAllByRole('row');
    expect(rows).toHaveLength(3); // header + 2 problems
    expect(rows[1]).toHaveTextContent('4amountabca number');
    expect(errors).toHaveTextContent('Showing the first 2 of 3 problems');
    const first = backend.callsOf('import_file')[0]!;
    expect(first).toMatchObject({ skip_invalid: false, name: 'Subs', mapping: { customer_id: 'client', amount: 'amount' } });

    await fireEvent.click(screen.getByTestId('import-valid-only'));
    expect(await screen.findByTestId('import-done')).toHaveTextContent('Imported 41 rows into “Subs” (version 2), skipped 2 invalid rows');
    const second = backend.callsOf('import_file')[1]!;
    expect(second).toMatchObject({ skip_invalid: true, mapping: first.mapping, path: first.path });
    expect(second.job).not.toBe(first.job);
    expect(screen.queryByTestId('import-errors')).toBeNull();
    expect(app.problems).toEqual([]);
  });

  it('shows progress for its job and cancels it with cancel_job', async () => {
    const backend = demoBackend();
    const pending = deferred<ImportResult>();
    backend.on('import_file', () => pending.promise);
    renderPage(Data, appWith(backend));
    await stageAndMap();
    await fireEvent.click(screen.getByTestId('import-button'));
    const progress = await screen.findByTestId('import-progress');
    const job = backend.callsOf('import_file')[0]!.job;
    expect(job).toMatch(/^[0-9a-f-]{36}$/);

    backend.emit({ job: 'someone-else', kind: 'progress', phase: 'other', done: 1, total: 2 });
    backend.emit({ job, kind: 'progress', phase: 'validating', done: 500, total: 1000 });
    await waitFor(() => expect(progress).toHaveTextContent('validating · 500 / 1,000'));
    expect(within(progress).getByRole('progressbar')).toHaveAttribute('value', '50');

    await fireEvent.click(screen.getByTestId('import-cancel'));
    expect(backend.callsOf('cancel_job')).toEqual([{ job }]);
    pending.reject(new ApiFailure({ code: 'cancelled', message: 'The import was cancelled.' }));
    expect(await screen.findByTestId('import-notice')).toHaveTextContent('Import cancelled');
    expect(screen.queryByTestId('import-progress')).toBeNull();
  });

  it('lists datasets and deletes a version after confirmation', async () => {
    const backend = demoBackend();
    renderPage(Data, appWith(backend));
    const list = await screen.findByTestId('datasets');
    expect(list).toHaveTextContent('subscriptions.csv');
    await fireEvent.click(within(list).getByRole('button', { name: 'Delete version 1 of Subscriptions' }));
    expect(backend.callsOf('delete_version')).toHaveLength(0);
    await fireEvent.click(await screen.findByTestId('confirm-ok'));
    await waitFor(() => expect(backend.callsOf('delete_version')).toEqual([{ workspace: 'ws-demo', version: 'v-1' }]));
  });
});
