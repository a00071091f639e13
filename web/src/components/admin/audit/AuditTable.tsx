import { Badge, Button, Code, Table, Text } from '@mantine/core';
import { Fragment, useState } from 'react';
import { useTranslation } from 'react-i18next';

import type { AuditEntry } from '../../../api/admin';
import { formatDateTime } from '../../../lib/format';
import { useLocale } from '../../models/useLocale';
import { WHOLE_BADGE } from '../AdminPage';
import { bodySummary, bodyText, routeName } from '../auditRoutes';

const METHOD_COLOR: Record<string, string> = { POST: 'green', PUT: 'blue', PATCH: 'yellow', DELETE: 'red' };

export function AuditTable({ entries, busy }: { entries: AuditEntry[]; busy: boolean }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const toggle = (id: number) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <Table.ScrollContainer minWidth={860}>
      <Table verticalSpacing="xs" aria-label={t('admin.audit.table.caption')} aria-busy={busy} data-testid="audit-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('admin.audit.table.when')}</Table.Th>
            <Table.Th>{t('admin.audit.table.actor')}</Table.Th>
            <Table.Th>{t('admin.audit.table.action')}</Table.Th>
            <Table.Th>{t('admin.audit.table.details')}</Table.Th>
            <Table.Th ta="right" style={{ whiteSpace: 'nowrap' }}>{t('admin.audit.table.status')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {entries.map((entry) => {
            const name = routeName(entry.route);
            const expanded = open.has(entry.id);
            const body = bodyText(entry.body);
            return (
              <Fragment key={entry.id}>
                <Table.Tr data-testid="audit-row" data-route={entry.route}>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(entry.created_at, locale)}</Table.Td>
                  <Table.Td style={{ wordBreak: 'break-all' }}>{entry.actor_email ?? t('admin.audit.deletedActor', { id: entry.actor_user_id })}</Table.Td>
                  <Table.Td>
                    <Badge size="xs" color={METHOD_COLOR[entry.method] ?? 'gray'} variant="light" mr={6} styles={WHOLE_BADGE}>
                      {entry.method}
                    </Badge>
                    <Text span size="sm" fw={500}>
                      {name ? t(`admin.audit.routes.${name}`) : entry.route}
                    </Text>
                    <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                      {entry.path}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" style={{ wordBreak: 'break-word' }} data-testid="audit-summary">
                      {bodySummary(entry.body) || '—'}
                    </Text>
                    {body !== '' && (
                      <Button size="compact-xs" variant="subtle" onClick={() => toggle(entry.id)} aria-expanded={expanded}>
                        {expanded ? t('admin.audit.hideBody') : t('admin.audit.showBody')}
                      </Button>
                    )}
                  </Table.Td>
                  <Table.Td ta="right">{entry.status}</Table.Td>
                </Table.Tr>
                {expanded && (
                  <Table.Tr>
                    <Table.Td colSpan={5}>
                      <Code block>{body}</Code>
                    </Table.Td>
                  </Table.Tr>
                )}
              </Fragment>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
