// How to call the model from code, against this server, with a copy button.
import { Code, Group, Paper, SegmentedControl, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { CopyTextButton } from './CopyText';
import { API_KEY_VARIABLE, apiBaseUrl, codeSample, SAMPLE_LANGUAGES, type SampleLanguage, type SampleTarget } from './codeSamples';

export function isSampleLanguage(value: string): value is SampleLanguage {
  return (SAMPLE_LANGUAGES as readonly string[]).includes(value);
}

export function CodeSamples({
  modelId,
  kind,
  language,
  onLanguage,
}: {
  modelId: string;
  kind: SampleTarget['kind'];
  language: SampleLanguage;
  onLanguage: (language: SampleLanguage) => void;
}) {
  const { t } = useTranslation();
  const baseUrl = apiBaseUrl();
  const code = codeSample(language, { baseUrl, modelId, kind });
  return (
    <Stack gap="md">
      <Text size="sm">
        {t('model.api.intro', { baseUrl })}
      </Text>
      <Group gap="xs" wrap="wrap">
        <Text size="sm" c="dimmed">
          {t('model.api.baseUrl')}
        </Text>
        <Code data-testid="base-url">{baseUrl}</Code>
        <CopyTextButton value={baseUrl} label={t('model.api.copyBaseUrl')} compact />
      </Group>
      <Paper withBorder radius="md">
        <Group justify="space-between" p="xs" gap="xs" wrap="wrap">
          <SegmentedControl
            size="xs"
            value={language}
            onChange={(value) => onLanguage(isSampleLanguage(value) ? value : 'curl')}
            aria-label={t('model.api.language')}
            data={SAMPLE_LANGUAGES.map((value) => ({ value, label: t(`model.api.languages.${value}`) }))}
          />
          <CopyTextButton value={code} label={t('model.api.copyCode', { language: t(`model.api.languages.${language}`) })} />
        </Group>
        <Code block data-testid="code-sample" role="region" style={{ borderRadius: 0, borderBottomLeftRadius: 'var(--mantine-radius-md)', borderBottomRightRadius: 'var(--mantine-radius-md)', overflowX: 'auto' }} tabIndex={0} aria-label={t('model.api.sampleLabel', { language: t(`model.api.languages.${language}`) })}>
          {code}
        </Code>
      </Paper>
      <Text size="xs" c="dimmed">
        {t('model.api.keyHint', { variable: API_KEY_VARIABLE })}
      </Text>
    </Stack>
  );
}
