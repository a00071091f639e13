import { useTranslation } from 'react-i18next';

import { Placeholder } from '../Placeholder';

export default function AdminCodesPage() {
  const { t } = useTranslation();
  return <Placeholder title={t('console.nav.codes')}>{t('console.comingSoon')}</Placeholder>;
}
