import { Button, Group, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type CodesCreated, useCreateCodes } from '../../../api/admin';
import { ErrorText } from '../AdminPage';
import { type CodesForm, endOfLocalDay, validateCodes } from '../codes';

const EMPTY: CodesForm = { count: '10', amount: '', maxUses: '1', expires: '' };

/** A new batch: how many codes, what each is worth, how often each may be used, until when. */
export function CreateCodesForm({ onCreated }: { onCreated: (created: CodesCreated) => void }) {
  const { t } = useTranslation();
  const create = useCreateCodes();
  const [form, setForm] = useState<CodesForm>(EMPTY);
  const [showErrors, setShowErrors] = useState(false);
  const errors = validateCodes(form);
  const message = (field: keyof CodesForm) => (showErrors && errors[field] ? t(`admin.codes.errors.${errors[field]}`) : undefined);
  const set = (field: keyof CodesForm, value: string) => setForm((current) => ({ ...current, [field]: value }));

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        setShowErrors(true);
        if (Object.keys(errors).length > 0) {
          return;
        }
        void create
          .mutateAsync({
            count: Number(form.count),
            amount: form.amount.trim().replace(/^\$/, ''),
            max_uses: Number(form.maxUses),
            expires_at: form.expires.trim() === '' ? null : endOfLocalDay(form.expires),
          })
          .then(
            (created) => {
              onCreated(created);
              setForm(EMPTY);
              setShowErrors(false);
            },
            () => undefined,
          );
      }}
      noValidate
    >
      <Stack gap="sm">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="sm">
          <TextInput label={t('admin.codes.form.count')} value={form.count} onChange={(e) => set('count', e.currentTarget.value)} error={message('count')} inputMode="numeric" data-testid="codes-count" />
          <TextInput
            label={t('admin.codes.form.amount')}
            value={form.amount}
            onChange={(e) => set('amount', e.currentTarget.value)}
            error={message('amount')}
            leftSection={<Text size="sm">$</Text>}
            inputMode="decimal"
            placeholder="5.00"
            data-testid="codes-amount"
          />
          <TextInput label={t('admin.codes.form.maxUses')} description={t('admin.codes.form.maxUsesHint')} value={form.maxUses} onChange={(e) => set('maxUses', e.currentTarget.value)} error={message('maxUses')} inputMode="numeric" />
          <TextInput label={t('admin.codes.form.expires')} description={t('admin.codes.form.expiresHint')} type="date" value={form.expires} onChange={(e) => set('expires', e.currentTarget.value)} error={message('expires')} />
        </SimpleGrid>
        <ErrorText error={create.error} />
        <Group justify="flex-end">
          <Button type="submit" loading={create.isPending} data-testid="codes-create">
            {t('admin.codes.form.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
