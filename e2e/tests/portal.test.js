// The public portal: a citizen reports without an account, tracks the
// report, and completes it when staff put it on hold.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, deflateSync } from 'node:zlib';
import {
  assertAccessible,
  assertNoHorizontalScroll,
  launchBrowser,
  missingPrerequisite,
  newPage,
  signIn,
  startServer,
} from './harness.js';

const skip = missingPrerequisite();
const PHONE = { width: 360, height: 740 };

/** Builds a small RGB PNG, so the test needs no image file. */
function smallPng(width, height) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, checksum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // RGB
  const row = Buffer.alloc(1 + width * 3, 120); // filter byte, then grey pixels
  row[0] = 0;
  const rows = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Fills and sends the report form; returns the tracking number, secret and link. */
async function report(page, base, title, { photo = false, pin = false } = {}) {
  await page.goto(`${base}/lapor`);
  await page.check('#jenis-complaint');
  await page.fill('#title', title);
  await page.fill('#body', 'Lampu penerangan jalan di depan gang 3 mati sejak Senin malam.');
  await page.selectOption('#kelurahan_code', '63.71.03.1001');
  await page.fill('#address', 'Jl. Pramuka, depan gang 3');
  await page.fill('#name', 'Siti Warga Uji');
  await page.fill('#phone', '0812-5555-0199');
  if (photo) {
    await page.setInputFiles('#lampiran', {
      name: 'lampu.png',
      mimeType: 'image/png',
      buffer: smallPng(24, 16),
    });
  }
  if (pin) {
    // A tap in the middle of the map, which opens on the city centre.
    await page.locator('#peta-lapor').scrollIntoViewIfNeeded();
    await page.click('#peta-lapor');
    assert.match(await page.textContent('#peta-lapor-status'), /Tanda lokasi: -3\.\d+, 114\.\d+/);
    assert.notEqual(await page.inputValue('#latitude'), '');
  }
  await page.check('#consent');
  await page.click('#form-lapor button[type=submit]');
  await page.waitForURL(`${base}/lapor/terkirim`);
  const number = (await page.textContent('#nomor-pelacakan')).trim();
  const secret = (await page.textContent('#kode-rahasia')).trim();
  const link = await page.getAttribute('#tautan-lacak', 'href');
  assert.match(number, /^BJM-\d\d-\d{6}$/);
  assert.match(secret, /^[0-9a-f]{32}$/);
  return { number, secret, link };
}

describe('public portal', { skip: skip ?? false }, () => {
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

  test('citizen reports and tracks on a phone', async () => {
    const page = await newPage(browser, PHONE);
    await page.goto(`${server.base}/`);
    await page.goto(`${server.base}/lapor`);
    await assertAccessible(page, 'report form');
    await assertNoHorizontalScroll(page, 'report form');
    const { number, secret, link } = await report(page, server.base, 'Lampu jalan mati di Jl. Pramuka', {
      photo: true,
      pin: true,
    });
    assert.equal(await page.locator('.error').count(), 0, 'the photo was stored');
    await assertAccessible(page, 'receipt');
    await assertNoHorizontalScroll(page, 'receipt');

    // The receipt is shown once.
    await page.reload();
    assert.doesNotMatch(await page.content(), new RegExp(secret));

    await page.goto(`${server.base}/lacak`);
    await assertAccessible(page, 'tracking form');
    await page.fill('#nomor', number);
    await page.fill('#kode', secret);
    await page.click('#form-lacak button[type=submit]');
    assert.equal((await page.textContent('#status-pelapor')).trim(), 'Belum diverifikasi');
    assert.match(await page.textContent('#riwayat-publik'), /Laporan diterima/);
    assert.doesNotMatch(await page.content(), /Siti Warga Uji/);
    await assertAccessible(page, 'tracked complaint');
    await assertNoHorizontalScroll(page, 'tracked complaint');

    // The bookmarked link opens the same page.
    await page.goto(`${server.base}${link}`);
    assert.equal((await page.textContent('#status-pelapor')).trim(), 'Belum diverifikasi');

    // The language switch keeps the complaint on screen.
    await page.click('a[hreflang=en]');
    assert.equal((await page.textContent('#status-pelapor')).trim(), 'Not yet verified');
    await page.click('a[hreflang=id]');
    await page.context().close();
  });

  test('wrong secret shows one generic message', async () => {
    const page = await newPage(browser, PHONE);
    const response = await page.goto(`${server.base}/lacak?nomor=BJM-26-000001&kode=salah`);
    assert.equal(response.status(), 404);
    assert.match(await page.textContent('#track-errors'), /Laporan tidak ditemukan/);
    await page.context().close();
  });

  test('reporter completes a held report', async () => {
    const citizen = await newPage(browser, PHONE);
    const title = 'Lampu taman mati di Kelurahan Uji Tunda';
    const { number, link } = await report(citizen, server.base, title);

    const staff = await newPage(browser);
    await signIn(staff, server.base, 'admin.utama');
    await staff.goto(`${server.base}/pengaduan?q=${encodeURIComponent('Uji Tunda')}`);
    await staff.click(`text=${number}`);
    await staff.click('#aksi-hold summary');
    await staff.fill('#hold-question', 'Di nomor berapa tepatnya lampu yang mati?');
    await staff.click('#aksi-hold button[type=submit]');
    assert.equal((await staff.textContent('.status')).trim(), 'Perlu dilengkapi');
    await staff.context().close();

    await citizen.goto(`${server.base}${link}`);
    assert.equal((await citizen.textContent('#status-pelapor')).trim(), 'Perlu dilengkapi');
    const history = await citizen.textContent('#riwayat-publik');
    assert.match(history, /Di nomor berapa tepatnya/);
    assert.match(history, /Admin/);
    assert.doesNotMatch(history, /admin\.utama/);
    await assertAccessible(citizen, 'held complaint');
    await citizen.fill('#text', 'Lampu di depan rumah nomor 12 dan 14.');
    await citizen.click('text=Kirim keterangan');
    assert.match(await citizen.textContent('.flash'), /sudah terkirim/);
    assert.equal((await citizen.textContent('#status-pelapor')).trim(), 'Belum diverifikasi');
    assert.match(await citizen.textContent('#riwayat-publik'), /rumah nomor 12 dan 14/);
    await citizen.context().close();
  });

  test('report works with the keyboard alone', async () => {
    const page = await newPage(browser);
    await page.goto(`${server.base}/lapor`);
    const tabTo = async (id) => {
      for (let i = 0; i < 40; i += 1) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(() => document.activeElement?.id) === id) return;
      }
      throw new Error(`Tab never reached #${id}`);
    };
    await tabTo('body');
    await page.keyboard.type('Sampah menumpuk di pinggir Jl. Veteran sejak tiga hari.');
    await tabTo('consent');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'submit');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${server.base}/lapor/terkirim`);
    assert.match(await page.textContent('#nomor-pelacakan'), /^BJM-\d\d-\d{6}$/);
    await page.context().close();
  });

  test('report form is in English after the language switch', async () => {
    const page = await newPage(browser);
    await page.goto(`${server.base}/lapor`);
    await page.click('a[hreflang=en]');
    assert.equal(await page.textContent('h1'), 'Send a report');
    await assertAccessible(page, 'English report form');
    await page.context().close();
  });
});
