import { Button, Group, Text, Textarea } from '@mantine/core';
import { useState, type FormEvent, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';

/** The question box: Enter sends, Shift+Enter starts a new line; while an answer streams, Stop ends it. */
export function Composer({ busy, disabled, onSend, onStop }: { busy: boolean; disabled: boolean; onSend: (text: string) => void; onStop: () => void }) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const send = () => {
    if (busy || disabled || text.trim() === '') return;
    onSend(text);
    setText('');
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    send();
  };
  const keyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };
  return (
    <form onSubmit={submit}>
      <Textarea
        label={t('playground.composer.label')}
        placeholder={t('playground.composer.placeholder')}
        value={text}
        onChange={(event) => setText(event.currentTarget.value)}
        onKeyDown={keyDown}
        autosize
        minRows={2}
        maxRows={10}
        data-testid="composer"
      />
      <Group justify="space-between" mt="xs" wrap="wrap" gap="xs">
        <Text size="xs" c="dimmed">
          {t('playground.composer.hint')}
        </Text>
        {busy ? (
          <Button color="red" variant="light" onClick={onStop} data-testid="stop">
            {t('playground.composer.stop')}
          </Button>
        ) : (
          <Button type="submit" disabled={disabled || text.trim() === ''} data-testid="send">
            {t('playground.composer.send')}
          </Button>
        )}
      </Group>
    </form>
  );
}
