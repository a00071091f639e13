import { Badge, Box, Button, Code, Group, Paper, SimpleGrid, Stack, Tabs, Text, ThemeIcon, Title, VisuallyHidden } from '@mantine/core';
import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import { useCatalogModels } from '../../api/catalog';
import { useMe } from '../../api/queries';
import { useRankings } from '../../api/rankings';
import { CheckIcon, CopyIcon } from '../icons';
import { FALLBACK_MODEL, apiBaseUrl, copyText, curlSnippet, pythonSnippet } from './snippets';

type CopyState = 'idle' | 'copied' | 'failed';

function CopyCodeButton({ text }: { text: string }) {
  const { t } = useTranslation();
  const [state, setState] = useState<CopyState>('idle');
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const copy = async () => {
    try {
      await copyText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setState('idle'), 2000);
  };
  return (
    <Button
      size="compact-sm"
      variant={state === 'copied' ? 'light' : 'default'}
      color={state === 'copied' ? 'teal' : state === 'failed' ? 'red' : undefined}
      leftSection={state === 'copied' ? <CheckIcon size={14} /> : <CopyIcon size={14} />}
      onClick={() => void copy()}
      aria-label={t('home.getStarted.copyCode')}
      data-testid="copy-code"
    >
      <span aria-live="polite">
        {state === 'copied' ? t('home.getStarted.copied') : state === 'failed' ? t('home.getStarted.copyFailed') : t('home.getStarted.copy')}
      </span>
    </Button>
  );
}

function Step({ number, title, done, children }: { number: number; title: string; done?: boolean; children: React.ReactNode }) {
  const { t } = useTranslation();
  return (
    <Paper component="li" withBorder radius="md" p="md" style={{ listStyle: 'none' }}>
      <Group gap="sm" wrap="nowrap" align="center" mb="xs">
        <ThemeIcon radius="xl" size={30} variant={done ? 'filled' : 'light'} color={done ? 'teal' : undefined} aria-hidden="true">
          {done ? <CheckIcon size={16} /> : <Text fw={700} size="sm">{number}</Text>}
        </ThemeIcon>
        <Title order={3} size="h5">
          <VisuallyHidden>{t('home.getStarted.stepNumber', { number })}</VisuallyHidden>
          {title}
        </Title>
        {done && (
          <Badge color="teal" variant="light" size="sm">
            {t('home.getStarted.done')}
          </Badge>
        )}
      </Group>
      <Stack gap="xs">{children}</Stack>
    </Paper>
  );
}

/** Sign up, create a key, call the API: with a curl and a Python sample for this server's base URL. */
export function GetStarted() {
  const { t } = useTranslation();
  const titleId = useId();
  const me = useMe();
  const signedIn = Boolean(me.data);
  const top = useRankings('tokens', 'week');
  const catalog = useCatalogModels();
  const model = top.data?.models[0]?.model ?? catalog.data?.[0]?.id ?? FALLBACK_MODEL;
  const baseUrl = apiBaseUrl();
  const samples = { curl: curlSnippet(baseUrl, model), python: pythonSnippet(baseUrl, model) };
  const [tab, setTab] = useState<keyof typeof samples>('curl');
  return (
    <Box component="section" aria-labelledby={titleId}>
      <Title order={2} id={titleId} mb="md">
        {t('home.getStarted.title')}
      </Title>
      <SimpleGrid component="ol" cols={{ base: 1, md: 3 }} spacing="md" p={0} m={0}>
        <Step number={1} title={t('home.getStarted.step1Title')} done={signedIn}>
          {signedIn ? (
            <Text size="sm">{t('home.getStarted.step1Done', { email: me.data?.email ?? '' })}</Text>
          ) : (
            <>
              <Text size="sm" c="dimmed">
                {t('home.getStarted.step1Body')}
              </Text>
              <Group gap="xs">
                <Button component={Link} to="/signup" size="sm">
                  {t('home.getStarted.signUp')}
                </Button>
                <Button component={Link} to="/signin" size="sm" variant="default">
                  {t('home.getStarted.signIn')}
                </Button>
              </Group>
            </>
          )}
        </Step>
        <Step number={2} title={t('home.getStarted.step2Title')}>
          <Text size="sm" c="dimmed">
            {t('home.getStarted.step2Body')}
          </Text>
          <Code>export MODELYARD_API_KEY=…</Code>
        </Step>
        <Step number={3} title={t('home.getStarted.step3Title')}>
          <Text size="sm" c="dimmed">
            {t('home.getStarted.step3Body')}
          </Text>
          <Code data-testid="base-url" style={{ wordBreak: 'break-all' }}>
            {baseUrl}
          </Code>
        </Step>
      </SimpleGrid>
      <Paper withBorder radius="md" mt="md" p={0} style={{ overflow: 'hidden' }}>
        <Tabs value={tab} onChange={(value) => value !== null && setTab(value as keyof typeof samples)}>
          <Group justify="space-between" wrap="nowrap" pr="sm" style={{ borderBottom: '1px solid var(--mantine-color-default-border)' }}>
            <Tabs.List style={{ borderBottom: 0 }} aria-label={t('home.getStarted.codeLabel')}>
              <Tabs.Tab value="curl">{t('home.getStarted.curl')}</Tabs.Tab>
              <Tabs.Tab value="python">{t('home.getStarted.python')}</Tabs.Tab>
            </Tabs.List>
            <CopyCodeButton text={samples[tab]} />
          </Group>
          {(Object.keys(samples) as (keyof typeof samples)[]).map((key) => (
            <Tabs.Panel key={key} value={key}>
              <Code
                block
                tabIndex={0}
                aria-label={t('home.getStarted.codeSample', { language: t(`home.getStarted.${key}`) })}
                data-testid={`code-${key}`}
                style={{ borderRadius: 0, fontSize: 13, overflowX: 'auto' }}
              >
                {samples[key]}
              </Code>
            </Tabs.Panel>
          ))}
        </Tabs>
      </Paper>
    </Box>
  );
}
