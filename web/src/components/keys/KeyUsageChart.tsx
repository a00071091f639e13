// One key's spend per UTC day: loaded with the charts library only when a key's usage is opened.
import '@mantine/charts/styles.css';

import { BarChart } from '@mantine/charts';
import { Box } from '@mantine/core';

import { formatDayShort, formatUsdNanos } from '../../lib/format';
import { spendAxisTick } from '../credits/spend';
import { useLocale } from '../rankings/metric';

export default function KeyUsageChart({ rows, label, seriesLabel }: { rows: { date: string; spend: number }[]; label: string; seriesLabel: string }) {
  const locale = useLocale();
  const data = rows.map((row) => ({ day: formatDayShort(row.date, locale), spend: row.spend }));
  return (
    <Box role="img" aria-label={label} data-testid="key-usage-chart">
      <BarChart
        h={200}
        data={data}
        dataKey="day"
        series={[{ name: 'spend', label: seriesLabel, color: 'indigo.6' }]}
        valueFormatter={(value) => formatUsdNanos(Math.round(value), locale)}
        yAxisProps={{ tickFormatter: (value: number) => spendAxisTick(value, locale), width: 60 }}
        tickLine="none"
        gridAxis="x"
        maxBarWidth={20}
      />
    </Box>
  );
}
