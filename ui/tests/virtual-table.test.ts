import { fireEvent, render } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import VirtualTable from '../src/lib/components/VirtualTable.svelte';
import type { Column } from '../src/lib/contract';

const columns: Column[] = [
  { key: 'id', label: 'Customer', unit: null },
  { key: 'mrr', label: 'MRR', unit: { type: 'money', currency: 'EUR' } },
];
const getRow = (i: number) => [`c-${i}`, i * 10];

describe('VirtualTable', () => {
  it('renders only the visible rows (plus overscan) of a long table', () => {
    const { container } = render(VirtualTable, { props: { columns, rowCount: 100_000, getRow, rowHeight: 32, height: 320, overscan: 4, testid: 't' } });
    const rows = container.querySelectorAll('.spacer [role="row"]');
    expect(rows.length).toBe(10 + 4);
    expect(rows[0]?.textContent).toContain('c-0');
    expect(rows[0]?.textContent).toContain('€0.00');
    const spacer = container.querySelector('.spacer') as HTMLElement;
    expect(spacer.style.height).toBe(`${100_000 * 32}px`);
  });

  it('renders the rows around the scroll position and asks for that range', async () => {
    const onrange = vi.fn();
    const { container } = render(VirtualTable, { props: { columns, rowCount: 10_000, getRow, rowHeight: 32, height: 320, overscan: 2, onrange } });
    const viewport = container.querySelector('.viewport') as HTMLElement;
    viewport.scrollTop = 5000 * 32;
    await fireEvent.scroll(viewport);
    const indexes = [...container.querySelectorAll('.spacer [role="row"]')].map((r) => Number((r as HTMLElement).dataset.index));
    expect(indexes[0]).toBe(4998);
    expect(indexes.at(-1)).toBe(5011);
    expect(indexes.length).toBe(14);
    expect(onrange).toHaveBeenLastCalledWith(4998, 5012);
  });

  it('shows a placeholder for rows not fetched yet', () => {
    const { getAllByText } = render(VirtualTable, { props: { columns, rowCount: 3, getRow: () => undefined } });
    expect(getAllByText('Loading…')).toHaveLength(3);
  });

  it('gives long text more of the width, and the whole text on hover', () => {
    const wide: Column[] = [
      { key: 'churned', label: 'Churned', unit: null },
      { key: 'reason', label: 'Reason', unit: null },
    ];
    const reason = 'computed: last paid month 2023-08, no MRR since (90 days of grace)';
    const { container } = render(VirtualTable, { props: { columns: wide, rowCount: 2, getRow: () => [true, reason] } });
    const head = container.querySelector('.head [role="row"]') as HTMLElement;
    expect(head.style.gridTemplateColumns).toBe(`minmax(calc(8ch + 1.5rem), 7fr) minmax(calc(21ch + 1.5rem), ${reason.length}fr)`);
    const cell = container.querySelectorAll('.spacer [role="cell"]')[1] as HTMLElement;
    expect(cell.title).toBe(reason);
  });
});
