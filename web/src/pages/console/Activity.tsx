import { useTranslation } from 'react-i18next';

import { Placeholder } from '../Placeholder';

export default function ActivityPage() {
  const { t } = useTranslation();
  return <Placeholder title={t('console.nav.activity')}>{t('console.comingSoon')}</Placeholder>;
}
