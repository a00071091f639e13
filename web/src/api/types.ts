// Names for the generated schema types the app uses (regenerate schema.d.ts with `npm run gen:api`).
import type { components } from './schema';

type Schemas = components['schemas'];

export type User = Schemas['UserOut'];
export type LoginBody = Schemas['LoginIn'];
export type SignupBody = Schemas['SignupIn'];
export type SignInOptions = Schemas['SignInOptionsOut'];
export type Preferences = Schemas['PreferencesOut'];
export type PreferencesChange = Schemas['PreferencesIn'];
export type Language = Preferences['language'];
export type Theme = Preferences['theme'];
