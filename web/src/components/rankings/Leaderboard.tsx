import { Anchor, Stack, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import { modelPath, type RankBy, type RankedModel, type RankPeriod } from '../../api/rankings';
import { ChangeBadge } from './ChangeBadge';
import { formatRankValue, formatRankValueExact, formatShare, useLocale } from './metric';

export interface LeaderboardProps {
  by: RankBy;
  period: RankPeriod;
  models: RankedModel[];
  /** Display names by slug; the slug is shown where a name is missing. */
  names: ReadonlyMap<string, string>;
  /** The id of the heading that names the table. */
  labelledBy?: string;
  /** The figures on screen are the last answer while a new one loads. */
  stale?: boolean;
}

/** The ranked models: rank, model (a link to its page), author, value, share, change vs the previous period. */
export function Leaderboard({ by, period, models, names, labelledBy, stale = false }: LeaderboardProps) {
  const { t } = useTranslation();
  const locale = useLocale();
  return (
    <Table.ScrollContainer minWidth={340} type="native">
      <Table
        verticalSpacing="sm"
        highlightOnHover
        aria-labelledby={labelledBy}
        aria-busy={stale || undefined}
        data-testid="leaderboard"
        data-by={by}
        data-period={period}
        style={{ opacity: stale ? 0.6 : 1, transition: 'opacity 120ms' }}
      >
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col" w={56}>
              {t('rankings.leaderboard.rank')}
            </Table.Th>
            <Table.Th scope="col">{t('rankings.leaderboard.model')}</Table.Th>
            <Table.Th scope="col" visibleFrom="sm">
              {t('rankings.leaderboard.author')}
            </Table.Th>
            <Table.Th scope="col" ta="right">
              {t(`rankings.leaderboard.value.${by}`)}
            </Table.Th>
            <Table.Th scope="col" ta="right">
              {t('rankings.leaderboard.share')}
            </Table.Th>
            <Table.Th scope="col" ta="right">
              {t('rankings.leaderboard.change')}
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {models.map((entry) => {
            const name = names.get(entry.model);
            return (
              <Table.Tr
                key={entry.model}
                data-testid="leaderboard-row"
                data-model={entry.model}
                data-value={String(entry.value)}
                data-share={entry.share === null ? '' : String(entry.share)}
                data-change-percent={entry.change_percent === null ? '' : String(entry.change_percent)}
              >
                <Table.Td fw={700} c="dimmed" style={{ fontVariantNumeric: 'tabular-nums' }} data-testid="rank">
                  {entry.rank}
                </Table.Td>
                <Table.Td>
                  <Stack gap={0}>
                    <Anchor component={Link} to={modelPath(entry.model)} fw={600} size="sm">
                      {name ?? entry.model}
                    </Anchor>
                    {name !== undefined && (
                      <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                        {entry.model}
                      </Text>
                    )}
                  </Stack>
                </Table.Td>
                <Table.Td visibleFrom="sm">
                  <Text size="sm">{entry.author}</Text>
                </Table.Td>
                <Table.Td ta="right" style={{ fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' }} data-testid="value">
                  <span title={formatRankValueExact(by, entry.value, locale)}>{formatRankValue(by, entry.value, locale)}</span>
                </Table.Td>
                <Table.Td ta="right" style={{ fontVariantNumeric: 'tabular-nums' }} data-testid="share">
                  {formatShare(entry.share, locale)}
                </Table.Td>
                <Table.Td ta="right" data-testid="change">
                  <ChangeBadge percent={entry.change_percent} />
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
