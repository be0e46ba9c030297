// Master data and audit screens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { assertAccessible, launchBrowser, missingPrerequisite, newPage, signIn, startServer } from './harness.js';

const skip = missingPrerequisite();

/** Computes the current RFC 6238 code for a base32 secret (test helper). */
function totp(base32) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of base32.replace(/=+$/, '')) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const digest = createHmac('sha1', Buffer.from(bytes)).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const value = (digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

describe('administration', { skip: skip ?? false }, () => {
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

  test('system administrator maintains the holiday calendar', async () => {
    const page = await newPage(browser);
    await signIn(page, server.base, 'sysadmin');
    await page.click('text=Administrasi');
    await assertAccessible(page, 'users screen');
    await page.click('.tabs >> text=Hari libur');
    await assertAccessible(page, 'holiday screen');
    await page.fill('#holiday-day', '2027-01-01');
    await page.selectOption('#holiday-kind', 'libur_nasional');
    await page.fill('#holiday-description', 'Tahun Baru 2027 Masehi');
    await page.click('form.panel button[type=submit]');
    assert.match(await page.textContent('.flash'), /Perubahan tersimpan/);
    assert.match(await page.textContent('main table'), /2027-01-01/);
    await page.click('.tabs >> text=Log audit');
    await assertAccessible(page, 'audit log');
    assert.match(await page.textContent('table.audit'), /holiday\.save/);
    await page.context().close();
  });

  test('system administrator changes a time standard', async () => {
    const page = await newPage(browser);
    await signIn(page, server.base, 'sysadmin');
    await page.goto(`${server.base}/admin/standar-waktu`);
    await assertAccessible(page, 'time standards');
    assert.equal(await page.inputValue('#std-verification_days'), '3');
    await page.fill('#std-verification_days', '2');
    await page.click('main form button[type=submit]');
    assert.match(await page.textContent('.flash'), /Perubahan tersimpan/);
    assert.equal(await page.inputValue('#std-verification_days'), '2');
    await page.fill('#std-followup_days', '0');
    await page.click('main form button[type=submit]');
    assert.match(await page.textContent('#admin-errors'), /followup_days/);
    await page.context().close();
  });

  test('other roles cannot open the administration', async () => {
    const page = await newPage(browser);
    await signIn(page, server.base, 'admin.utama');
    const response = await page.goto(`${server.base}/admin/pengguna`);
    assert.equal(response.status(), 403);
    await page.context().close();
  });

  test('system administrator adds a liaison admin who can sign in', async () => {
    const page = await newPage(browser);
    await signIn(page, server.base, 'sysadmin');
    await page.goto(`${server.base}/admin/pengguna`);
    await page.fill('#new-username', 'penghubung.baru');
    await page.fill('#new-display', 'Admin Penghubung Baru');
    await page.selectOption('#new-role', 'liaison_admin');
    await page.selectOption('#new-agency', 'DLH');
    await page.fill('#new-password', 'Sandi-Baru-12345');
    await page.click('form.panel button[type=submit]');
    assert.match(await page.textContent('.flash'), /Perubahan tersimpan/);
    const other = await newPage(browser);
    await other.goto(`${server.base}/masuk`);
    await other.fill('#username', 'penghubung.baru');
    await other.fill('#password', 'Sandi-Baru-12345');
    await other.click('button[type=submit]');
    await other.waitForURL(`${server.base}/beranda`);
    await other.context().close();
    await page.context().close();
  });

  test('staff turn on two-step verification and need the code to sign in', async () => {
    const page = await newPage(browser);
    await signIn(page, server.base, 'tim.pengaduan');
    await page.click('text=Verifikasi dua langkah');
    await assertAccessible(page, 'two-step page');
    await page.click('text=Aktifkan verifikasi dua langkah');
    const secret = (await page.textContent('#totp-secret')).trim();
    await page.fill('#totp-code', '000000');
    await page.click('main form button[type=submit]');
    assert.match(await page.textContent('#totp-errors'), /Kode salah/);
    await page.click('text=Aktifkan verifikasi dua langkah');
    const fresh = (await page.textContent('#totp-secret')).trim();
    assert.notEqual(fresh, secret);
    await page.fill('#totp-code', totp(fresh));
    await page.click('main form button[type=submit]');
    assert.match(await page.textContent('.flash'), /sekarang aktif/);
    await page.context().close();

    const other = await newPage(browser);
    await other.goto(`${server.base}/masuk`);
    await other.fill('#username', 'tim.pengaduan');
    await other.fill('#password', 'Tanggap-Demo-2026');
    await other.click('button[type=submit]');
    assert.match(await other.textContent('#login-error'), /verifikasi dua langkah/);
    await other.fill('#password', 'Tanggap-Demo-2026');
    await other.fill('#code', totp(fresh));
    await other.click('button[type=submit]');
    await other.waitForURL(`${server.base}/beranda`);
    await other.context().close();
  });
});
