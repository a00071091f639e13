import { Button, Container, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** A route that failed to render, or whose code failed to load (a new build replaced the old chunks). */
export function Crash() {
  const { t } = useTranslation();
  return (
    <Container size="sm" py="xl" role="alert">
      <Title order={1} mb="sm">
        {t('crash.title')}
      </Title>
      <Text c="dimmed" mb="lg">
        {t('crash.body')}
      </Text>
      <Button onClick={() => window.location.reload()}>{t('crash.reload')}</Button>
    </Container>
  );
}
