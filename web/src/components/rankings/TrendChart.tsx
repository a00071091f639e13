// The top models' daily figures, stacked: loaded with the charts library only when Rankings draws it.
import '@mantine/charts/styles.css';

import { BarChart } from '@mantine/charts';
import { Box, ColorSwatch, Group, Text } from '@mantine/core';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Rectangle, type BarShapeProps } from 'recharts';

import type { RankBy, RankedModel } from '../../api/rankings';
import { formatDayShort } from '../../lib/format';
import { formatRankAxis, useLocale } from './metric';
import { trendRows, trendSeries } from './trend';

export interface TrendChartProps {
  by: RankBy;
  models: RankedModel[];
  names: ReadonlyMap<string, string>;
  since: string;
  until: string;
  /** The chart's accessible name (what it shows, and that the leaderboard lists the same figures). */
  label: string;
}

/** The day still under way is drawn lighter, with a dashed outline. */
function shape(props: BarShapeProps) {
  const partial = Boolean((props.payload as { partial?: boolean } | undefined)?.partial);
  return (
    <Rectangle
      {...props}
      fillOpacity={partial ? 0.4 : 1}
      stroke={partial ? props.fill : undefined}
      strokeDasharray={partial ? '3 2' : undefined}
      strokeOpacity={partial ? 0.9 : 0}
    />
  );
}

export default function TrendChart({ by, models, names, since, until, label }: TrendChartProps) {
  const { t } = useTranslation();
  const locale = useLocale();
  const series = useMemo(() => trendSeries(models), [models]);
  const rows = useMemo(
    () => trendRows(models, series, since, until).map((row) => ({ ...row, day: formatDayShort(row.date, locale) })),
    [models, series, since, until, locale],
  );
  const partialDay = rows.find((row) => row.partial)?.day;
  const todaySoFar = t('rankings.chart.todaySoFar');
  return (
    <Box>
      <Box role="group" aria-label={label} data-testid="trend-chart">
        <BarChart
          h={300}
          data={rows}
          dataKey="day"
          type="stacked"
          series={series.map((item) => ({ name: item.key, label: names.get(item.model) ?? item.model, color: item.color }))}
          valueFormatter={(value) => formatRankAxis(by, value, locale)}
          barProps={{ shape }}
          maxBarWidth={56}
          tickLine="none"
          gridAxis="y"
          referenceAreas={
            partialDay === undefined
              ? undefined
              : [{ x1: partialDay, x2: partialDay, label: todaySoFar, color: 'gray.5', labelPosition: 'insideTop', fillOpacity: 0.08 }]
          }
          tooltipProps={{
            labelFormatter: (day: unknown) => (day === partialDay ? `${String(day)} (${todaySoFar})` : String(day)),
          }}
          yAxisProps={{ width: 64 }}
        />
      </Box>
      <Group component="ul" gap="xs" mt="sm" p={0} style={{ listStyle: 'none' }} aria-label={t('rankings.chart.legend')}>
        {series.map((item) => (
          <Group component="li" key={item.key} gap={6} wrap="nowrap">
            <ColorSwatch color={`var(--mantine-color-${item.color.replace('.', '-')})`} size={12} withShadow={false} aria-hidden="true" />
            <Text size="xs">{names.get(item.model) ?? item.model}</Text>
          </Group>
        ))}
      </Group>
      {partialDay !== undefined && (
        <Text size="xs" c="dimmed" mt="xs">
          {t('rankings.chart.partialNote')}
        </Text>
      )}
    </Box>
  );
}
