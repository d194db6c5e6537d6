// Global setup of the end-to-end tier: builds the dashboard from the current sources into a
// fresh folder (so the tests never run against a stale dist/web) and finds Chromium. Without
// Chromium the tier is skipped, unless BELLWETHER_E2E_REQUIRED=1 (CI) makes that an error.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    webDir: string;
    chromiumPath: string | null;
  }
}

export default async function setup(project: TestProject) {
  const chromiumPath = process.env.BELLWETHER_CHROMIUM_PATH || '/usr/bin/chromium';
  const found = existsSync(chromiumPath);
  if (!found && process.env.BELLWETHER_E2E_REQUIRED === '1') {
    throw new Error(`BELLWETHER_E2E_REQUIRED=1 but Chromium is not at ${chromiumPath}: apt-get install chromium`);
  }
  const webDir = mkdtempSync(join(tmpdir(), 'bellwether-e2e-web-'));
  await build({
    configFile: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)),
    build: { outDir: webDir, emptyOutDir: true },
    logLevel: 'warn',
  });
  project.provide('webDir', webDir);
  project.provide('chromiumPath', found ? chromiumPath : null);
  return () => rmSync(webDir, { recursive: true, force: true });
}
