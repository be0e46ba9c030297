// The public pages on a 360 px phone and on a desktop: a citizen reports
// with a photo and a map pin, completes the report when staff hold it, and
// rates the final response; the map pin is placed with the keyboard alone;
// the transparency page. Staff steps go through the JSON API, because the
// staff pages have their own browser tests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'playwright-core';
import {
  PASSWORD,
  assertAccessible,
  assertNoHorizontalScroll,
  launchBrowser,
  missingPrerequisite,
  newPage,
  startServer,
} from './harness.js';

const skip = missingPrerequisite();
const VIEWPORTS = [
  ['phone', { width: 360, height: 740 }],
  ['desktop', { width: 1280, height: 900 }],
];
// A 1x1 PNG, enough for the upload check.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYGAAAAAEAAH2FzhVAAAAAElFTkSuQmCC',
  'base64',
);

/** Signs a staff member in to the JSON API and returns the request context. */
async function staffApi(base, username) {
  const api = await request.newContext({ baseURL: base });
  const response = await api.post('/api/v1/session', { data: { username, password: PASSWORD } });
  assert.equal(response.status(), 200, `API sign-in as ${username}`);
  return api;
}

/** Applies a lifecycle action to the complaint with `number` at its current version. */
async function act(api, number, action, body) {
  const current = await (await api.get(`/api/v1/complaints/by-tracking/${number}`)).json();
  const response = await api.post(`/api/v1/complaints/${current.id}/actions/${action}`, {
    data: { version: current.version, ...body },
  });
  assert.equal(response.status(), 200, `${action}: ${await response.text()}`);
}

describe('public pages', { skip: skip ?? false }, () => {
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

  for (const [name, viewport] of VIEWPORTS) {
    test(`citizen reports, completes and rates on a ${name}`, async () => {
      const page = await newPage(browser, viewport);
      await page.goto(`${server.base}/lapor`);
      await page.check('#jenis-complaint');
      await page.fill('#title', `Trotoar rusak (${name})`);
      await page.fill('#body', 'Trotoar di depan pasar berlubang dan membahayakan pejalan kaki.');
      await page.setInputFiles('#lampiran', { name: 'trotoar.png', mimeType: 'image/png', buffer: PNG });
      await page.locator('#peta-lapor').scrollIntoViewIfNeeded();
      await page.click('#peta-lapor');
      assert.notEqual(await page.inputValue('#latitude'), '', 'the tap set the pin');
      await page.check('#consent');
      await page.click('#form-lapor button[type=submit]');
      await page.waitForURL(`${server.base}/lapor/terkirim`);
      const number = (await page.textContent('#nomor-pelacakan')).trim();
      const link = await page.getAttribute('#tautan-lacak', 'href');

      const admin = await staffApi(server.base, 'admin.utama');
      await act(admin, number, 'hold', { question: 'Di depan pasar yang mana?' });
      await page.goto(`${server.base}${link}`);
      assert.equal((await page.textContent('#status-pelapor')).trim(), 'Perlu dilengkapi');
      await assertAccessible(page, `held complaint (${name})`);
      await assertNoHorizontalScroll(page, `held complaint (${name})`);
      await page.fill('#text', 'Pasar Lama, sisi jalan yang menghadap sungai.');
      await page.click('text=Kirim keterangan');
      assert.equal((await page.textContent('#status-pelapor')).trim(), 'Belum diverifikasi');

      await act(admin, number, 'verify', { complaint_type: 'complaint', category: 'PEKERJAAN UMUM DAN PENATAAN RUANG' });
      await act(admin, number, 'dispatch', { lead_agency: 'PUPR' });
      const agency = await staffApi(server.base, 'penghubung.pupr');
      await act(agency, number, 'respond', { text: 'Trotoar sudah diperbaiki.' });
      await admin.dispose();
      await agency.dispose();

      await page.goto(`${server.base}${link}`);
      assert.equal((await page.textContent('#status-pelapor')).trim(), 'Ditanggapi');
      await assertAccessible(page, `reply form (${name})`);
      await assertNoHorizontalScroll(page, `reply form (${name})`);
      await page.check('#puas-ya');
      await page.selectOption('#rating', '5');
      await page.fill('#comment', 'Terima kasih, cepat sekali.');
      await page.click('form[action="/lacak/tanggapan"] button[type=submit]');
      assert.equal((await page.textContent('#status-pelapor')).trim(), 'Selesai');
      assert.match(await page.content(), /5\/5/);
      await page.context().close();
    });
  }

  test('keyboard alone reports with a map pin', async () => {
    const page = await newPage(browser);
    await page.goto(`${server.base}/lapor`);
    const tabTo = async (id) => {
      for (let i = 0; i < 60; i += 1) {
        await page.keyboard.press('Tab');
        if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
      }
      throw new Error(`Tab never reached #${id}`);
    };
    await tabTo('body');
    await page.keyboard.type('Pohon tumbang menutup jalan di dekat jembatan.');
    await tabTo('peta-lapor');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    // The pin waits for the pan animation to end.
    await page.waitForFunction(() => document.getElementById('latitude').value !== '');
    assert.match(await page.textContent('#peta-lapor-status'), /Tanda lokasi: -3\.\d+, 114\.\d+/);
    const latitude = await page.inputValue('#latitude');
    assert.notEqual(latitude, '-3.319400', 'the arrow keys moved the map before the pin');

    // The centre button places the pin at the same point.
    await tabTo('peta-lapor-tengah');
    await page.keyboard.press('Enter');
    assert.equal(await page.inputValue('#latitude'), latitude);
    await tabTo('consent');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'submit');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${server.base}/lapor/terkirim`);
    assert.match(await page.textContent('#nomor-pelacakan'), /^BJM-\d\d-\d{6}$/);
    await page.context().close();
  });

  for (const [name, viewport] of VIEWPORTS) {
    test(`transparency page on a ${name}`, async () => {
      const page = await newPage(browser, viewport);
      await page.goto(`${server.base}/lapor`);
      await page.click('a[href="/transparansi"]');
      await page.waitForURL(`${server.base}/transparansi`);
      assert.equal(await page.textContent('h1'), 'Transparansi pengaduan');
      assert.ok(await page.locator('#peta-transparansi .leaflet-marker-icon').count() > 0, 'markers');
      assert.ok(await page.locator('#daftar-laporan > li').count() > 0, 'the list');
      await page.click('details summary');
      assert.ok(await page.locator('details tbody tr').count() > 0, 'the map table');
      await assertAccessible(page, `transparency page (${name})`);
      await assertNoHorizontalScroll(page, `transparency page (${name})`);
      await page.click('a[rel=next]');
      assert.match(await page.textContent('#daftar-judul ~ p:not(.help)'), /halaman 2/);
      await page.context().close();
    });
  }
});
