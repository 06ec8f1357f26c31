// Formatting only: every number here comes from the backend as is.
import type { CellValue, ValueUnit } from './contract';

const DASH = '—';
const LOCALE = 'en-US';

const numberFormats = new Map<string, (value: number) => string>();
/** A cached number format. Zero is shown unsigned: a contraction of −0 is "0.00", not "-0.00". */
function nf(key: string, make: () => Intl.NumberFormat): (value: number) => string {
  let format = numberFormats.get(key);
  if (!format) {
    const f = make();
    format = (value) => f.format(value === 0 ? 0 : value);
    numberFormats.set(key, format);
  }
  return format;
}

/** 12345.6 + "EUR" → "€12,345.60"; no currency → "12,345.60"; whole amounts ≥ 10,000 without cents. */
export function formatMoney(value: number | null | undefined, currency: string | null = null, compact = false): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  const digits = compact || Math.abs(value) >= 10_000 ? 0 : 2;
  const key = `money:${currency ?? ''}:${digits}:${compact}`;
  try {
    return nf(key, () =>
      new Intl.NumberFormat(LOCALE, {
        ...(currency ? { style: 'currency', currency } : {}),
        minimumFractionDigits: digits,
        maximumFractionDigits: compact ? 1 : digits,
        ...(compact ? { notation: 'compact' } : {}),
      }),
    )(value);
  } catch {
    // an unknown currency code: the number, then the code as written
    return `${formatMoney(value, null, compact)} ${currency}`;
  }
}

/** A fraction as a percentage: 0.1234 → "12.3%". */
export function formatPercent(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return DASH;
  return nf(`pct:${digits}`, () =>
    new Intl.NumberFormat(LOCALE, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }),
  )(fraction);
}

export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return nf('count', () => new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 }))(value);
}

/**
 * A backend message (lower-case, to be chained) as a sentence on its own: "a scenario named…"
 * → "A scenario named…". A first word that is a name (customer_id, data.csv, /path) stays.
 */
export function asSentence(message: string): string {
  const first = message.split(/\s/, 1)[0] ?? '';
  return /^[a-z]+$/.test(first) ? message.charAt(0).toUpperCase() + message.slice(1) : message;
}

/** "1 row", "1,234 rows": a count and its noun (made plural with an s). */
export function formatCountOf(value: number, noun: string): string {
  return `${formatCount(value)} ${noun}${value === 1 ? '' : 's'}`;
}

export function formatRatio(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return nf('ratio', () => new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 }))(value);
}

export function formatValue(value: number | null | undefined, unit: ValueUnit | null, compact = false): string {
  if (!unit) return value === null || value === undefined ? DASH : String(value);
  switch (unit.type) {
    case 'money':
      return formatMoney(value, unit.currency, compact);
    case 'percent':
      return formatPercent(value, compact ? 0 : 1);
    case 'count':
      return formatCount(value);
    case 'ratio':
      return formatRatio(value);
  }
}

export type Direction = 'up' | 'down' | 'flat' | 'none';

/** A change vs the previous month (a fraction) → "+4.2%" / "−1.0%" / "0.0%" and its direction. */
export function formatChange(change: number | null | undefined): { text: string; direction: Direction } {
  if (change === null || change === undefined || !Number.isFinite(change)) return { text: DASH, direction: 'none' };
  const text = formatPercent(Math.abs(change), 1);
  if (text === formatPercent(0, 1)) return { text, direction: 'flat' };
  return change > 0 ? { text: `+${text}`, direction: 'up' } : { text: `−${text}`, direction: 'down' };
}

/** Tiles where a rise is bad news; their change is coloured the other way round. */
const LOWER_IS_BETTER = new Set(['logo_churn', 'revenue_churn', 'gross_revenue_churn', 'churn']);

export function changeTone(tileId: string, direction: Direction): 'good' | 'bad' | 'neutral' {
  if (direction === 'up') return LOWER_IS_BETTER.has(tileId) ? 'bad' : 'good';
  if (direction === 'down') return LOWER_IS_BETTER.has(tileId) ? 'good' : 'bad';
  return 'neutral';
}

export function formatCell(value: CellValue, unit: ValueUnit | null): string {
  if (value === null) return DASH;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return unit ? formatValue(value, unit) : formatCount(value) === DASH ? DASH : String(value);
  return value;
}

export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(LOCALE, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A past instant relative to `now`: "just now", "5 min ago", "3 h ago", "4 days ago"; null → "never". */
export function formatAgo(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return 'never';
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return iso;
  const minutes = Math.floor(Math.max(0, now - at) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return `${days} ${days === 1 ? 'day' : 'days'} ago`;
}
