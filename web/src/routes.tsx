// Every page is its own chunk, loaded when first visited: the first load of / carries the shell only (charts
// and other heavy libraries belong to the pages that use them).
import { lazy } from 'react';
import type { RouteObject } from 'react-router';

import { Layout } from './components/Layout';
import { Crash } from './pages/Crash';

const Home = lazy(() => import('./pages/Home'));
const Models = lazy(() => import('./pages/Models'));
const ModelDetail = lazy(() => import('./pages/ModelDetail'));
const Rankings = lazy(() => import('./pages/Rankings'));
const SignIn = lazy(() => import('./pages/SignIn'));
const SignUp = lazy(() => import('./pages/SignUp'));
const NotFound = lazy(() => import('./pages/NotFound'));

export const routes: RouteObject[] = [
  {
    path: '/',
    element: <Layout />,
    errorElement: <Crash />,
    children: [
      { index: true, element: <Home /> },
      { path: 'models', element: <Models /> },
      { path: 'models/:author/:slug', element: <ModelDetail /> },
      { path: 'rankings', element: <Rankings /> },
      { path: 'signin', element: <SignIn /> },
      { path: 'signup', element: <SignUp /> },
      { path: '*', element: <NotFound /> },
    ],
  },
];
