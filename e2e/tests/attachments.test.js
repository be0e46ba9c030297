// Attachments and the map on the complaint page, on the demo data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, deflateSync } from 'node:zlib';
import {
  assertAccessible,
  launchBrowser,
  missingPrerequisite,
  newPage,
  signIn,
  startServer,
} from './harness.js';

const skip = missingPrerequisite();

/** Builds a PNG of `width` x `height` pixels with a colour gradient. */
function gradientPng(width, height) {
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
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    const row = Buffer.alloc(1 + width * 3); // filter byte 0, then pixels
    for (let x = 0; x < width; x += 1) {
      row[1 + x * 3] = (x * 8) % 256;
      row[2 + x * 3] = (y * 8) % 256;
      row[3 + x * 3] = 160;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('attachments and map', { skip: skip ?? false }, () => {
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

  test('central admin records a walk-in complaint with a photo', async () => {
    const page = await newPage(browser);
    await signIn(page, server.base, 'admin.utama');
    await page.goto(`${server.base}/pengaduan/baru`);
    await page.selectOption('#channel', 'walk_in');
    await page.fill('#body', 'Saluran air tersumbat di depan sekolah, foto terlampir.');
    await page.selectOption('#kelurahan_code', '63.71.01.1001');
    await page.fill('#phone', '081200000009');
    await page.setInputFiles('#lampiran', {
      name: 'saluran.png',
      mimeType: 'image/png',
      buffer: gradientPng(32, 24),
    });
    await assertAccessible(page, 'record form with a file');
    await page.click('form.record button[type=submit]');
    await page.waitForURL(/\/pengaduan\/\d+$/);

    const photo = page.locator('#lampiran img.thumb[alt="saluran.png"]');
    await photo.waitFor();
    const loaded = await photo.evaluate((img) => img.complete && img.naturalWidth === 32);
    assert.ok(loaded, 'the photo is shown inline at its size');
    const original = page.locator('#lampiran a.original');
    assert.equal(await original.count(), 1, 'the central admin may download the original');

    const map = page.locator('#peta');
    await map.waitFor();
    assert.match(await map.getAttribute('aria-label'), /Mantuil/);
    await page.locator('#peta.peta-siap.peta-polos').waitFor();
    await page.locator('#peta path.leaflet-interactive, #peta svg path').first().waitFor();
    await assertAccessible(page, 'complaint page with a photo and a map');
    await page.context().close();
  });
});
