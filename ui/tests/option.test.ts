import { describe, expect, it } from 'vitest';
import { clickTarget, toOption } from '../src/lib/charts/option';
import { cohortFixture, revenueFixture } from '../src/lib/backend/fixtures';
import type { ChartSpec } from '../src/lib/contract';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const [mrr, movements] = revenueFixture().charts as [ChartSpec, ChartSpec, ChartSpec];

describe('toOption', () => {
  it('maps a line chart: categories, one line series per spec series, keyed by series key', () => {
    const o = toOption(mrr) as Any;
    expect(o.xAxis.data).toEqual(mrr.x_labels);
    expect(o.series).toHaveLength(1);
    expect(o.series[0]).toMatchObject({ type: 'line', id: 'mrr', name: 'MRR', data: mrr.series[0]!.values });
    expect(o.legend).toBeUndefined();
    expect(o.yAxis.axisLabel.formatter(15000)).toBe('€15K');
    expect(o.yAxis.scale).toBe(true);
  });

  it('maps stacked bars onto one stack, negatives kept as they are', () => {
    const o = toOption(movements) as Any;
    expect(o.series.map((s: Any) => s.type)).toEqual(['bar', 'bar', 'bar', 'bar', 'bar']);
    expect(new Set(o.series.map((s: Any) => s.stack))).toEqual(new Set(['total']));
    const churn = o.series.find((s: Any) => s.id === 'churn');
    expect(churn.data).toEqual([null, -100, -150, -200, -200, -300]);
    expect(o.legend).toBeDefined();
    expect(o.tooltip.valueFormatter(-300)).toBe('-€300.00');
    expect(o.yAxis.scale).toBe(false);
  });

  it('maps a heatmap to [x, y, value] cells with a visualMap, skipping empty cells', () => {
    const spec = cohortFixture();
    const o = toOption(spec) as Any;
    expect(o.series[0].type).toBe('heatmap');
    expect(o.yAxis.data).toEqual(spec.y_labels);
    expect(o.xAxis.data).toEqual(spec.x_labels);
    expect(o.series[0].data).toContainEqual([0, 0, 1]);
    expect(o.series[0].data).toContainEqual([1, 2, 0.9]);
    expect(o.series[0].data).toHaveLength(4 + 3 + 2 + 1);
    expect(o.visualMap).toMatchObject({ min: 0, max: 1 });
    expect(o.series[0].label.formatter({ value: [0, 0, 0.82] })).toBe('82%');
  });
});

describe('clickTarget', () => {
  it('gives the x label and the series key of a clicked bar', () => {
    expect(clickTarget(movements, { name: '2025-03', seriesId: 'churn', dataIndex: 2 })).toEqual({ x: '2025-03', series: 'churn' });
  });
  it('falls back to the data index', () => {
    expect(clickTarget(mrr, { dataIndex: 1, seriesId: 'mrr' })).toEqual({ x: '2025-02', series: 'mrr' });
  });
  it('gives offset and cohort for a heatmap cell', () => {
    expect(clickTarget(cohortFixture(), { value: [2, 1, 0.82] })).toEqual({ x: '2', series: '2025-02' });
  });
});
