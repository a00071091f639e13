import { Button, Container, EmptyState, Group } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';


/** No such model on this server: say so, and offer the way back (and a search for its name). */
export function ModelNotFound({ id }: { id: string }) {
  const { t } = useTranslation();
  const name = id.split('/').pop() ?? id;
  return (
    <Container size="sm" py="xl">
      <EmptyState data-testid="model-not-found">
        <EmptyState.Title order={1}>{t('model.notFound.title')}</EmptyState.Title>
        <EmptyState.Description>{t('model.notFound.body', { id })}</EmptyState.Description>
        <Group justify="center" mt="md">
          <Button component={Link} to="/models">
            {t('model.notFound.back')}
          </Button>
          {name !== '' && (
            <Button component={Link} to={`/models?q=${encodeURIComponent(name)}`} variant="default">
              {t('model.notFound.search', { name })}
            </Button>
          )}
        </Group>
      </EmptyState>
    </Container>
  );
}
