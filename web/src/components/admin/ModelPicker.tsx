import { Autocomplete } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';

import { useAdminModels } from '../../api/admin';

/** A catalogue model's slug, typed or picked from the catalogue (hidden models too: an operator may serve a
 * model before listing it). */
export function ModelPicker({
  value,
  onChange,
  label,
  error,
  placeholder,
  testId,
}: {
  value: string;
  onChange: (value: string) => void;
  label: string;
  error?: string | undefined;
  placeholder?: string;
  testId?: string;
}) {
  const [search] = useDebouncedValue(value.trim(), 250);
  const models = useAdminModels(search, 'all', 0);
  const options = (models.data?.data ?? []).slice(0, 20).map((model) => ({ value: model.id, label: model.id }));
  return (
    <Autocomplete
      label={label}
      value={value}
      onChange={onChange}
      data={options}
      error={error}
      placeholder={placeholder}
      limit={20}
      spellCheck={false}
      autoComplete="off"
      data-testid={testId}
      comboboxProps={{ withinPortal: true }}
    />
  );
}
