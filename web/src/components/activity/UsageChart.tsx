// Spend, tokens or requests per UTC bucket, stacked by model, provider or key: loaded with the charts library
// only when the Activity page draws it.
import '@mantine/charts/styles.css';

import { BarChart } from '@mantine/charts';
import { Box, ColorSwatch, Group, Text } from '@mantine/core';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';

import type { ActivityStats, Bucket } from '../../api/activity';
import { formatCompact, formatDayShort, formatHourUtc, formatNumber } from '../../lib/format';
import { useLocale } from '../rankings/metric';
import { chartRows, chartSeries, type ChartSeries } from './chart';
import type { Metric } from './filters';

export interface UsageChartProps {
  stats: ActivityStats;
  metric: Metric;
  grouped: boolean;
  buckets: string[];
  bucket: Bucket;
  /** A group's display name (a model's name, a key's name...). */
  groupLabel: (group: ChartSeries['group']) => string;
  /** The chart's accessible name. */
  label: string;
}

export default function UsageChart({ stats, metric, grouped, buckets, bucket, groupLabel, label }: UsageChartProps) {
  const { t } = useTranslation();
  const locale = useLocale();
  const series = useMemo(() => (grouped ? chartSeries(stats.groups ?? [], metric) : []), [grouped, stats, metric]);
  const rows = useMemo(
    () =>
      chartRows(stats, series, metric, buckets).map((row) => ({
        ...row,
        label: bucket === 'hour' ? formatHourUtc(row.time, locale) : formatDayShort(row.time.slice(0, 10), locale),
      })),
    [stats, series, metric, buckets, bucket, locale],
  );
  const drawn = series.length > 0 ? series : [{ key: 'total', group: null, color: 'indigo.6' }];
  const format = (value: number) =>
    metric === 'spend'
      ? formatNumber(value, locale, { style: 'currency', currency: 'USD', maximumSignificantDigits: 3 })
      : formatCompact(value, locale);
  const name = (item: ChartSeries) => (item.key === 'total' ? t(`activity.chart.metric.${metric}`) : groupLabel(item.group));
  return (
    <Box>
      <Box role="group" aria-label={label} data-testid="usage-chart">
        <BarChart
          h={280}
          data={rows}
          dataKey="label"
          type="stacked"
          series={drawn.map((item) => ({ name: item.key, label: name(item), color: item.color }))}
          valueFormatter={format}
          tickLine="none"
          gridAxis="y"
          maxBarWidth={48}
          yAxisProps={{ width: 64 }}
          xAxisProps={{ minTickGap: 16 }}
        />
      </Box>
      {series.length > 0 && (
        <Group component="ul" gap="xs" mt="sm" p={0} style={{ listStyle: 'none' }} aria-label={t('activity.chart.legend')}>
          {series.map((item) => (
            <Group component="li" key={item.key} gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
              <ColorSwatch color={`var(--mantine-color-${item.color.replace('.', '-')})`} size={12} withShadow={false} aria-hidden="true" />
              <Text size="xs" style={{ overflowWrap: 'anywhere' }}>
                {name(item)}
              </Text>
            </Group>
          ))}
        </Group>
      )}
    </Box>
  );
}
