import { Anchor, Badge, Button, Table, Text, VisuallyHidden } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { AdminModel } from '../../../api/admin';
import { formatUsd } from '../../../lib/format';
import { useLocale } from '../../models/useLocale';
import { WHOLE_BADGE } from '../AdminPage';

/** Catalogue models with their base prices per million tokens; hidden ones too. */
export function AdminModelTable({ models, onEdit, busy }: { models: AdminModel[]; onEdit: (id: string) => void; busy: boolean }) {
  const { t } = useTranslation();
  const locale = useLocale();
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table verticalSpacing="xs" highlightOnHover aria-label={t('admin.models.table.caption')} aria-busy={busy} data-testid="admin-model-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('admin.models.table.model')}</Table.Th>
            <Table.Th>{t('admin.models.table.status')}</Table.Th>
            <Table.Th ta="right">{t('admin.models.table.input')}</Table.Th>
            <Table.Th ta="right">{t('admin.models.table.output')}</Table.Th>
            <Table.Th ta="right">{t('admin.models.table.markup')}</Table.Th>
            <Table.Th ta="right">{t('admin.models.table.channels')}</Table.Th>
            <Table.Th>
              <VisuallyHidden>{t('admin.common.actions')}</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {models.map((model) => (
            <Table.Tr key={model.id} data-testid="admin-model-row" data-id={model.id}>
              <Table.Td>
                <Anchor component="button" type="button" size="sm" fw={500} c="inherit" ta="left" onClick={() => onEdit(model.id)}>
                  {model.name}
                </Anchor>
                <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                  {model.id}
                </Text>
              </Table.Td>
              <Table.Td>
                <Badge color={model.is_active ? 'green' : 'gray'} variant="light" styles={WHOLE_BADGE}>
                  {model.is_active ? t('admin.models.listed') : t('admin.models.hidden')}
                </Badge>
                {model.is_manual && (
                  <Text size="xs" c="dimmed">
                    {t('admin.models.manual')}
                  </Text>
                )}
                {!model.is_priced && (
                  <Text size="xs" c="orange">
                    {t('admin.models.unpriced')}
                  </Text>
                )}
              </Table.Td>
              <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }} data-testid="price-input">
                {formatUsd(model.prompt, locale)}
              </Table.Td>
              <Table.Td ta="right" style={{ whiteSpace: 'nowrap' }} data-testid="price-output">
                {formatUsd(model.completion, locale)}
              </Table.Td>
              <Table.Td ta="right">{model.markup_percent === null ? <Text size="sm" c="dimmed">{t('admin.models.global')}</Text> : `${model.markup_percent}%`}</Table.Td>
              <Table.Td ta="right">{model.channels}</Table.Td>
              <Table.Td>
                <Button size="xs" variant="light" onClick={() => onEdit(model.id)} aria-label={t('admin.models.editOne', { name: model.name })}>
                  {t('admin.common.edit')}
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
