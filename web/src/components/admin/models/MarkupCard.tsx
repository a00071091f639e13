import { Button, Group, Text, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { useGlobalMarkup, useSetGlobalMarkup } from '../../../api/admin';
import { AdminSection, ErrorText } from '../AdminPage';
import { parseMarkupInput } from '../price';

/** The markup every model's price carries unless the model has its own. */
export function MarkupCard() {
  const { t } = useTranslation();
  const markup = useGlobalMarkup();
  const save = useSetGlobalMarkup();
  const [text, setText] = useState('');
  useEffect(() => {
    if (markup.data !== undefined) {
      setText(markup.data);
    }
  }, [markup.data]);
  const parsed = parseMarkupInput(text);
  const changed = parsed.ok && parsed.value !== markup.data;
  return (
    <AdminSection title={t('admin.models.markup.title')} description={t('admin.models.markup.lead')} testId="markup-card">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (parsed.ok) {
            save.mutate(parsed.value);
          }
        }}
      >
        <Group align="flex-start" gap="sm">
          <TextInput
            label={t('admin.models.markup.label')}
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            rightSection={<Text size="sm">%</Text>}
            error={!parsed.ok && text !== '' ? t(`admin.models.markup.errors.${parsed.error}`) : undefined}
            w={180}
            inputMode="decimal"
            disabled={markup.isPending}
            data-testid="global-markup"
          />
          <Button type="submit" mt={25} disabled={!changed} loading={save.isPending}>
            {t('admin.common.save')}
          </Button>
        </Group>
      </form>
      {save.isSuccess && !changed && (
        <Text size="sm" c="green" role="status">
          {t('admin.models.markup.saved')}
        </Text>
      )}
      <ErrorText error={save.error} />
    </AdminSection>
  );
}
