// Starts the real server with demo data on a random port and drives
// Debian's Chromium through Playwright. Browser tests may skip on a
// developer machine without Chromium, never in CI.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import assert from 'node:assert/strict';

export const PASSWORD = 'Tanggap-Demo-2026';
const ROOT = resolve(import.meta.dirname, '..', '..');
const BINARY = process.env.TANGGAP_BINARY ?? join(ROOT, 'target', 'debug', 'tanggap');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Tells why the suite cannot run here, or null when it can. */
export function missingPrerequisite() {
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push(`Chromium at ${CHROMIUM}`);
  if (!existsSync(BINARY)) missing.push(`the server binary at ${BINARY} (run cargo build)`);
  if (missing.length === 0) return null;
  if (process.env.CI) {
    throw new Error(`browser tests cannot run in CI without ${missing.join(' and ')}`);
  }
  return `missing ${missing.join(' and ')}`;
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
    server.on('error', reject);
  });
}

/**
 * Starts `tanggap serve --demo` on a fresh SQLite database, with `extraEnv`
 * added to its environment (channel secrets, for example).
 */
export async function startServer(extraEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tanggap-e2e-'));
  const port = await freePort();
  const child = spawn(BINARY, ['serve', '--demo', '--bind', `127.0.0.1:${port}`], {
    env: {
      ...process.env,
      TANGGAP_DATABASE_URL: `sqlite://${join(dir, 'e2e.db')}`,
      TANGGAP_UPLOAD_DIR: join(dir, 'files'),
      TANGGAP_LOG: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${base}/readyz`);
      if (response.ok) {
        return {
          base,
          async stop() {
            child.kill('SIGTERM');
            await new Promise((done) => child.once('exit', done));
            rmSync(dir, { recursive: true, force: true });
          },
        };
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not become ready within 120 s');
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A new page in its own context, in Indonesian unless told otherwise. */
export async function newPage(browser, { width = 1280, height = 900, locale = 'id-ID' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale });
  const page = await context.newPage();
  page.on('dialog', (dialog) => {
    throw new Error(`unexpected dialog: ${dialog.message()}`);
  });
  return page;
}

export async function signIn(page, base, username) {
  await page.goto(`${base}/masuk`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/beranda`);
}

/** Fails on any serious or critical accessibility violation. */
export async function assertAccessible(page, label) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const summary = bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(summary, [], `${label}: accessibility violations`);
}

/** Fails when the page is wider than the viewport (horizontal scrolling). */
export async function assertNoHorizontalScroll(page, label) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `${label}: page is ${overflow}px wider than the viewport`);
}
