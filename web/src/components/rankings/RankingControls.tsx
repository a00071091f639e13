import { Group, SegmentedControl, Stack, Text } from '@mantine/core';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';

import { RANK_BY, RANK_PERIODS, isRankBy, isRankPeriod, type RankBy, type RankPeriod } from '../../api/rankings';

export interface RankingControlsProps {
  by: RankBy;
  period: RankPeriod;
  onChange: (patch: { by?: RankBy; period?: RankPeriod }) => void;
}

/** What to rank by and over which rolling period: two radio groups (arrow keys move within each). */
export function RankingControls({ by, period, onChange }: RankingControlsProps) {
  const { t } = useTranslation();
  const byLabel = useId();
  const periodLabel = useId();
  return (
    <Group gap="md" align="flex-end" wrap="wrap">
      <Stack gap={4} style={{ flex: '1 1 320px', maxWidth: 480 }}>
        <Text size="sm" fw={600} id={byLabel}>
          {t('rankings.by.label')}
        </Text>
        <SegmentedControl
          fullWidth
          aria-labelledby={byLabel}
          value={by}
          onChange={(value) => isRankBy(value) && onChange({ by: value })}
          data={RANK_BY.map((value) => ({ value, label: t(`rankings.by.${value}`) }))}
          data-testid="rank-by"
        />
      </Stack>
      <Stack gap={4} style={{ flex: '1 1 260px', maxWidth: 380 }}>
        <Text size="sm" fw={600} id={periodLabel}>
          {t('rankings.period.label')}
        </Text>
        <SegmentedControl
          fullWidth
          aria-labelledby={periodLabel}
          value={period}
          onChange={(value) => isRankPeriod(value) && onChange({ period: value })}
          data={RANK_PERIODS.map((value) => ({ value, label: t(`rankings.period.${value}`) }))}
          data-testid="rank-period"
        />
      </Stack>
    </Group>
  );
}
