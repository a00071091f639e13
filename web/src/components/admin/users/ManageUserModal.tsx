import { Alert, Button, Fieldset, Group, Select, SimpleGrid, Stack, Switch, Text, Textarea, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { type AdminUser, newIdempotencyKey, type Role, type Transaction, useAdjustBalance, useUpdateUser } from '../../../api/admin';
import { useMe } from '../../../api/queries';
import { formatUsd } from '../../../lib/format';
import { useLocale } from '../../models/useLocale';
import { AdminModal, ErrorText } from '../AdminPage';
import { parseAdjustment } from '../amount';
import { EXACT } from './UserTable';

const ROLES: readonly Role[] = ['user', 'admin', 'root'];

/** One user: whether the account may sign in and call, its role, and balance adjustments with a note. */
export function ManageUserModal({ user, onClose }: { user: AdminUser | null; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <AdminModal opened={user !== null} onClose={onClose} title={t('admin.users.manageTitle', { email: user?.email ?? '' })} size="lg" testId="manage-user">
      {user !== null && (
        <Stack gap="md">
          <AdjustBalance key={`balance-${user.id}`} user={user} />
          <Access key={`access-${user.id}`} user={user} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('admin.common.close')}
            </Button>
          </Group>
        </Stack>
      )}
    </AdminModal>
  );
}

function AdjustBalance({ user }: { user: AdminUser }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const adjust = useAdjustBalance();
  const [amount, setAmount] = useState('');
  const [note, setNote] = useState('');
  const [showErrors, setShowErrors] = useState(false);
  const [done, setDone] = useState<Transaction | null>(null);
  // One key per adjustment: a retry after a lost answer is applied once; a new adjustment gets a new key.
  const [key, setKey] = useState(newIdempotencyKey);
  const parsed = parseAdjustment(amount);
  const noteMissing = note.trim() === '';

  const submit = async () => {
    setShowErrors(true);
    if (!parsed.ok || noteMissing) {
      return;
    }
    const entry = await adjust.mutateAsync({ userId: user.id, amount: parsed.value, note, idempotencyKey: key }).catch(() => null);
    if (entry !== null) {
      setDone(entry);
      setAmount('');
      setNote('');
      setShowErrors(false);
      setKey(newIdempotencyKey());
    }
  };

  return (
    <Fieldset legend={t('admin.users.adjust.title')}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
        noValidate
      >
        <Stack gap="sm">
          <Text size="sm">
            {t('admin.users.adjust.current', { balance: formatUsd(done?.balance_after ?? user.balance, locale, EXACT) })}
          </Text>
          <TextInput
            label={t('admin.users.adjust.amount')}
            description={t('admin.users.adjust.amountHint')}
            value={amount}
            onChange={(e) => {
              setAmount(e.currentTarget.value);
              setDone(null);
            }}
            error={showErrors && !parsed.ok ? t(`admin.users.adjust.errors.${parsed.error}`) : undefined}
            inputMode="decimal"
            placeholder="10.00"
            data-testid="adjust-amount"
          />
          <Textarea
            label={t('admin.users.adjust.note')}
            description={t('admin.users.adjust.noteHint')}
            value={note}
            onChange={(e) => setNote(e.currentTarget.value)}
            error={showErrors && noteMissing ? t('admin.users.adjust.errors.note') : undefined}
            maxLength={500}
            autosize
            minRows={2}
            required
            data-testid="adjust-note"
          />
          <ErrorText error={adjust.error} />
          {done !== null && (
            <Alert color="green" variant="light" p="xs" role="status" data-testid="adjust-done">
              {t('admin.users.adjust.done', { amount: formatUsd(done.amount, locale, EXACT), balance: formatUsd(done.balance_after, locale, EXACT) })}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button type="submit" loading={adjust.isPending} data-testid="adjust-submit">
              {parsed.ok && parsed.value.startsWith('-') ? t('admin.users.adjust.remove') : t('admin.users.adjust.add')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Fieldset>
  );
}

function Access({ user }: { user: AdminUser }) {
  const { t } = useTranslation();
  const me = useMe();
  const update = useUpdateUser();
  const [active, setActive] = useState(user.is_active);
  const [role, setRole] = useState<Role>(user.role as Role);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setActive(user.is_active);
    setRole(user.role as Role);
  }, [user]);
  const isRoot = me.data?.role === 'root';
  const isSelf = me.data?.id === user.id;
  const dirty = active !== user.is_active || role !== user.role;

  return (
    <Fieldset legend={t('admin.users.access.title')}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setSaved(false);
          const body = { ...(active !== user.is_active ? { is_active: active } : {}), ...(role !== user.role ? { role } : {}) };
          void update.mutateAsync({ id: user.id, body }).then(() => setSaved(true), () => undefined);
        }}
      >
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <Switch
              label={t('admin.users.access.active')}
              description={t('admin.users.access.activeHint')}
              checked={active}
              onChange={(e) => setActive(e.currentTarget.checked)}
              disabled={isSelf}
              data-testid="user-active"
            />
            <Select
              label={t('admin.users.access.role')}
              description={isRoot ? t('admin.users.access.roleHint') : t('admin.users.access.rootOnly')}
              data={ROLES.map((value) => ({ value, label: t(`admin.users.role.${value}`) }))}
              value={role}
              onChange={(value) => value && setRole(value as Role)}
              disabled={!isRoot || isSelf}
              allowDeselect={false}
            />
          </SimpleGrid>
          {isSelf && (
            <Text size="xs" c="dimmed">
              {t('admin.users.access.self')}
            </Text>
          )}
          <ErrorText error={update.error} />
          {saved && !dirty && (
            <Text size="sm" c="green" role="status">
              {t('admin.users.access.saved')}
            </Text>
          )}
          <Group justify="flex-end">
            <Button type="submit" variant="light" disabled={!dirty} loading={update.isPending}>
              {t('admin.common.save')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Fieldset>
  );
}
