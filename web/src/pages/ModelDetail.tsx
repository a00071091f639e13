// One model: what it is and costs, who serves it here (and how well), its use over time, and how to call it.
// The tab, the chart's metric and the code sample's language live in the URL.
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Code,
  Container,
  Group,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Tabs,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';

import { ApiError } from '../api/errors';
import { useModel, useModelEndpoints, type Model } from '../api/models';
import { CodeSamples, isSampleLanguage } from '../components/model/CodeSamples';
import { sampleKind } from '../components/model/codeSamples';
import { CopyTextButton } from '../components/model/CopyText';
import { ModelNotFound } from '../components/model/ModelNotFound';
import { PricingTable } from '../components/model/PricingTable';
import { ProvidersSkeleton, ProvidersTable } from '../components/model/ProvidersTable';
import { Stat } from '../components/model/Stat';
import { UsagePanel } from '../components/model/UsagePanel';
import { CapabilityBadges } from '../components/models/CapabilityBadges';
import { ArrowLeftIcon } from '../components/icons';
import { modalityLabel } from '../components/models/labels';
import { isFreeModel, perMillion } from '../components/models/price';
import { useLocale } from '../components/models/useLocale';
import { usePageTitle } from '../hooks/usePageTitle';
import { useUrlState } from '../hooks/useUrlState';
import { describeError } from '../lib/describeError';
import { formatDate, formatTokens } from '../lib/format';

export const TABS = ['overview', 'providers', 'usage', 'api'] as const;
type Tab = (typeof TABS)[number];
const DETAIL_DEFAULTS = { tab: 'overview' as string, metric: 'requests' as string, sample: 'curl' as string };

function isTab(value: string): value is Tab {
  return (TABS as readonly string[]).includes(value);
}

function BackLink() {
  const { t } = useTranslation();
  return (
    <Anchor component={Link} to="/models" size="sm" data-testid="back-to-models">
      <Group gap={4} component="span" wrap="nowrap">
        <ArrowLeftIcon size={14} />
        {t('model.back')}
      </Group>
    </Anchor>
  );
}

function DetailSkeleton() {
  const { t } = useTranslation();
  return (
    <Container size="xl" py="lg" role="status" aria-live="polite">
      <VisuallyHidden>{t('model.loading')}</VisuallyHidden>
      <Skeleton height={12} width={100} mb="md" />
      <Skeleton height={32} width="50%" mb="sm" />
      <Skeleton height={14} width="30%" mb="lg" />
      <SimpleGrid cols={{ base: 2, sm: 4 }} mb="lg">
        {Array.from({ length: 4 }, (_, i) => (
          <Skeleton key={i} height={64} />
        ))}
      </SimpleGrid>
      <Skeleton height={200} />
    </Container>
  );
}

function Details({ model }: { model: Model }) {
  const { t } = useTranslation();
  const locale = useLocale();
  const rows: [string, React.ReactNode][] = [
    [t('model.details.id'), <Code key="id">{model.id}</Code>],
    [
      t('model.details.inputs'),
      (model.architecture.input_modalities ?? []).map((value) => modalityLabel(t, value)).join(', ') || '—',
    ],
    [
      t('model.details.outputs'),
      (model.architecture.output_modalities ?? []).map((value) => modalityLabel(t, value)).join(', ') || '—',
    ],
    [t('model.details.created'), formatDate(model.created, locale)],
  ];
  if (model.architecture.tokenizer) rows.push([t('model.details.tokenizer'), model.architecture.tokenizer]);
  if (model.knowledge_cutoff) rows.push([t('model.details.knowledgeCutoff'), model.knowledge_cutoff]);
  if (model.hugging_face_id) {
    rows.push([
      t('model.details.huggingFace'),
      <Anchor key="hf" href={`https://huggingface.co/${model.hugging_face_id}`} target="_blank" rel="noreferrer" size="sm">
        {model.hugging_face_id}
      </Anchor>,
    ]);
  }
  if (model.top_provider?.is_moderated !== undefined && model.top_provider?.is_moderated !== null) {
    rows.push([t('model.details.moderated'), model.top_provider.is_moderated ? t('model.details.yes') : t('model.details.no')]);
  }
  return (
    <Stack gap="sm">
      <Table verticalSpacing="xs" data-testid="model-details">
        <Table.Tbody>
          {rows.map(([label, value]) => (
            <Table.Tr key={label}>
              <Table.Th w="40%" fw={500} c="dimmed">
                {label}
              </Table.Th>
              <Table.Td>{value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {model.supported_parameters.length > 0 && (
        <div>
          <Text size="sm" c="dimmed" fw={500} mb={6}>
            {t('model.details.parameters', { count: model.supported_parameters.length })}
          </Text>
          <Group gap={6}>
            {model.supported_parameters.map((parameter) => (
              <Code key={parameter}>{parameter}</Code>
            ))}
          </Group>
        </div>
      )}
    </Stack>
  );
}

export default function ModelDetail() {
  const { t } = useTranslation();
  const locale = useLocale();
  const { author = '', slug = '' } = useParams();
  const id = `${author}/${slug}`;
  const [state, setState] = useUrlState(DETAIL_DEFAULTS);
  const model = useModel(author, slug);
  const endpoints = useModelEndpoints(author, slug, model.isSuccess);
  const notFound = model.isError && model.error instanceof ApiError && model.error.status === 404;
  usePageTitle(notFound ? t('model.notFound.title') : (model.data?.name ?? id));

  if (notFound) {
    return <ModelNotFound id={id} />;
  }
  if (model.isError) {
    return (
      <Container size="xl" py="lg">
        <BackLink />
        <Title order={1} mt="sm" mb="md">
          {id}
        </Title>
        <Alert color="red" title={t('model.error')} role="alert" data-testid="model-error">
          <Stack gap="sm" align="flex-start">
            <Text size="sm">{describeError(model.error, t, locale)}</Text>
            <Button size="xs" variant="default" onClick={() => void model.refetch()} loading={model.isFetching}>
              {t('models.error.retry')}
            </Button>
          </Stack>
        </Alert>
      </Container>
    );
  }
  if (model.data === undefined) {
    return <DetailSkeleton />;
  }

  const data = model.data;
  const tab: Tab = isTab(state.tab) ? state.tab : 'overview';
  const metric = state.metric === 'tokens' ? 'tokens' : 'requests';
  const sample = isSampleLanguage(state.sample) ? state.sample : 'curl';
  const free = isFreeModel(data.pricing);
  const priceText = (perToken: string) => (free ? t('models.price.free') : (perMillion(perToken, locale) ?? t('models.price.varies')));
  const maxOutput = data.top_provider?.max_completion_tokens;
  const endpointCount = endpoints.data?.endpoints.length;
  const modelAuthor = data.id.split('/', 1)[0] ?? author;

  return (
    <Container size="xl" py="lg">
      <BackLink />
      <Stack gap={6} mt="sm" mb="lg">
        <Title order={1} style={{ overflowWrap: 'anywhere' }}>
          {data.name}
        </Title>
        <Group gap={6} wrap="wrap">
          <Code data-testid="model-id">{data.id}</Code>
          <CopyTextButton value={data.id} label={t('model.copyId')} compact />
          <Text size="sm" c="dimmed">
            {t('model.byAuthor')}{' '}
            <Anchor component={Link} to={`/models?authors=${encodeURIComponent(modelAuthor)}`} size="sm">
              {modelAuthor}
            </Anchor>
          </Text>
        </Group>
        <Group gap={6} mt={4}>
          <CapabilityBadges model={data} size="md" />
          {free && (
            <Badge color="green" variant="light" radius="sm" size="md">
              {t('models.price.free')}
            </Badge>
          )}
        </Group>
      </Stack>

      <SimpleGrid cols={{ base: 2, sm: 4 }} mb="xl" spacing="sm">
        <Stat
          label={t('model.stats.context')}
          value={data.context_length ? t('model.stats.tokens', { tokens: formatTokens(data.context_length, locale) }) : '—'}
          testId="stat-context"
        />
        <Stat
          label={t('model.stats.maxOutput')}
          value={maxOutput ? t('model.stats.tokens', { tokens: formatTokens(maxOutput, locale) }) : '—'}
          testId="stat-max-output"
        />
        <Stat label={t('model.stats.input')} value={priceText(data.pricing.prompt)} testId="stat-input-price" />
        <Stat label={t('model.stats.output')} value={priceText(data.pricing.completion)} testId="stat-output-price" />
      </SimpleGrid>

      <Tabs value={tab} onChange={(value) => setState({ tab: value ?? 'overview' })} keepMounted={false} styles={{ tab: { flexShrink: 0, paddingInline: 12 } }}>
        {/* One row on phones too: the tabs scroll sideways rather than wrap. */}
        <Tabs.List mb="lg" style={{ flexWrap: 'nowrap', overflowX: 'auto', overflowY: 'hidden' }}>
          <Tabs.Tab value="overview">{t('model.tabs.overview')}</Tabs.Tab>
          <Tabs.Tab
            value="providers"
            rightSection={
              endpointCount !== undefined ? (
                <Badge size="xs" variant="light" circle>
                  {endpointCount}
                </Badge>
              ) : undefined
            }
          >
            {t('model.tabs.providers')}
          </Tabs.Tab>
          <Tabs.Tab value="usage">{t('model.tabs.usage')}</Tabs.Tab>
          <Tabs.Tab value="api">{t('model.tabs.api')}</Tabs.Tab>
        </Tabs.List>

        <Tabs.Panel value="overview">
          <SimpleGrid cols={{ base: 1, md: 2 }} spacing="xl">
            <Stack gap="md">
              <Title order={2} size="h4">
                {t('model.overview.about')}
              </Title>
              <Text style={{ whiteSpace: 'pre-line' }} data-testid="model-description">
                {data.description || t('models.card.noDescription')}
              </Text>
              <Details model={data} />
            </Stack>
            <Stack gap="md">
              <Title order={2} size="h4">
                {t('model.overview.pricing')}
              </Title>
              <PricingTable pricing={data.pricing} />
            </Stack>
          </SimpleGrid>
        </Tabs.Panel>

        <Tabs.Panel value="providers">
          <Title order={2} size="h4" mb="sm">
            {t('model.providers.title')}
          </Title>
          {endpoints.isError ? (
            <Alert color="red" title={t('model.providers.error')} role="alert">
              <Stack gap="sm" align="flex-start">
                <Text size="sm">{describeError(endpoints.error, t, locale)}</Text>
                <Button size="xs" variant="default" onClick={() => void endpoints.refetch()}>
                  {t('models.error.retry')}
                </Button>
              </Stack>
            </Alert>
          ) : endpoints.data === undefined ? (
            <ProvidersSkeleton />
          ) : endpoints.data.endpoints.length === 0 ? (
            <Text c="dimmed">{t('model.providers.none')}</Text>
          ) : (
            <>
              <ProvidersTable endpoints={endpoints.data.endpoints} />
              <Text size="xs" c="dimmed" mt="xs">
                {t('model.providers.caption')} {t('model.providers.note')}
              </Text>
            </>
          )}
        </Tabs.Panel>

        <Tabs.Panel value="usage">
          <Title order={2} size="h4" mb="sm">
            {t('model.usage.title')}
          </Title>
          <UsagePanel author={author} slug={slug} metric={metric} onMetric={(next) => setState({ metric: next }, { replace: true })} />
        </Tabs.Panel>

        <Tabs.Panel value="api">
          <Title order={2} size="h4" mb="sm">
            {t('model.api.title')}
          </Title>
          <CodeSamples
            modelId={data.id}
            kind={sampleKind(data.architecture.output_modalities)}
            language={sample}
            onLanguage={(language) => setState({ sample: language }, { replace: true })}
          />
        </Tabs.Panel>
      </Tabs>
    </Container>
  );
}
