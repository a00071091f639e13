// Every page is its own chunk, loaded when first visited: the first load of / carries the shell only (charts
// and other heavy libraries belong to the pages that use them).
import { lazy } from 'react';
import { Navigate, type RouteObject } from 'react-router';

import { Layout } from './components/Layout';
import { ConsoleLayout } from './components/console/ConsoleLayout';
import { RequireAuth } from './components/console/RequireAuth';
import { Crash } from './pages/Crash';

const Home = lazy(() => import('./pages/Home'));
const Models = lazy(() => import('./pages/Models'));
const ModelDetail = lazy(() => import('./pages/ModelDetail'));
const Rankings = lazy(() => import('./pages/Rankings'));
const SignIn = lazy(() => import('./pages/SignIn'));
const SignUp = lazy(() => import('./pages/SignUp'));
const NotFound = lazy(() => import('./pages/NotFound'));
const Credits = lazy(() => import('./pages/console/Credits'));
const Keys = lazy(() => import('./pages/console/Keys'));
const Activity = lazy(() => import('./pages/console/Activity'));
const Playground = lazy(() => import('./pages/console/Playground'));
const Settings = lazy(() => import('./pages/console/Settings'));
const AdminChannels = lazy(() => import('./pages/admin/Channels'));
const AdminModels = lazy(() => import('./pages/admin/Models'));
const AdminUsers = lazy(() => import('./pages/admin/Users'));
const AdminCodes = lazy(() => import('./pages/admin/Codes'));
const AdminSettings = lazy(() => import('./pages/admin/Settings'));
const AdminAudit = lazy(() => import('./pages/admin/Audit'));

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
      {
        // The signed-in console; its admin pages also need an administrator (and the server checks again).
        element: (
          <RequireAuth>
            <ConsoleLayout />
          </RequireAuth>
        ),
        children: [
          { path: 'credits', element: <Credits /> },
          { path: 'keys', element: <Keys /> },
          { path: 'activity', element: <Activity /> },
          { path: 'playground', element: <Playground /> },
          { path: 'settings', element: <Settings /> },
          { path: 'admin', element: <Navigate to="/admin/channels" replace /> },
          { path: 'admin/channels', element: <RequireAuth admin><AdminChannels /></RequireAuth> },
          { path: 'admin/models', element: <RequireAuth admin><AdminModels /></RequireAuth> },
          { path: 'admin/users', element: <RequireAuth admin><AdminUsers /></RequireAuth> },
          { path: 'admin/codes', element: <RequireAuth admin><AdminCodes /></RequireAuth> },
          { path: 'admin/settings', element: <RequireAuth admin><AdminSettings /></RequireAuth> },
          { path: 'admin/audit', element: <RequireAuth admin><AdminAudit /></RequireAuth> },
        ],
      },
      { path: '*', element: <NotFound /> },
    ],
  },
];
