import { useTranslation } from 'react-i18next';

import { Placeholder } from '../Placeholder';

export default function AdminAuditPage() {
  const { t } = useTranslation();
  return <Placeholder title={t('console.nav.audit')}>{t('console.comingSoon')}</Placeholder>;
}
