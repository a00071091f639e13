import { Alert, Skeleton, Stack } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { useSiteSettings } from '../../api/admin';
import { AdminPage, QueryError } from '../../components/admin/AdminPage';
import { SiteSettingsForm } from '../../components/admin/settings/SiteSettingsForm';

export default function AdminSettingsPage() {
  const { t } = useTranslation();
  const settings = useSiteSettings();
  return (
    <AdminPage title={t('admin.settings.title')} lead={t('admin.settings.lead')} testId="admin-settings">
      <Alert color="blue" variant="light" title={t('admin.settings.applyTitle')} data-testid="settings-restart-note">
        {t('admin.settings.applyBody')}
      </Alert>
      {settings.isError && <QueryError error={settings.error} onRetry={() => void settings.refetch()} />}
      {settings.data === undefined ? (
        settings.isPending && (
          <Stack gap="md">
            <Skeleton h={160} />
            <Skeleton h={240} />
          </Stack>
        )
      ) : (
        <SiteSettingsForm settings={settings.data} />
      )}
    </AdminPage>
  );
}
