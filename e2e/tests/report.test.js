// The quarterly report page and its open-data download.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { assertAccessible, launchBrowser, missingPrerequisite, newPage, signIn, startServer } from './harness.js';

const skip = missingPrerequisite();

describe('quarterly report', { skip: skip ?? false }, () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('central admin reads a demo quarter and downloads the CSV', async () => {
    const page = await newPage(browser);
    await signIn(page, server.base, 'admin.utama');
    await page.click('nav >> text=Laporan');
    await page.selectOption('#report-quarter', '2');
    await page.fill('#report-year', '2026');
    await page.click('form.filters button[type=submit]');
    assert.match(page.url(), /tahun=2026&triwulan=2/);
    assert.match(await page.textContent('h1'), /Triwulan 2 Tahun 2026/);
    const received = Number(await page.textContent('.cards li:first-child .value'));
    assert.ok(received > 0, `complaints received in the demo quarter: ${received}`);
    assert.match(await page.textContent('main'), /Diverifikasi tepat waktu/);
    await assertAccessible(page, 'report page');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('a[href^="/laporan/data.csv"]'),
    ]);
    assert.equal(download.suggestedFilename(), 'laporan-triwulan-2026-q2.csv');
    const csv = await readFile(await download.path(), 'utf8');
    assert.match(csv, /^figure,dimension,value\n/);
    assert.ok(csv.includes(`\nreceived,,${received}\n`), 'the CSV has the page\'s count');
    await page.context().close();
  });

  test('liaison admin has no report page', async () => {
    const page = await newPage(browser);
    await signIn(page, server.base, 'penghubung.dishub');
    assert.equal(await page.locator('nav >> text=Laporan').count(), 0);
    const response = await page.goto(`${server.base}/laporan?tahun=2026&triwulan=2`);
    assert.equal(response.status(), 403);
    const download = await page.request.get(`${server.base}/laporan/data.csv?tahun=2026&triwulan=2`);
    assert.equal(download.status(), 403);
    await page.context().close();
  });
});
