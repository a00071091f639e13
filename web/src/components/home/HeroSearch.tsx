import { Button, Group, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';

import { SearchIcon } from '../icons';

/** Where a search for `text` leads: the models page, filtered (it reads `q` from the URL). */
export function modelsSearchPath(text: string): string {
  const q = text.trim();
  return q === '' ? '/models' : `/models?${new URLSearchParams({ q }).toString()}`;
}

/** The hero's search box: Enter (or the button) opens the models page with the text as its query. */
export function HeroSearch() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [text, setText] = useState('');
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    void navigate(modelsSearchPath(text));
  };
  return (
    <form role="search" onSubmit={submit} aria-label={t('home.search.label')}>
      <Group gap="xs" wrap="nowrap" maw={640}>
        <TextInput
          type="search"
          size="md"
          radius="md"
          value={text}
          onChange={(event) => setText(event.currentTarget.value)}
          placeholder={t('home.search.placeholder')}
          aria-label={t('home.search.label')}
          leftSection={<SearchIcon size={18} />}
          style={{ flex: 1, minWidth: 0 }}
          data-testid="home-search"
          enterKeyHint="search"
        />
        <Button type="submit" size="md" data-testid="home-search-submit">
          {t('home.search.submit')}
        </Button>
      </Group>
    </form>
  );
}
