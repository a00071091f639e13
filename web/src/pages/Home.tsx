// The landing page: what this gateway is, a model search, live figures, trending and top models, and how to
// start. No charts here (the first load of / stays small); the figures come from the public rankings.
import { Box, Button, Container, Grid, Group, Stack, Text, Title, VisuallyHidden } from '@mantine/core';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import { GetStarted } from '../components/home/GetStarted';
import { HeroSearch } from '../components/home/HeroSearch';
import { ModelList } from '../components/home/ModelList';
import { StatCards } from '../components/home/StatCards';
import { usePageTitle } from '../hooks/usePageTitle';

export default function Home() {
  const { t } = useTranslation();
  const statsId = useId();
  usePageTitle(null);
  return (
    <Container size="xl" py={{ base: 'md', sm: 'xl' }} px={{ base: 0, xs: 'md' }}>
      <Stack gap={48}>
        <Box component="section" py={{ base: 'sm', sm: 'lg' }}>
          <Title order={1} fz={{ base: 32, sm: 44 }} lh={1.15} mb="md" maw={760}>
            {t('home.title')}
          </Title>
          <Text size="lg" c="dimmed" mb="lg" maw={680}>
            {t('home.lead')}
          </Text>
          <HeroSearch />
          <Group mt="md" gap="sm">
            <Button component={Link} to="/models" variant="light">
              {t('home.browseModels')}
            </Button>
            <Button component={Link} to="/rankings" variant="default">
              {t('home.seeRankings')}
            </Button>
          </Group>
        </Box>

        <Box component="section" aria-labelledby={statsId}>
          <VisuallyHidden>
            <h2 id={statsId}>{t('home.stats.heading')}</h2>
          </VisuallyHidden>
          <StatCards />
        </Box>

        <Grid gap="md">
          <Grid.Col span={{ base: 12, md: 6 }}>
            <ModelList kind="trending" />
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 6 }}>
            <ModelList kind="top" />
          </Grid.Col>
        </Grid>

        <GetStarted />
      </Stack>
    </Container>
  );
}
