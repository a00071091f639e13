// Renders a component inside the app's providers, at a URL, with a fresh query client.
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { createMemoryRouter, RouterProvider } from 'react-router';

import { Providers } from '../App';
import { makeQueryClient } from '../api/queries';

export function renderAt(path: string, routes: { path: string; element: ReactElement }[]) {
  const client = makeQueryClient();
  client.setDefaultOptions({ queries: { retry: false } });
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const view = render(
    <Providers client={client}>
      <RouterProvider router={router} />
    </Providers>,
  );
  return { ...view, router, client };
}
