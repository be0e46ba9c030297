// Master data and audit screens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAccessible, launchBrowser, missingPrerequisite, newPage, signIn, startServer } from './harness.js';

const skip = missingPrerequisite();

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
});
