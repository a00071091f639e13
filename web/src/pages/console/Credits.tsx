import { useTranslation } from 'react-i18next';

import { Placeholder } from '../Placeholder';

export default function CreditsPage() {
  const { t } = useTranslation();
  return <Placeholder title={t('console.nav.credits')}>{t('console.comingSoon')}</Placeholder>;
}
