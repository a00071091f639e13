import { Badge, Button, Checkbox, Group, List, ScrollArea, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type SyncResult, useCatalogSync, useSiteSettings } from '../../../api/admin';
import { AdminSection, ErrorText } from '../AdminPage';
import { groupSyncLines, isEmptySync, SYNC_KINDS } from '../sync';

const KIND_COLOR = { added: 'green', removed: 'red', changed: 'blue', held: 'orange', kept: 'gray' } as const;

/** Catalogue sync: first a preview of what would change (a dry run), then applying it. */
export function SyncCard() {
  const { t } = useTranslation();
  const settings = useSiteSettings();
  const sync = useCatalogSync();
  const [url, setUrl] = useState('');
  const [force, setForce] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [preview, setPreview] = useState<SyncResult | null>(null);
  const [applied, setApplied] = useState<SyncResult | null>(null);

  const request = { url: url.trim() || undefined, force, confirm };
  const runPreview = async () => {
    setApplied(null);
    setPreview(await sync.mutateAsync({ ...request, dryRun: true }).catch(() => null));
  };
  const apply = async () => {
    const result = await sync.mutateAsync({ ...request, dryRun: false }).catch(() => null);
    if (result !== null) {
      setApplied(result);
      setPreview(null);
    }
  };
  // A preview is for one set of options: changing them asks for a new one.
  const changeOption = (change: () => void) => {
    change();
    setPreview(null);
  };
  const groups = preview ? groupSyncLines(preview.changes) : null;

  return (
    <AdminSection title={t('admin.models.sync.title')} description={t('admin.models.sync.lead')} testId="sync-card">
      <TextInput
        label={t('admin.models.sync.url')}
        description={t('admin.models.sync.urlHint')}
        placeholder={settings.data?.values.catalog_sync_url ?? ''}
        value={url}
        onChange={(e) => changeOption(() => setUrl(e.currentTarget.value))}
        spellCheck={false}
      />
      <Group gap="lg">
        <Checkbox label={t('admin.models.sync.force')} checked={force} onChange={(e) => changeOption(() => setForce(e.currentTarget.checked))} />
        <Checkbox label={t('admin.models.sync.confirm')} checked={confirm} onChange={(e) => changeOption(() => setConfirm(e.currentTarget.checked))} />
      </Group>
      <Group gap="xs">
        <Button variant="default" onClick={() => void runPreview()} loading={sync.isPending && preview === null} data-testid="sync-preview">
          {t('admin.models.sync.preview')}
        </Button>
        <Button onClick={() => void apply()} disabled={preview === null || (groups !== null && isEmptySync(groups))} loading={sync.isPending && preview !== null} data-testid="sync-apply">
          {t('admin.models.sync.apply')}
        </Button>
      </Group>
      <ErrorText error={sync.error} />
      {groups !== null && (
        <Stack gap="xs" data-testid="sync-diff">
          <Title order={3} size="h5">
            {t('admin.models.sync.previewTitle')}
          </Title>
          {isEmptySync(groups) ? (
            <Text size="sm" c="dimmed">
              {t('admin.models.sync.nothing')}
            </Text>
          ) : (
            <>
              <Group gap="xs">
                {SYNC_KINDS.map((kind) => (
                  <Badge key={kind} color={KIND_COLOR[kind]} variant="light">
                    {t(`admin.models.sync.kind.${kind}`, { count: groups[kind].length })}
                  </Badge>
                ))}
              </Group>
              <ScrollArea.Autosize mah={320} type="auto">
                <Stack gap="xs">
                  {SYNC_KINDS.filter((kind) => groups[kind].length > 0).map((kind) => (
                    <div key={kind}>
                      <Text size="sm" fw={600}>
                        {t(`admin.models.sync.heading.${kind}`)}
                      </Text>
                      <List size="xs" spacing={2}>
                        {groups[kind].map((line, i) => (
                          <List.Item key={i} style={{ wordBreak: 'break-word' }}>
                            {line}
                          </List.Item>
                        ))}
                      </List>
                    </div>
                  ))}
                </Stack>
              </ScrollArea.Autosize>
              <Text size="xs" c="dimmed">
                {t('admin.models.sync.applyNote')}
              </Text>
            </>
          )}
        </Stack>
      )}
      {applied !== null && (
        <Text size="sm" c="green" role="status" data-testid="sync-applied">
          {t('admin.models.sync.applied', { count: applied.changes.filter((line) => !line.startsWith('! ') && !line.startsWith('= ')).length })}
        </Text>
      )}
    </AdminSection>
  );
}
