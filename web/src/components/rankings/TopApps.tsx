import { Stack, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { RankedApp } from '../../api/rankings';
import { formatNumber } from '../../lib/format';
import { formatRankValue, useLocale } from './metric';

/** What to call an app: its X-Title, else the host of its HTTP-Referer, else what it sent. */
export function appName(app: RankedApp): { name: string; detail: string | null } {
  const host = appHost(app.app);
  const title = app.title?.trim();
  if (title) {
    return { name: title, detail: host !== null && host !== title ? host : null };
  }
  return { name: host ?? app.app, detail: null };
}

function appHost(app: string): string | null {
  if (!/^https?:\/\//i.test(app)) {
    return null;
  }
  try {
    return new URL(app).host || null;
  } catch {
    return null;
  }
}

/** Apps that identified themselves (HTTP-Referer or X-Title), by tokens. */
export function TopApps({ apps, labelledBy }: { apps: RankedApp[]; labelledBy?: string }) {
  const { t } = useTranslation();
  const locale = useLocale();
  if (apps.length === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="apps-empty">
        {t('rankings.apps.empty')}
      </Text>
    );
  }
  return (
    <Table verticalSpacing={6} horizontalSpacing="xs" fz="sm" aria-labelledby={labelledBy} data-testid="top-apps">
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col" w={32}>
            {t('rankings.leaderboard.rank')}
          </Table.Th>
          <Table.Th scope="col">{t('rankings.apps.app')}</Table.Th>
          <Table.Th scope="col" ta="right">
            {t('rankings.apps.tokens')}
          </Table.Th>
          <Table.Th scope="col" ta="right">
            {t('rankings.apps.requests')}
          </Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {apps.map((app, index) => {
          const { name, detail } = appName(app);
          return (
            <Table.Tr key={app.app} data-testid="app-row" data-app={app.app} data-tokens={app.tokens}>
              <Table.Td c="dimmed" fw={700}>
                {index + 1}
              </Table.Td>
              <Table.Td>
                <Stack gap={0}>
                  <Text size="sm" fw={600} style={{ wordBreak: 'break-word' }}>
                    {name}
                  </Text>
                  {detail !== null && (
                    <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                      {detail}
                    </Text>
                  )}
                </Stack>
              </Table.Td>
              <Table.Td ta="right" style={{ fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' }}>
                <span title={formatNumber(app.tokens, locale)}>{formatRankValue('tokens', app.tokens, locale)}</span>
              </Table.Td>
              <Table.Td ta="right" style={{ fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' }}>
                {formatRankValue('requests', app.requests, locale)}
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}
