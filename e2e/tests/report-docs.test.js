// The quarterly report's workflow screens: the complaint team makes a
// version and completes the narrative, the head of section accepts it, and
// the Sekda approves it. Each page is checked with axe-core.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAccessible, launchBrowser, missingPrerequisite, newPage, signIn, startServer } from './harness.js';

const skip = missingPrerequisite();

describe('quarterly report documents', { skip: skip ?? false }, () => {
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

  test('team, head of section and Sekda take a version to approval', async () => {
    const team = await newPage(browser);
    await signIn(team, server.base, 'tim.pengaduan');
    await team.click('nav >> text=Dokumen laporan');
    await assertAccessible(team, 'report versions page');
    await team.fill('#docs-year', '2026');
    await team.selectOption('#docs-quarter', '2');
    await team.click('form[action="/laporan/versi"] button[type=submit]');
    assert.match(page(team), /\/laporan\/versi\/\d+/);
    assert.match(await team.textContent('h1'), /Triwulan 2 Tahun 2026 · Versi 1/);
    await assertAccessible(team, 'report version page');

    await team.fill('#n-findings', 'Temuan contoh: drainase tersumbat di beberapa kelurahan.');
    await team.click('form[action$="/ubah"] button[type=submit]');
    assert.match(await team.textContent('h1'), /Versi 2/);
    await team.click('form[action$="/ajukan"] button[type=submit]');
    assert.match(await team.textContent('main'), /Menunggu pemeriksaan Kepala Bagian/);
    const versionUrl = page(team);
    await team.context().close();

    const head = await newPage(browser);
    await signIn(head, server.base, 'kepala.humpro');
    await head.goto(`${server.base}${versionUrl}`);
    await assertAccessible(head, 'review form');
    await head.click('form[action$="/terima"] button[type=submit]');
    assert.match(await head.textContent('main'), /Menunggu persetujuan Sekda/);
    await head.context().close();

    const sekda = await newPage(browser);
    await signIn(sekda, server.base, 'sekda');
    await sekda.goto(`${server.base}${versionUrl}`);
    await sekda.click('form[action$="/setujui"] button[type=submit]');
    assert.match(await sekda.textContent('main'), /Disetujui Sekda/);
    const pdf = await sekda.request.get(`${server.base}${versionUrl}/berkas/pdf`);
    assert.equal(pdf.status(), 200);
    assert.equal(pdf.headers()['content-type'], 'application/pdf');
    await sekda.context().close();
  });

  test('liaison admin has no report documents', async () => {
    const liaison = await newPage(browser);
    await signIn(liaison, server.base, 'penghubung.dishub');
    assert.equal(await liaison.locator('nav >> text=Dokumen laporan').count(), 0);
    const response = await liaison.goto(`${server.base}/laporan/versi`);
    assert.equal(response.status(), 403);
    await liaison.context().close();
  });
});

/** Returns the path of a page's URL. */
function page(p) {
  return new URL(p.url()).pathname;
}
