// The triage inbox: an SMS arrives through the gateway webhook, and the
// central admin turns the conversation into a complaint.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAccessible,
  launchBrowser,
  missingPrerequisite,
  newPage,
  signIn,
  startServer,
} from './harness.js';

const skip = missingPrerequisite();
const SMS_TOKEN = 'rahasia-gateway-e2e';

describe('triage inbox', { skip: skip ?? false }, () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer({ TANGGAP_SMS_TOKEN: SMS_TOKEN });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('central admin converts a conversation into a complaint', async () => {
    const response = await fetch(`${server.base}/webhooks/sms`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-gateway-token': SMS_TOKEN,
      },
      body: new URLSearchParams({
        id: 'e2e-1',
        from: '081200000051',
        text: 'Drainase di Jalan Cempaka tersumbat sampah',
      }),
    });
    assert.equal(response.status, 200);

    const page = await newPage(browser);
    await signIn(page, server.base, 'admin.utama');
    await page.click('nav a[href="/triase"]');
    await page.waitForURL(`${server.base}/triase`);
    const row = page.locator('table.triage tbody tr', { hasText: 'Drainase di Jalan Cempaka' });
    await assert.doesNotReject(row.waitFor());
    assert.match(await row.textContent(), /0812\*+51/);
    assert.doesNotMatch(await page.content(), /081200000051/);
    await assertAccessible(page, 'triage inbox');

    await row.locator('a').click();
    await page.waitForURL(/\/triase\/\d+$/);
    assert.equal(await page.inputValue('#body'), 'Drainase di Jalan Cempaka tersumbat sampah');
    assert.equal(await page.inputValue('#phone'), '081200000051');
    await assertAccessible(page, 'triage conversation');

    await page.fill('#title', 'Drainase tersumbat');
    await page.click('#convert-submit');
    await page.waitForURL(/\/pengaduan\/\d+$/);
    const flash = await page.locator('.flash').textContent();
    assert.match(flash, /tercatat/);
    assert.match(await page.locator('main').textContent(), /Drainase tersumbat/);
  });
});
