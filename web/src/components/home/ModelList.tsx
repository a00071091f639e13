import { Alert, Anchor, Button, Group, Paper, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import { modelPath, useModelNames, useRankings, type RankedModel } from '../../api/rankings';
import { currentLanguage } from '../../i18n';
import { describeError } from '../../lib/describeError';
import { ChangeBadge } from '../rankings/ChangeBadge';
import { formatRankValue, formatShare, useLocale } from '../rankings/metric';
import { ArrowRightIcon } from '../icons';

export const HOME_LIST_SIZE = 5;

/** Trending: models whose tokens grew against the week before (and models new this week), never shrinking ones. */
export function trendingModels(models: RankedModel[], size: number = HOME_LIST_SIZE): RankedModel[] {
  return models.filter((entry) => entry.change_percent === null || entry.change_percent > 0).slice(0, size);
}

export interface ModelListProps {
  kind: 'top' | 'trending';
}

/** This week's most used models (by tokens), or its trending ones (by growth), with a link to all rankings. */
export function ModelList({ kind }: ModelListProps) {
  const { t } = useTranslation();
  const locale = useLocale();
  const titleId = useId();
  const query = useRankings(kind === 'top' ? 'tokens' : 'growth', 'week');
  const names = useModelNames();
  const models = query.data === undefined ? [] : kind === 'top' ? query.data.models.slice(0, HOME_LIST_SIZE) : trendingModels(query.data.models);
  return (
    <Paper component="section" withBorder radius="md" p="md" aria-labelledby={titleId} data-testid={`home-${kind}`} h="100%">
      <Group justify="space-between" align="flex-start" wrap="nowrap" gap="xs">
        <div>
          <Title order={2} size="h4" id={titleId}>
            {t(`home.${kind}.title`)}
          </Title>
          <Text size="sm" c="dimmed">
            {t(`home.${kind}.subtitle`)}
          </Text>
        </div>
        <Anchor component={Link} to={kind === 'top' ? '/rankings' : '/rankings?by=growth'} size="sm" style={{ whiteSpace: 'nowrap' }}>
          <Group gap={4} wrap="nowrap" component="span">
            {t('home.seeAll')}
            <ArrowRightIcon size={14} />
          </Group>
        </Anchor>
      </Group>
      <Stack mt="md" gap={0}>
        {query.isPending ? (
          Array.from({ length: HOME_LIST_SIZE }, (_, i) => <Skeleton key={i} h={28} my={8} radius="sm" />)
        ) : query.isError ? (
          <Alert color="red" variant="light" title={t('home.listError')}>
            <Stack gap="xs" align="flex-start">
              <Text size="sm">{describeError(query.error, t, currentLanguage())}</Text>
              <Button size="compact-sm" variant="default" onClick={() => void query.refetch()} loading={query.isFetching}>
                {t('home.stats.retry')}
              </Button>
            </Stack>
          </Alert>
        ) : models.length === 0 ? (
          <Text size="sm" c="dimmed" py="sm" data-testid={`home-${kind}-empty`}>
            {t(`home.${kind}.empty`)}
          </Text>
        ) : (
          <ol style={{ listStyle: 'none', margin: 0, padding: 0 }} data-testid={`home-${kind}-list`}>
            {models.map((entry, index) => (
              <li key={entry.model} data-model={entry.model} data-value={String(entry.value)}>
                <Group
                  gap="sm"
                  wrap="nowrap"
                  py={8}
                  style={{ borderTop: index === 0 ? undefined : '1px solid var(--mantine-color-default-border)' }}
                >
                  <Text fw={700} c="dimmed" w={20} ta="right" style={{ flexShrink: 0 }} aria-hidden="true">
                    {index + 1}
                  </Text>
                  <Stack gap={0} style={{ flex: 1, minWidth: 0 }}>
                    <Anchor component={Link} to={modelPath(entry.model)} fw={600} size="sm" truncate="end">
                      {names.get(entry.model) ?? entry.model}
                    </Anchor>
                    <Text size="xs" c="dimmed" truncate="end">
                      {entry.author}
                    </Text>
                  </Stack>
                  {kind === 'top' ? (
                    <Stack gap={0} align="flex-end" style={{ flexShrink: 0 }}>
                      <Text size="sm" fw={600} style={{ fontVariantNumeric: 'tabular-nums' }}>
                        {t('home.top.tokens', { value: formatRankValue('tokens', entry.value, locale) })}
                      </Text>
                      <Text size="xs" c="dimmed" style={{ fontVariantNumeric: 'tabular-nums' }}>
                        {formatShare(entry.share, locale)}
                      </Text>
                    </Stack>
                  ) : (
                    <div style={{ flexShrink: 0 }}>
                      <ChangeBadge percent={entry.change_percent} />
                    </div>
                  )}
                </Group>
              </li>
            ))}
          </ol>
        )}
      </Stack>
    </Paper>
  );
}
