// ECharts is most of the UI's code: it loads on first use, apart from the rest, so a page and
// its numbers paint before the charts' code has arrived.
import type { init } from './echarts-setup';

export type { ECharts } from './echarts-setup';
export type ChartInit = typeof init;

let loading: Promise<ChartInit> | null = null;

export function loadECharts(): Promise<ChartInit> {
  return (loading ??= import('./echarts-setup').then((echarts) => echarts.init));
}
