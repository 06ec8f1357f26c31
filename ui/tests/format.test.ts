import { describe, expect, it } from 'vitest';
import { asSentence, changeTone, formatCell, formatChange, formatCount, formatCountOf, formatMoney, formatPercent, formatRatio, formatValue } from '../src/lib/format';

describe('formatMoney', () => {
  it('formats with the currency symbol and cents below 10,000', () => {
    expect(formatMoney(1234.5, 'EUR')).toBe('€1,234.50');
    expect(formatMoney(1234.5, 'USD')).toBe('$1,234.50');
  });
  it('drops cents for large amounts and compacts on axes', () => {
    expect(formatMoney(168300, 'EUR')).toBe('€168,300');
    expect(formatMoney(168300, 'USD', true)).toBe('$168.3K');
  });
  it('formats without a currency, and with an unknown code', () => {
    expect(formatMoney(12.3, null)).toBe('12.30');
    expect(formatMoney(12.3, 'XX')).toBe('12.30 XX');
  });
  it('shows a dash for missing values', () => {
    expect(formatMoney(null, 'EUR')).toBe('—');
    expect(formatMoney(Number.NaN, 'EUR')).toBe('—');
  });
  it('keeps negative amounts negative', () => {
    expect(formatMoney(-300, 'EUR')).toBe('-€300.00');
    // A contraction or churn of nothing is drawn below the axis as −0: it reads as zero.
    expect([formatMoney(-0, null), formatPercent(-0), formatCount(-0), formatRatio(-0)]).toEqual(['0.00', '0.0%', '0', '0.00']);
  });
});

describe('formatPercent / count / ratio', () => {
  it('treats percent values as fractions', () => {
    expect(formatPercent(0.1234)).toBe('12.3%');
    expect(formatPercent(1.04)).toBe('104.0%');
    expect(formatPercent(0.5, 0)).toBe('50%');
    expect(formatPercent(null)).toBe('—');
  });
  it('formats counts and ratios', () => {
    expect(formatCount(1234)).toBe('1,234');
    expect([formatCountOf(1, 'row'), formatCountOf(0, 'row'), formatCountOf(1234, 'problem')]).toEqual(['1 row', '0 rows', '1,234 problems']);
    expect(formatRatio(3.2)).toBe('3.20');
  });
  it('dispatches on the unit', () => {
    expect(formatValue(0.025, { type: 'percent' })).toBe('2.5%');
    expect(formatValue(118, { type: 'count' })).toBe('118');
    expect(formatValue(14025, { type: 'money', currency: 'EUR' })).toBe('€14,025');
    expect(formatValue(2.5, { type: 'ratio' })).toBe('2.50');
  });
});

describe('formatChange', () => {
  it('signs the change and gives its direction', () => {
    expect(formatChange(0.0706)).toEqual({ text: '+7.1%', direction: 'up' });
    expect(formatChange(-0.1935)).toEqual({ text: '−19.4%', direction: 'down' });
    expect(formatChange(0.00001)).toEqual({ text: '0.0%', direction: 'flat' });
    expect(formatChange(null)).toEqual({ text: '—', direction: 'none' });
  });
  it('colours a falling churn as good news', () => {
    expect(changeTone('mrr', 'up')).toBe('good');
    expect(changeTone('mrr', 'down')).toBe('bad');
    expect(changeTone('logo_churn', 'down')).toBe('good');
    expect(changeTone('logo_churn', 'up')).toBe('bad');
    expect(changeTone('mrr', 'flat')).toBe('neutral');
  });
});

describe('formatCell', () => {
  it('formats cells by type and column unit', () => {
    expect(formatCell(null, null)).toBe('—');
    expect(formatCell(true, null)).toBe('yes');
    expect(formatCell(false, null)).toBe('no');
    expect(formatCell('acme', null)).toBe('acme');
    expect(formatCell(1200, { type: 'money', currency: 'EUR' })).toBe('€1,200.00');
    expect(formatCell(42, null)).toBe('42');
  });

  it('makes a backend message a sentence, leaving names as they are', () => {
    expect(asSentence("a scenario named 'Base' already exists")).toBe("A scenario named 'Base' already exists");
    expect(asSentence('customer_id is empty')).toBe('customer_id is empty');
    expect(asSentence('data.csv: the file is empty')).toBe('data.csv: the file is empty');
    expect(asSentence('/tmp/x.csv: 2 invalid row(s)')).toBe('/tmp/x.csv: 2 invalid row(s)');
    expect(asSentence('')).toBe('');
  });
});
