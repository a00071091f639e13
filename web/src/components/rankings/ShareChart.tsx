// Market share (by author or by provider) as a donut, with a legend that lists the same figures (its table
// alternative). Loaded with the charts library only when Rankings draws it.
import '@mantine/charts/styles.css';

import { DonutChart } from '@mantine/charts';
import { Box, ColorSwatch, Group, Stack, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { RankBy, RankValue } from '../../api/rankings';
import { formatRankValue, formatShare, useLocale } from './metric';
import { shareSlices, type ShareItem } from './share';

export interface ShareChartProps {
  by: RankBy;
  items: ShareItem[];
  /** The period's total of the measure, so the "others" slice can show its value. */
  total?: RankValue;
  /** What the shares are of, for the chart's accessible name ("Market share by author"). */
  label: string;
  /** The legend table's first column header ("Author", "Provider"). */
  nameHeader: string;
  testId?: string;
}

export default function ShareChart({ by, items, total, label, nameHeader, testId }: ShareChartProps) {
  const { t } = useTranslation();
  const locale = useLocale();
  const slices = shareSlices(items, t('rankings.share.others'), total);
  return (
    <Group align="center" gap="lg" wrap="wrap" data-testid={testId}>
      <Box role="img" aria-label={t('rankings.share.aria', { what: label })} style={{ flex: '0 0 auto' }}>
        <DonutChart
          data={slices.map((slice) => ({ name: slice.name, value: slice.share, color: slice.color }))}
          size={150}
          thickness={24}
          paddingAngle={1}
          withTooltip={false}
          accessibilityLayer={false}
          strokeWidth={1}
        />
      </Box>
      <Stack gap={0} style={{ flex: '1 1 200px', minWidth: 0 }}>
        <Table verticalSpacing={4} horizontalSpacing="xs" fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{nameHeader}</Table.Th>
              <Table.Th scope="col" ta="right">
                {t(`rankings.leaderboard.value.${by}`)}
              </Table.Th>
              <Table.Th scope="col" ta="right">
                {t('rankings.leaderboard.share')}
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {slices.map((slice) => (
              <Table.Tr key={slice.key} data-name={slice.key}>
                <Table.Td>
                  <Group gap={6} wrap="nowrap">
                    <ColorSwatch
                      color={`var(--mantine-color-${slice.color.replace('.', '-')})`}
                      size={10}
                      withShadow={false}
                      aria-hidden="true"
                      style={{ flexShrink: 0 }}
                    />
                    <Text size="sm" style={{ wordBreak: 'break-word' }}>
                      {slice.name}
                    </Text>
                  </Group>
                </Table.Td>
                <Table.Td ta="right" style={{ fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' }}>
                  {slice.value === null ? '—' : formatRankValue(by, slice.value, locale)}
                </Table.Td>
                <Table.Td ta="right" style={{ fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' }}>
                  {formatShare(slice.share, locale)}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Stack>
    </Group>
  );
}
