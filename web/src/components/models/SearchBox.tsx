import { CloseButton, TextInput } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';

import { SearchIcon } from '../icons';

export const SEARCH_DEBOUNCE_MS = 300;

/**
 * The search box: what is typed reaches the URL once the typing pauses (or at Enter); a URL that changes from
 * elsewhere (the back button, a removed filter) changes the box.
 */
export function SearchBox({ value, onCommit }: { value: string; onCommit: (value: string) => void }) {
  const { t } = useTranslation();
  const [text, setText] = useState(value);
  const committed = useRef(value);
  useEffect(() => {
    if (value !== committed.current) {
      committed.current = value;
      setText(value);
    }
  }, [value]);
  const commit = (next: string) => {
    if (next !== committed.current) {
      committed.current = next;
      onCommit(next);
    }
  };
  useEffect(() => {
    if (text === committed.current) {
      return undefined;
    }
    const timer = window.setTimeout(() => commit(text), SEARCH_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  });
  return (
    <TextInput
      enterKeyHint="search"
      value={text}
      onChange={(event) => setText(event.currentTarget.value)}
      onKeyDown={(event) => {
        if (event.key === 'Enter') commit(text);
      }}
      aria-label={t('models.search.label')}
      placeholder={t('models.search.placeholder')}
      leftSection={<SearchIcon />}
      rightSection={
        text !== '' ? (
          <CloseButton
            size="sm"
            aria-label={t('models.search.clear')}
            onClick={() => {
              setText('');
              commit('');
            }}
          />
        ) : null
      }
      style={{ flex: '1 1 220px', minWidth: 0 }}
      data-testid="model-search"
    />
  );
}
