// Spend per UTC day, stacked by model: loaded with the charts library only when the Credits page draws it.
import '@mantine/charts/styles.css';

import { BarChart } from '@mantine/charts';
import { Box, ColorSwatch, Group, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { formatDayShort, formatUsdNanos } from '../../lib/format';
import { useLocale } from '../rankings/metric';
import { type SpendChartData, spendAxisTick } from './spend';

export default function SpendChart({ data, names, label }: { data: SpendChartData; names: ReadonlyMap<string, string>; label: string }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const rows = data.rows.map((row) => ({ ...row, day: formatDayShort(row.date, locale) }));
  const seriesName = (model: string | null) => (model === null ? t('credits.spend.others') : (names.get(model) ?? model));
  return (
    <Box>
      <Box role="img" aria-label={label} data-testid="spend-chart">
        <BarChart
          h={280}
          data={rows}
          dataKey="day"
          type="stacked"
          series={data.series.map((item) => ({ name: item.key, label: seriesName(item.model), color: item.color }))}
          valueFormatter={(value) => formatUsdNanos(Math.round(value), locale)}
          yAxisProps={{ tickFormatter: (value: number) => spendAxisTick(value, locale), width: 60 }}
          tickLine="none"
          gridAxis="x"
          maxBarWidth={28}
        />
      </Box>
      <Group component="ul" gap="xs" mt="sm" p={0} style={{ listStyle: 'none' }} aria-label={t('credits.spend.legend')}>
        {data.series.map((item) => (
          <Group component="li" key={item.key} gap={6} wrap="nowrap">
            <ColorSwatch color={`var(--mantine-color-${item.color.replace('.', '-')})`} size={12} withShadow={false} aria-hidden="true" />
            <Text size="xs">{seriesName(item.model)}</Text>
          </Group>
        ))}
      </Group>
    </Box>
  );
}
