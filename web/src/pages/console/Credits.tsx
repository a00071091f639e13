import { Container, Grid, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import { AlertsSection } from '../../components/credits/AlertsSection';
import { BalanceSummary } from '../../components/credits/BalanceSummary';
import { RedeemCard } from '../../components/credits/RedeemCard';
import { SpendSection } from '../../components/credits/SpendSection';
import { TransactionsSection } from '../../components/credits/TransactionsSection';
import { usePageTitle } from '../../hooks/usePageTitle';

/** The account's money: balance and spend, code redemption, spend per day and model, the ledger, and the
 * low-balance alert. */
export default function CreditsPage() {
  const { t } = useTranslation();
  usePageTitle(t('credits.title'));
  return (
    <Container size="xl" py="lg" px={{ base: 0, xs: 'md' }}>
      <Stack gap="lg">
        <div>
          <Title order={1} mb={6}>
            {t('credits.title')}
          </Title>
          <Text c="dimmed" maw={760}>
            {t('credits.lead')}
          </Text>
        </div>
        <Grid gap="lg">
          <Grid.Col span={{ base: 12, lg: 8 }}>
            <BalanceSummary />
          </Grid.Col>
          <Grid.Col span={{ base: 12, lg: 4 }}>
            <RedeemCard />
          </Grid.Col>
        </Grid>
        <SpendSection />
        <TransactionsSection />
        <AlertsSection />
      </Stack>
    </Container>
  );
}
