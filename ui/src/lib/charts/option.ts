// ChartSpec (from the engine) → ECharts option. Layout and formatting only.
import type { EChartsCoreOption } from 'echarts/core';
import type { ChartSpec } from '../contract';
import { formatValue } from '../format';

export interface ChartClick {
  /** The x label (a month for line and bar charts, an offset for heatmaps). */
  x: string;
  /** The series key, or for a heatmap the row (y) label. */
  series: string | null;
}

export interface ThemeColors {
  text: string;
  muted: string;
  grid: string;
  palette: string[];
}

export const lightColors: ThemeColors = {
  text: '#1c2430',
  muted: '#5b6675',
  grid: '#e3e7ee',
  palette: ['#2f6fed', '#1a9e75', '#8a63d2', '#e0962b', '#d64545', '#3fa7c4', '#7c8a9a'],
};

export const darkColors: ThemeColors = {
  text: '#e6eaf0',
  muted: '#9aa5b4',
  grid: '#2c3542',
  palette: ['#5b8ff9', '#3cc39a', '#a98be6', '#f0b04e', '#f06b6b', '#5cc2de', '#9aa7b6'],
};

/** Colours with a meaning for the movement series, so churn is red wherever it shows. */
const SERIES_COLORS: Record<string, number> = { new: 0, reactivation: 5, expansion: 1, contraction: 3, churn: 4 };

export function toOption(spec: ChartSpec, colors: ThemeColors = lightColors): EChartsCoreOption {
  const fmt = (v: unknown) => (typeof v === 'number' ? formatValue(v, spec.unit) : '—');
  const axisFmt = (v: number) => formatValue(v, spec.unit, true);
  const textStyle = { color: colors.text, fontFamily: 'inherit' };
  const base = {
    backgroundColor: 'transparent',
    animationDuration: 300,
    textStyle,
    color: colors.palette,
  };

  if (spec.kind === 'heatmap') {
    const data: [number, number, number][] = [];
    let max = 0;
    spec.series.forEach((s, y) =>
      s.values.forEach((v, x) => {
        if (v === null) return;
        data.push([x, y, v]);
        if (v > max) max = v;
      }),
    );
    return {
      ...base,
      tooltip: {
        trigger: 'item',
        formatter: (p: { value: [number, number, number] }) =>
          `${spec.y_labels[p.value[1]] ?? ''} · ${spec.x_labels[p.value[0]] ?? ''}: ${fmt(p.value[2])}`,
      },
      grid: { left: 8, right: 16, top: 8, bottom: 64, containLabel: true },
      xAxis: { type: 'category', data: spec.x_labels, splitArea: { show: true }, axisLabel: { color: colors.muted } },
      yAxis: { type: 'category', data: spec.y_labels, inverse: true, splitArea: { show: true }, axisLabel: { color: colors.muted } },
      visualMap: {
        type: 'continuous',
        min: 0,
        max: Math.max(1, max),
        calculable: true,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        textStyle: { color: colors.muted },
        formatter: (v: number) => axisFmt(v),
        inRange: { color: colors === darkColors ? ['#1d2a3d', '#2f6fed', '#7fb0ff'] : ['#eef3fd', '#8fb2f5', '#2f6fed'] },
      },
      series: [
        {
          type: 'heatmap',
          id: spec.id,
          name: spec.title,
          data,
          label: { show: true, formatter: (p: { value: [number, number, number] }) => axisFmt(p.value[2]), fontSize: 11 },
          emphasis: { itemStyle: { borderColor: colors.text, borderWidth: 1 } },
        },
      ],
    };
  }

  const stacked = spec.kind === 'stacked_bar';
  return {
    ...base,
    tooltip: { trigger: 'axis', valueFormatter: fmt, axisPointer: { type: stacked ? 'shadow' : 'line' } },
    legend: spec.series.length > 1 ? { type: 'scroll', top: 0, textStyle: { color: colors.muted }, pageTextStyle: { color: colors.muted } } : undefined,
    grid: { left: 8, right: 16, top: spec.series.length > 1 ? 36 : 12, bottom: 8, containLabel: true },
    xAxis: {
      type: 'category',
      data: spec.x_labels,
      boundaryGap: stacked,
      axisLabel: { color: colors.muted },
      axisLine: { lineStyle: { color: colors.grid } },
    },
    yAxis: {
      type: 'value',
      // Bars grow from zero; a line's axis fits its values (as in the PNG and SVG exports),
      // so projections a few percent apart stay apart.
      scale: !stacked,
      axisLabel: { color: colors.muted, formatter: axisFmt },
      splitLine: { lineStyle: { color: colors.grid } },
    },
    series: spec.series.map((s) => {
      const paletteIndex = SERIES_COLORS[s.key];
      const color = stacked && paletteIndex !== undefined ? colors.palette[paletteIndex] : undefined;
      return stacked
        ? { type: 'bar', id: s.key, name: s.name, stack: 'total', data: s.values, emphasis: { focus: 'series' }, ...(color ? { itemStyle: { color } } : {}) }
        : { type: 'line', id: s.key, name: s.name, data: s.values, showSymbol: true, symbolSize: 6, connectNulls: false, emphasis: { focus: 'series' } };
    }),
  };
}

/** What was clicked, from ECharts' click parameters. */
export function clickTarget(
  spec: ChartSpec,
  params: { name?: string; seriesId?: string; dataIndex?: number; value?: unknown },
): ChartClick | null {
  if (spec.kind === 'heatmap') {
    const v = params.value;
    if (!Array.isArray(v)) return null;
    const x = spec.x_labels[v[0] as number];
    const y = spec.y_labels[v[1] as number];
    return x === undefined ? null : { x, series: y ?? null };
  }
  const x = params.name || (params.dataIndex !== undefined ? spec.x_labels[params.dataIndex] : undefined);
  if (!x) return null;
  return { x, series: params.seriesId ?? null };
}
