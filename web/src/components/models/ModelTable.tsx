import { Group, Skeleton, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import type { Model } from '../../api/models';
import { formatTokens } from '../../lib/format';
import { CapabilityBadges } from './CapabilityBadges';
import { modalitiesText, modelPath } from './ModelCard';
import classes from './Models.module.css';
import { isFreeModel, perMillion } from './price';
import { useLocale } from './useLocale';

function Price({ value, free }: { value: string | null; free: boolean }) {
  const { t } = useTranslation();
  if (free) {
    return <Text size="sm" c="green">{t('models.price.free')}</Text>;
  }
  return <Text size="sm">{value ?? t('models.price.varies')}</Text>;
}

/** The compact view: one row per model. */
export function ModelTable({ models, loading = false }: { models: Model[]; loading?: boolean }) {
  const { t } = useTranslation();
  const locale = useLocale();
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table verticalSpacing="sm" highlightOnHover data-testid="model-table" aria-busy={loading} aria-label={t('models.table.caption')}>
        <Table.Thead>
          <Table.Tr className={classes.nowrap}>
            <Table.Th>{t('models.table.model')}</Table.Th>
            <Table.Th ta="right">{t('models.table.context')}</Table.Th>
            <Table.Th ta="right">{t('models.table.input')}</Table.Th>
            <Table.Th ta="right">{t('models.table.output')}</Table.Th>
            <Table.Th>{t('models.table.modalities')}</Table.Th>
            <Table.Th>{t('models.table.capabilities')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {models.map((model) => {
            const free = isFreeModel(model.pricing);
            return (
              <Table.Tr key={model.id}>
                <Table.Td>
                  <Link to={modelPath(model.id)} className={classes.tableLink}>
                    {model.name}
                  </Link>
                  <div className={classes.id}>{model.id}</div>
                </Table.Td>
                <Table.Td ta="right" className={classes.nowrap}>
                  {model.context_length ? formatTokens(model.context_length, locale) : '—'}
                </Table.Td>
                <Table.Td ta="right" className={classes.nowrap}>
                  <Price value={perMillion(model.pricing.prompt, locale)} free={free} />
                </Table.Td>
                <Table.Td ta="right" className={classes.nowrap}>
                  <Price value={perMillion(model.pricing.completion, locale)} free={free} />
                </Table.Td>
                <Table.Td>
                  <Text size="xs" c="dimmed">
                    {modalitiesText(model, t)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    <CapabilityBadges model={model} exclude={['long_context']} />
                  </Group>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function ModelTableSkeleton({ rows = 8 }: { rows?: number }) {
  return (
    <Table verticalSpacing="sm" aria-hidden="true">
      <Table.Tbody>
        {Array.from({ length: rows }, (_, i) => (
          <Table.Tr key={i}>
            <Table.Td>
              <Skeleton height={14} width="70%" />
              <Skeleton height={10} width="45%" mt={6} />
            </Table.Td>
            <Table.Td><Skeleton height={12} width={40} /></Table.Td>
            <Table.Td><Skeleton height={12} width={50} /></Table.Td>
            <Table.Td><Skeleton height={12} width={50} /></Table.Td>
            <Table.Td><Skeleton height={12} width={90} /></Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
