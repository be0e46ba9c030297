// Takes the screenshots of the user guides (docs/panduan-pengguna.md and
// docs/user-guide.md). Run it from the repository root:
//
//   node docs/screenshots/take.mjs
//
// It starts target/debug/tanggap with a fresh demo database on a random
// port of 127.0.0.1 (through e2e/tests/harness.js), signs in as the demo
// roles the guides show, in Indonesian and in English, and writes the PNG
// files next to this script. It needs the e2e packages (`cd e2e && npm ci`)
// and Chromium, like the browser tests. The countdowns in the pictures depend
// on the current date, so the pictures change from run to run.
//
// Besides looking, it changes the demo data a little. It attaches a photo
// to an unverified complaint. It dispatches a verified public-works
// complaint to Dinas PUPR with supporting agencies, so that the liaison
// admin of PUPR has work on the home page. It also starts, without
// finishing, the two-step verification of tim.pengaduan to show its QR code.
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import {
  launchBrowser,
  missingPrerequisite,
  newPage,
  signIn,
  startServer,
} from '../../e2e/tests/harness.js';

const OUT = import.meta.dirname;
const LOCALES = { id: 'id-ID', en: 'en-US' };
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 360, height: 740 };

const missing = missingPrerequisite();
if (missing) {
  console.error(`Cannot take screenshots: ${missing}.`);
  process.exit(1);
}

const server = await startServer();
const browser = await launchBrowser();
const written = [];

/** Opens a page signed in as `username` (or signed out when null). */
async function openPage(username, lang, size = DESKTOP) {
  const page = await newPage(browser, { ...size, locale: LOCALES[lang] });
  if (username) await signIn(page, server.base, username);
  return page;
}

async function shoot(page, name, options = {}) {
  // No focus ring from the last click in the picture.
  await page.evaluate(() => document.activeElement?.blur());
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path, ...options });
  written.push(name);
}

async function shootElement(locator, name) {
  await locator.page().evaluate(() => document.activeElement?.blur());
  await locator.scrollIntoViewIfNeeded();
  await locator.screenshot({ path: join(OUT, `${name}.png`) });
  written.push(name);
}

/** GETs an API path with the page's session cookie and returns the JSON. */
async function api(page, path) {
  const response = await page.request.get(`${server.base}/api/v1${path}`);
  if (!response.ok()) throw new Error(`GET ${path} returned ${response.status()}`);
  return response.json();
}

/** Encodes an RGB image of `width` x `height` pixels, a soft gradient, as PNG. */
function samplePhoto(width, height) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, checksum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // colour type RGB
  const scanlines = [];
  for (let y = 0; y < height; y += 1) {
    const line = Buffer.alloc(1 + width * 3); // filter type 0, then the pixels
    for (let x = 0; x < width; x += 1) {
      line[1 + x * 3] = 90 + Math.round((x / width) * 120);
      line[2 + x * 3] = 140 + Math.round((y / height) * 80);
      line[3 + x * 3] = 120;
    }
    scanlines.push(line);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(scanlines))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Picks the complaints for the pictures from the central admin's lists. */
async function chooseComplaints() {
  const page = await openPage('admin.utama', 'id');
  const received = await api(page, '/complaints?status=received&sort=received_oldest&per_page=100');
  // An unverified complaint whose reporter is named, so the page shows the identity.
  const unverified =
    received.items.find((c) => !c.anonymous && !c.confidential && c.title) ?? received.items[0];

  const verified = await api(page, '/complaints?status=verified&per_page=100');
  const toDispatch =
    verified.items.find((c) => c.category === 'PEKERJAAN UMUM DAN PENATAAN RUANG') ??
    verified.items[0];

  // An open anonymous complaint with a lead agency, for the liaison admin's view.
  const inHand = await api(page, '/complaints?status=dispatched,in_progress&per_page=100');
  const anonymous = inHand.items.find((c) => c.anonymous && c.lead_agency);

  // The resolved complaint with the longest history, preferring one that
  // was returned and dispatched again.
  let resolved = null;
  let best = -1;
  for (let pageNumber = 1; ; pageNumber += 1) {
    const list = await api(page, `/complaints?status=resolved&per_page=100&page=${pageNumber}`);
    for (const c of list.items) {
      const events = await api(page, `/complaints/${c.id}/events`);
      const score = events.length * 2 + (events.some((e) => e.action === 'return') ? 1 : 0);
      if (score > best) {
        best = score;
        resolved = c;
      }
    }
    if (pageNumber * list.per_page >= list.total) break;
  }
  await page.context().close();
  if (!unverified || !toDispatch || !resolved || !anonymous) {
    throw new Error(
      'the demo data lacks an unverified, a verified, a resolved or an open anonymous complaint',
    );
  }
  return {
    unverified: unverified.id,
    toDispatch: toDispatch.id,
    resolved: resolved.id,
    anonymous: anonymous.id,
    anonymousLiaison: `penghubung.${anonymous.lead_agency.toLowerCase()}`,
  };
}

try {
  const ids = await chooseComplaints();

  // A photo on the unverified complaint, so its page shows an attachment.
  const uploader = await openPage('admin.utama', 'id');
  await uploader.goto(`${server.base}/pengaduan/${ids.unverified}`);
  await uploader.click('#aksi-lampiran summary');
  await uploader.setInputFiles('#lampiran-berkas', {
    name: 'foto-lokasi.png',
    mimeType: 'image/png',
    buffer: samplePhoto(160, 120),
  });
  await uploader.click('#aksi-lampiran button[type=submit]');
  await uploader.locator('#lampiran img.thumb').waitFor();
  await uploader.context().close();

  for (const lang of ['id', 'en']) {
    const signedOut = await openPage(null, lang);
    await signedOut.goto(`${server.base}/masuk`);
    await shoot(signedOut, `masuk-${lang}`);
    await signedOut.context().close();

    const admin = await openPage('admin.utama', lang);
    await shoot(admin, `beranda-admin-utama-${lang}`);
    await admin.goto(`${server.base}/pengaduan`);
    await shoot(admin, `daftar-${lang}`);

    await admin.goto(`${server.base}/pengaduan?status=verified,returned`);
    await admin.locator('#hasil').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await shoot(admin, `disposisi-massal-${lang}`);

    await admin.goto(`${server.base}/pengaduan/${ids.unverified}`);
    await admin.locator('#peta.peta-siap').waitFor();
    await shoot(admin, `pengaduan-belum-diverifikasi-${lang}`);
    await shootElement(admin.locator('#lampiran'), `lampiran-${lang}`);
    await admin.click('#aksi-verify summary');
    await admin.click('#aksi-hold summary');
    await shootElement(admin.locator('section.actions'), `tindakan-admin-utama-${lang}`);

    await admin.goto(`${server.base}/pengaduan/${ids.resolved}`);
    if (lang === 'id') {
      await shoot(admin, `pengaduan-selesai-${lang}`, { fullPage: true });
    } else {
      await shoot(admin, `pengaduan-selesai-${lang}`);
    }

    await admin.goto(`${server.base}/pengaduan/baru`);
    await shoot(admin, `catat-${lang}`);
    await admin.selectOption('#channel', 'telephone');
    await admin.fill('#channel_reference', '0511-3300000');
    await admin.fill('#body', lang === 'id'
      ? 'Lampu penerangan jalan di Jl. Veteran dekat jembatan padam sejak tiga malam.'
      : 'The street lights on Jl. Veteran near the bridge have been off for three nights.');
    await admin.click('form.record button[type=submit]');
    await admin.locator('#incomplete-warning').scrollIntoViewIfNeeded();
    await shoot(admin, `catat-peringatan-${lang}`);

    await admin.goto(`${server.base}/dasbor`);
    await shoot(admin, `dasbor-${lang}`);

    await admin.goto(`${server.base}/sop`);
    await shoot(admin, `sop-${lang}`);
    if (lang === 'id') {
      await admin.goto(`${server.base}/sop/02-humpro`);
      await shoot(admin, `sop-02-humpro-${lang}`);
    }
    await admin.context().close();

    // Two-step verification up to the QR code, on an account that no other
    // picture signs in with.
    const team = await openPage('tim.pengaduan', lang);
    await team.goto(`${server.base}/akun/dua-langkah`);
    await team.click('form[action="/akun/dua-langkah/mulai"] button[type=submit]');
    await team.locator('#totp-secret').waitFor();
    await shoot(team, `dua-langkah-${lang}`);
    await team.context().close();
  }

  // Dispatch with supporting agencies, shown in both languages before the
  // Indonesian form is submitted.
  for (const lang of ['en', 'id']) {
    const admin = await openPage('admin.utama', lang);
    await admin.goto(`${server.base}/pengaduan/${ids.toDispatch}`);
    await admin.click('#aksi-dispatch summary');
    await admin.selectOption('#dispatch-lead_agency', 'PUPR');
    await admin.selectOption('#dispatch-supporting_agencies', ['DISPERKIM', 'KEC-BJS']);
    await admin.fill('#dispatch-instruction', lang === 'id'
      ? 'Mohon ditinjau ke lokasi dan dilaporkan perkembangannya.'
      : 'Please inspect the site and report progress.');
    await shootElement(admin.locator('#aksi-dispatch'), `disposisi-${lang}`);
    if (lang === 'id') {
      await admin.click('#aksi-dispatch button[type=submit]');
      await admin.waitForSelector('.flash');
    }
    await admin.context().close();
  }

  for (const lang of ['id', 'en']) {
    const liaison = await openPage('penghubung.pupr', lang);
    await shoot(liaison, `beranda-penghubung-pupr-${lang}`);
    await liaison.goto(`${server.base}/pengaduan/${ids.toDispatch}`);
    await liaison.click('#aksi-follow-up summary');
    await shootElement(liaison.locator('section.actions'), `tindakan-penghubung-${lang}`);
    await liaison.context().close();

    const otherLiaison = await openPage(ids.anonymousLiaison, lang);
    await otherLiaison.goto(`${server.base}/pengaduan/${ids.anonymous}`);
    await shootElement(otherLiaison.locator('.side-col'), `identitas-dirahasiakan-${lang}`);
    await otherLiaison.context().close();

    for (const username of ['sekda', 'inspektorat']) {
      const page = await openPage(username, lang);
      await shoot(page, `beranda-${username}-${lang}`);
      if (username === 'sekda') {
        await page.goto(`${server.base}/audit`);
        await shoot(page, `log-audit-${lang}`);
      }
      await page.context().close();
    }

    const sysadmin = await openPage('sysadmin', lang);
    await sysadmin.goto(`${server.base}/admin/pengguna`);
    await shoot(sysadmin, `admin-pengguna-${lang}`);
    await sysadmin.goto(`${server.base}/admin/standar-waktu`);
    await shoot(sysadmin, `admin-standar-waktu-${lang}`);
    await sysadmin.context().close();
  }

  const phoneHome = await openPage('admin.utama', 'id', PHONE);
  await shoot(phoneHome, 'ponsel-beranda-id');
  await phoneHome.goto(`${server.base}/pengaduan/${ids.unverified}`);
  await shoot(phoneHome, 'ponsel-pengaduan-id');
  await phoneHome.context().close();

  for (const lang of ['id', 'en']) {
    const phoneList = await openPage('admin.utama', lang, PHONE);
    await phoneList.goto(`${server.base}/pengaduan`);
    await phoneList.locator('#hasil').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await shoot(phoneList, `ponsel-daftar-${lang}`);
    await phoneList.context().close();
  }

  console.log(`Wrote ${written.length} screenshots to ${OUT}: ${written.join(', ')}.`);
} finally {
  await browser.close();
  await server.stop();
}
