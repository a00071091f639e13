import { Group, NumberInput, SimpleGrid, Switch, Textarea } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { Conversation } from './conversations';

export type Parameters = Pick<Conversation, 'system' | 'temperature' | 'maxTokens' | 'stream'>;

/** The system prompt, temperature, max tokens and streaming of the conversation. */
export function ParametersPanel({ value, onChange, disabled }: { value: Parameters; onChange: (patch: Partial<Parameters>) => void; disabled?: boolean }) {
  const { t } = useTranslation();
  const number = (raw: string | number): number | null => (raw === '' || raw === null ? null : Number(raw));
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm" data-testid="parameters">
      <Textarea
        label={t('playground.params.system')}
        description={t('playground.params.systemHint')}
        value={value.system}
        onChange={(event) => onChange({ system: event.currentTarget.value })}
        autosize
        minRows={2}
        maxRows={8}
        disabled={disabled}
        style={{ gridColumn: '1 / -1' }}
        data-testid="param-system"
      />
      <NumberInput
        label={t('playground.params.temperature')}
        description={t('playground.params.temperatureHint')}
        placeholder={t('playground.params.modelDefault')}
        value={value.temperature ?? ''}
        onChange={(raw) => onChange({ temperature: number(raw) })}
        min={0}
        max={2}
        step={0.1}
        decimalScale={2}
        disabled={disabled}
        data-testid="param-temperature"
      />
      <NumberInput
        label={t('playground.params.maxTokens')}
        description={t('playground.params.maxTokensHint')}
        placeholder={t('playground.params.modelDefault')}
        value={value.maxTokens ?? ''}
        onChange={(raw) => onChange({ maxTokens: number(raw) })}
        min={1}
        step={64}
        allowDecimal={false}
        allowNegative={false}
        disabled={disabled}
        data-testid="param-max-tokens"
      />
      <Group style={{ gridColumn: '1 / -1' }}>
        <Switch
          label={t('playground.params.stream')}
          checked={value.stream}
          onChange={(event) => onChange({ stream: event.currentTarget.checked })}
          disabled={disabled}
          data-testid="param-stream"
        />
      </Group>
    </SimpleGrid>
  );
}
