import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';

import type { Model } from '../../api/models';
import type { Capability } from './filters';
import { capabilityLabel, modelCapabilities } from './labels';

const COLORS: Record<Capability, string> = {
  tools: 'blue',
  vision: 'grape',
  reasoning: 'orange',
  structured_outputs: 'teal',
  long_context: 'gray',
};

export function CapabilityBadges({
  model,
  exclude = [],
  size = 'sm',
}: {
  model: Pick<Model, 'supported_parameters' | 'architecture' | 'context_length'>;
  exclude?: Capability[];
  size?: 'sm' | 'md';
}) {
  const { t } = useTranslation();
  return (
    <>
      {modelCapabilities(model)
        .filter((capability) => !exclude.includes(capability))
        .map((capability) => (
          <Badge key={capability} variant="light" color={COLORS[capability]} size={size} radius="sm">
            {capabilityLabel(t, capability)}
          </Badge>
        ))}
    </>
  );
}
