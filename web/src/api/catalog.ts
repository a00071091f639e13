// OpenRouter-shaped catalogue routes (/api/v1/models...). The server serves them as plain routes outside its
// OpenAPI document, so their types are written here, after OpenRouter's documented shapes; they go through the
// same fetch (cookies, CSRF, refresh) as the generated client.
import { useQuery } from '@tanstack/react-query';

import { apiFetch } from './client';
import { NetworkError, apiError } from './errors';

/** Prices are USD per token (per request, per image...) as decimal strings, e.g. "0.00000045"; "-1" = varies. */
export type Pricing = Partial<
  Record<'prompt' | 'completion' | 'request' | 'image' | 'web_search' | 'internal_reasoning' | 'input_cache_read' | 'input_cache_write', string>
> &
  Record<string, string | undefined>;

export interface CatalogModel {
  id: string;
  canonical_slug?: string | null;
  name: string;
  created: number;
  description?: string | null;
  context_length: number | null;
  architecture: {
    modality?: string | null;
    input_modalities: string[];
    output_modalities: string[];
    tokenizer?: string | null;
    instruct_type?: string | null;
  };
  pricing: Pricing;
  top_provider?: { context_length?: number | null; max_completion_tokens?: number | null; is_moderated?: boolean } | null;
  supported_parameters?: string[] | null;
}

/** A GET of a route the generated client does not know, with the same error handling as `unwrap`. */
export async function getJson<T>(path: string, params: Record<string, string> = {}): Promise<T> {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(params)) {
    url.searchParams.set(name, value);
  }
  let response: Response;
  try {
    response = await apiFetch(new Request(url, { credentials: 'include', headers: { Accept: 'application/json' } }));
  } catch (cause) {
    throw new NetworkError(cause);
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    throw apiError(response, body);
  }
  return body as T;
}

export function useCatalogModels() {
  return useQuery<CatalogModel[]>({
    queryKey: ['catalog', 'models'],
    queryFn: async () => (await getJson<{ data: CatalogModel[] }>('/api/v1/models')).data,
    staleTime: 5 * 60_000,
  });
}
