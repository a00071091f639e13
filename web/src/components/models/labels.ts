// Words for the catalogue's values (modalities, capabilities, sorts), in the page's language; values the app
// has no words for (a new modality, an author, a provider) are shown as they are.
import type { TFunction } from 'i18next';

import type { Model, ModelSort } from '../../api/models';
import { LONG_CONTEXT, type Capability, type InputModality } from './filters';

export function modalityLabel(t: TFunction, value: string): string {
  return t(`models.modality.${value as InputModality}`, { defaultValue: value });
}

export function capabilityLabel(t: TFunction, capability: Capability): string {
  return t(`models.capability.${capability}`);
}

export function sortLabel(t: TFunction, sort: ModelSort): string {
  return t(`models.sort.${sort}`);
}

/** What a model can do, as the capability filters name it. */
export function modelCapabilities(model: Pick<Model, 'supported_parameters' | 'architecture' | 'context_length'>): Capability[] {
  const params = new Set(model.supported_parameters ?? []);
  const capabilities: Capability[] = [];
  if (params.has('tools')) capabilities.push('tools');
  if ((model.architecture.input_modalities ?? []).includes('image')) capabilities.push('vision');
  if (params.has('reasoning')) capabilities.push('reasoning');
  if (params.has('structured_outputs')) capabilities.push('structured_outputs');
  if ((model.context_length ?? 0) >= LONG_CONTEXT) capabilities.push('long_context');
  return capabilities;
}
