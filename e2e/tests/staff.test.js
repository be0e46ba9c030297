// Main flows of the staff application, on the demo data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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

describe('staff application', { skip: skip ?? false }, () => {
  let server;
  let browser;
  let complaintPath;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('sign-in works with the keyboard alone', async () => {
    const page = await newPage(browser);
    await page.goto(`${server.base}/masuk`);
    await assertAccessible(page, 'sign-in page');
    await page.keyboard.type('admin.utama');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Tanggap-Demo-2026');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${server.base}/beranda`);
    assert.match(await page.textContent('h1'), /Beranda/);
    await page.context().close();
  });

  test('wrong password shows an Indonesian error', async () => {
    const page = await newPage(browser);
    await page.goto(`${server.base}/masuk`);
    await page.fill('#username', 'admin.utama');
    await page.fill('#password', 'salah-sekali-123');
    await page.click('button[type=submit]');
    assert.match(await page.textContent('#login-error'), /Nama pengguna atau kata sandi salah/);
    await page.context().close();
  });

  test('central admin records a walk-in complaint', async () => {
    const page = await newPage(browser);
    await signIn(page, server.base, 'admin.utama');
    await assertAccessible(page, 'central admin home');
    await page.click('text=Catat pengaduan');
    await assertAccessible(page, 'record form');
    await page.selectOption('#channel', 'walk_in');
    await page.fill('#title', 'Drainase tersumbat di Jl. Pramuka');
    await page.fill('#body', 'Saluran air di depan toko nomor 5 tersumbat sampah sejak seminggu.');
    // Incomplete first: the form warns before saving.
    await page.click('form.record button[type=submit]');
    assert.match(await page.textContent('#incomplete-warning'), /belum lengkap/);
    await page.selectOption('#kelurahan_code', '63.71.03.1001');
    await page.fill('#name', 'Rahmat Hidayat');
    await page.fill('#phone', '0812-5555-0101');
    await page.click('form.record button[type=submit]');
    const flash = await page.textContent('.flash');
    assert.match(flash, /BJM-\d\d-\d{6} tercatat/);
    complaintPath = new URL(page.url()).pathname;
    assert.equal(await page.textContent('.status'), 'Belum diverifikasi');
    await page.context().close();
  });

  test('central admin verifies and dispatches', async () => {
    const page = await newPage(browser);
    await signIn(page, server.base, 'admin.utama');
    await page.goto(`${server.base}/pengaduan?status=received`);
    await assertAccessible(page, 'complaint list');
    assert.match(await page.textContent('#hasil'), /Drainase tersumbat di Jl\. Pramuka/);
    await page.goto(`${server.base}${complaintPath}`);
    await assertAccessible(page, 'complaint page');
    await page.click('#aksi-verify summary');
    await page.selectOption('#verify-category', 'TOPIK LAINNYA');
    await page.click('#aksi-verify button[type=submit]');
    assert.match(await page.textContent('.flash'), /tersimpan/);
    assert.equal(await page.textContent('.status'), 'Terverifikasi');
    await page.click('#aksi-dispatch summary');
    await page.selectOption('#dispatch-lead_agency', 'PUPR');
    await page.fill('#dispatch-instruction', 'Mohon segera dibersihkan.');
    await page.click('#aksi-dispatch button[type=submit]');
    assert.equal(await page.textContent('.status'), 'Terdisposisi');
    await page.context().close();
  });

  test('liaison admin follows up and answers', async () => {
    const page = await newPage(browser);
    await signIn(page, server.base, 'penghubung.pupr');
    await assertAccessible(page, 'liaison home');
    await page.goto(`${server.base}${complaintPath}`);
    // The reporter is not anonymous, so the agency sees who reported.
    assert.match(await page.textContent('.side-col'), /Rahmat Hidayat/);
    await page.click('#aksi-follow-up summary');
    await page.fill('#follow-up-text', 'Tim kebersihan dijadwalkan besok pagi.');
    await page.click('#aksi-follow-up button[type=submit]');
    assert.equal(await page.textContent('.status'), 'Ditindaklanjuti');
    await page.click('#aksi-respond summary');
    await page.fill('#respond-text', 'Saluran sudah dibersihkan pada pukul 08.00.');
    await page.click('#aksi-respond button[type=submit]');
    assert.equal(await page.textContent('.status'), 'Ditanggapi');
    assert.match(await page.textContent('.timeline'), /Saluran sudah dibersihkan/);
    await page.context().close();
  });

  test('liaison admin of another agency cannot open it', async () => {
    const page = await newPage(browser);
    await signIn(page, server.base, 'penghubung.dishub');
    const response = await page.goto(`${server.base}${complaintPath}`);
    assert.equal(response.status(), 404);
    assert.match(await page.textContent('main'), /Halaman tidak ditemukan/);
    assert.doesNotMatch(await page.content(), /Drainase tersumbat/);
    await page.context().close();
  });

  test('typed HTML and script show as text', async () => {
    const payloads = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(2)>',
      '"><svg onload=alert(3)>',
      "javascript:alert(4)",
      '{{ 7*7 }} <b>tebal</b>',
    ];
    const page = await newPage(browser);
    await signIn(page, server.base, 'admin.utama');
    await page.goto(`${server.base}/pengaduan/baru`);
    await page.selectOption('#channel', 'whatsapp');
    await page.fill('#title', payloads[1]);
    await page.fill('#body', payloads.join('\n'));
    await page.fill('#address', payloads[2]);
    await page.fill('#name', payloads[0]);
    await page.fill('#phone', '0812-5555-0102');
    await page.click('form.record button[type=submit]');
    await page.waitForSelector('.flash');
    assert.equal(await page.textContent('h1'), payloads[1]);
    assert.equal((await page.textContent('.body-text')).trim(), payloads.join('\n'));
    assert.equal(await page.locator('main img, main script, main svg[onload], main b').count(), 0);
    await page.goto(`${server.base}/pengaduan?q=onerror`);
    assert.match(await page.textContent('#hasil'), /onerror=alert\(2\)/);
    assert.equal(await page.locator('#hasil img').count(), 0);
    await page.context().close();
  });

  test('central admin dispatches several complaints and exports the list', async () => {
    const page = await newPage(browser);
    await signIn(page, server.base, 'admin.utama');
    await page.goto(`${server.base}/pengaduan?status=verified,returned`);
    const boxes = page.locator('input[name=ids]');
    const selected = await boxes.count();
    assert.ok(selected >= 1, 'the demo has verified or returned complaints');
    for (let i = 0; i < selected; i += 1) await boxes.nth(i).check();
    await page.selectOption('#bulk-lead', 'DISHUB');
    await page.click('#bulk-form button[type=submit]');
    assert.match(await page.textContent('.flash'), new RegExp(`${selected} pengaduan terdisposisi; 0 gagal`));
    await assertAccessible(page, 'list after bulk dispatch');

    const csv = await page.request.get(`${server.base}/pengaduan/ekspor.csv`);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'], /text\/csv/);
    const text = await csv.text();
    assert.match(text, /^\ufeffNomor,Diterima,Kanal/);
    assert.doesNotMatch(text, /Rahmat Hidayat|0812-5555-0101/);
    await page.context().close();
  });

  test('pages fit a 360 px phone and switch to English', async () => {
    const page = await newPage(browser, { width: 360, height: 740 });
    await signIn(page, server.base, 'admin.utama');
    await assertNoHorizontalScroll(page, 'home at 360 px');
    await page.goto(`${server.base}/pengaduan`);
    await assertNoHorizontalScroll(page, 'list at 360 px');
    await page.goto(`${server.base}${complaintPath}`);
    await assertNoHorizontalScroll(page, 'complaint at 360 px');
    await assertAccessible(page, 'complaint page at 360 px');
    await page.click('text=English');
    assert.match(await page.textContent('.status'), /Responded/);
    await page.goto(`${server.base}/dasbor`);
    assert.match(await page.textContent('h1'), /Dashboard/);
    await assertAccessible(page, 'dashboard');
    await page.context().close();
  });
});
