import { Alert, Button, Code, Group, ScrollArea, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { CodesCreated } from '../../../api/admin';
import { formatDateTime, formatUsd } from '../../../lib/format';
import { CopyValueButton } from '../../keys/CopyValueButton';
import { useLocale } from '../../models/useLocale';
import { codesCsv, codesFileName } from '../codes';

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The codes of a batch just made: shown this once, to copy or download. */
export function CreatedCodes({ created, onDismiss }: { created: CodesCreated; onDismiss: () => void }) {
  const { t } = useTranslation();
  const locale = useLocale();
  return (
    <Alert color="yellow" variant="light" title={t('admin.codes.created.title', { count: created.codes.length })} data-testid="created-codes">
      <Stack gap="sm">
        <Text size="sm">
          {t('admin.codes.created.body', {
            batch: created.batch,
            amount: formatUsd(created.amount, locale),
            uses: created.max_uses,
            expires: created.expires_at ? formatDateTime(created.expires_at, locale) : t('admin.codes.never'),
          })}
        </Text>
        <Text size="sm" fw={600}>
          {t('admin.codes.created.once')}
        </Text>
        <Group gap="xs">
          <CopyValueButton value={created.codes.join('\n')} label={t('admin.codes.created.copy')} testId="copy-codes" />
          <Button variant="default" onClick={() => download(codesFileName(created.batch), codesCsv(created))} data-testid="download-codes">
            {t('admin.codes.created.download')}
          </Button>
          <Button variant="subtle" onClick={onDismiss}>
            {t('admin.codes.created.dismiss')}
          </Button>
        </Group>
        <ScrollArea.Autosize mah={240} type="auto">
          <Code block aria-label={t('admin.codes.created.list')} data-testid="code-list">
            {created.codes.join('\n')}
          </Code>
        </ScrollArea.Autosize>
      </Stack>
    </Alert>
  );
}
