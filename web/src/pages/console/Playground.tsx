import { useTranslation } from 'react-i18next';

import { Placeholder } from '../Placeholder';

export default function PlaygroundPage() {
  const { t } = useTranslation();
  return <Placeholder title={t('console.nav.playground')}>{t('console.comingSoon')}</Placeholder>;
}
