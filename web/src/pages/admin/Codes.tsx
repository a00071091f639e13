import { Skeleton, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type CodesCreated, useCodeBatches } from '../../api/admin';
import { AdminPage, AdminSection, Pager, QueryError } from '../../components/admin/AdminPage';
import { BatchDetail } from '../../components/admin/codes/BatchDetail';
import { BatchTable } from '../../components/admin/codes/BatchTable';
import { CreateCodesForm } from '../../components/admin/codes/CreateCodesForm';
import { CreatedCodes } from '../../components/admin/codes/CreatedCodes';

export default function AdminCodesPage() {
  const { t } = useTranslation();
  const [cursor, setCursor] = useState<string | null>(null);
  const [previous, setPrevious] = useState<(string | null)[]>([]);
  const [created, setCreated] = useState<CodesCreated | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const batches = useCodeBatches(cursor);
  const page = batches.data;
  return (
    <AdminPage title={t('admin.codes.title')} lead={t('admin.codes.lead')} testId="admin-codes">
      <AdminSection title={t('admin.codes.form.title')} description={t('admin.codes.form.lead')}>
        {created !== null && <CreatedCodes created={created} onDismiss={() => setCreated(null)} />}
        <CreateCodesForm
          onCreated={(batch) => {
            setCreated(batch);
            setCursor(null);
            setPrevious([]);
          }}
        />
      </AdminSection>
      <AdminSection title={t('admin.codes.listTitle')} description={t('admin.codes.listLead')}>
        {batches.isError && <QueryError error={batches.error} onRetry={() => void batches.refetch()} />}
        {page === undefined ? (
          batches.isPending && <Skeleton h={200} />
        ) : page.data.length === 0 ? (
          <Text size="sm" c="dimmed" data-testid="batches-empty">
            {t('admin.codes.empty')}
          </Text>
        ) : (
          <Stack gap="xs">
            <BatchTable batches={page.data} onOpen={setOpen} busy={batches.isPlaceholderData} />
            <Pager
              hasPrevious={previous.length > 0}
              hasNext={page.next_cursor !== null}
              onPrevious={() => {
                setCursor(previous[previous.length - 1] ?? null);
                setPrevious((current) => current.slice(0, -1));
              }}
              onNext={() => {
                setPrevious((current) => [...current, cursor]);
                setCursor(page.next_cursor);
              }}
              busy={batches.isPlaceholderData}
            />
          </Stack>
        )}
      </AdminSection>
      <BatchDetail batch={open} onClose={() => setOpen(null)} />
    </AdminPage>
  );
}
