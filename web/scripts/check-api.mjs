// Fails the build when src/api/schema.d.ts is not what openapi-typescript makes of openapi.json today:
// regenerates into a temporary file with the same command as `npm run gen:api`, and compares.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const committed = join(web, 'src', 'api', 'schema.d.ts');
const dir = mkdtempSync(join(tmpdir(), 'modelyard-api-'));
const fresh = join(dir, 'schema.d.ts');
try {
  execFileSync(
    process.execPath,
    [join(web, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'), join(web, 'openapi.json'), '-o', fresh],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const want = readFileSync(fresh, 'utf8');
  const have = existsSync(committed) ? readFileSync(committed, 'utf8') : '';
  if (want !== have) {
    console.error(
      'web/src/api/schema.d.ts is stale versus web/openapi.json: run `npm run gen:api` in web/ ' +
        '(after `.venv/bin/python -m modelyard.openapi_export` when the API changed) and commit both.',
    );
    process.exit(1);
  }
  console.log('web/src/api/schema.d.ts matches web/openapi.json');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
