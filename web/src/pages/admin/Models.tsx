import { useTranslation } from 'react-i18next';

import { Placeholder } from '../Placeholder';

export default function AdminModelsPage() {
  const { t } = useTranslation();
  return <Placeholder title={t('console.nav.pricing')}>{t('console.comingSoon')}</Placeholder>;
}
