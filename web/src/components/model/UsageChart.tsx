// The usage chart, in its own chunk (with the charting library) loaded only when the Usage tab is opened.
import '@mantine/charts/styles.css';

import { BarChart } from '@mantine/charts';

import { formatCompact, formatDayShort, formatNumber } from '../../lib/format';
import { useLocale } from '../models/useLocale';
import type { UsageDay } from './usage';

export default function UsageChart({ days, metric, label, summary }: { days: UsageDay[]; metric: 'requests' | 'tokens'; label: string; summary: string }) {
  const locale = useLocale();
  const data = days.map((day) => ({ day: formatDayShort(day.date, locale), [metric]: day[metric] }));
  return (
    <div role="img" aria-label={summary} data-testid="usage-chart">
      <BarChart
        h={260}
        data={data}
        dataKey="day"
        series={[{ name: metric, label, color: 'indigo.6' }]}
        valueFormatter={(value) => formatNumber(value, locale)}
        yAxisProps={{ tickFormatter: (value: number) => formatCompact(value, locale), width: 48, allowDecimals: false }}
        tickLine="y"
        gridAxis="x"
        barProps={{ radius: 2 }}
      />
    </div>
  );
}
