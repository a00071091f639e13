import { Button, Container, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import { usePageTitle } from '../hooks/usePageTitle';

export default function NotFound() {
  const { t } = useTranslation();
  usePageTitle(t('notFound.title'));
  return (
    <Container size="sm" py="xl">
      <Title order={1} mb="sm">
        {t('notFound.title')}
      </Title>
      <Text c="dimmed" mb="lg">
        {t('notFound.body')}
      </Text>
      <Button component={Link} to="/" variant="default">
        {t('notFound.home')}
      </Button>
    </Container>
  );
}
