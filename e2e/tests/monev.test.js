// A whole monitoring and evaluation run (SOP 05) in the browser, with the
// complaint team, the agency head and the Sekda each doing their steps.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { assertAccessible, launchBrowser, missingPrerequisite, newPage, signIn, startServer } from './harness.js';

const skip = missingPrerequisite();

/** Builds an RGB PNG of 320 x 200 pixels with a colour gradient. */
function photoPng() {
  const width = 320;
  const height = 200;
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
  const rows = Buffer.concat(Array.from({ length: height }, (_, y) => {
    const row = Buffer.alloc(1 + width * 3); // filter byte 0, then pixels
    for (let x = 0; x < width; x += 1) {
      row[1 + x * 3] = Math.round((x / width) * 255);
      row[2 + x * 3] = Math.round((y / height) * 255);
      row[3 + x * 3] = 140;
    }
    return row;
  }));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Clicks a button that submits a form and waits for the page that follows. */
async function submit(page, selector) {
  await Promise.all([page.waitForEvent('load'), page.click(selector)]);
}

/** Submits one of a task's forms in its section. */
async function step(page, activity, action) {
  await submit(page, `#tahap-${activity} form[action$="/${activity}/${action}"] button`);
}

async function startTask(page, activity) {
  await submit(page, `#tugas-${activity} form button`);
}

/** Adds the minutes of one more meeting to a meeting task. */
async function addMinutes(page, activity, place) {
  const field = (name) => `#m-${name}-${activity}-baru`;
  await page.fill(field('date'), '2026-07-08');
  await page.fill(field('place'), place);
  await page.fill(field('attendees'), 'Peserta Satu; Dinas PUPR\nPeserta Dua; Bagian Humas dan Protokol');
  await page.fill(field('agenda'), 'Tindak lanjut hasil pemantauan');
  await page.fill(field('discussion'), 'Pembahasan temuan di lokasi.');
  await page.fill(field('decisions'), 'Perbaikan dijadwalkan minggu depan.');
  await submit(page, `#tambah-notulen-${activity} button`);
}

/** Adds an action item to meeting `meeting` (1 for the first) of a task. */
async function addActionItem(page, activity, meeting, description) {
  await page.fill(`#i-description-${activity}-${meeting}`, description);
  await page.fill(`#i-owner-${activity}-${meeting}`, 'Dinas PUPR');
  await page.fill(`#i-due-${activity}-${meeting}`, '2026-07-20');
  await submit(page, `#tindak-${activity}-${meeting} button`);
}

describe('monitoring and evaluation', { skip: skip ?? false }, () => {
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

  test('team, agency head and Sekda run a quarter to its archive', async () => {
    const team = await newPage(browser);
    await signIn(team, server.base, 'tim.pengaduan');
    await team.click('nav >> text=Monev');
    await team.fill('#monev-year', '2026');
    // The demo approved the report of quarter 1 of 2026, which a run
    // starts from.
    await team.selectOption('#monev-quarter', '1');
    await submit(team, 'form[action="/monev/mulai"] button');
    await team.waitForURL(/\/monev\/\d+\?ok=monev-started/);
    const run = new URL(team.url()).pathname;
    assert.match(await team.textContent('h1'), /triwulan 1 tahun 2026/);
    assert.match(await team.textContent('#run-report'), /laporan triwulan versi 1 yang disetujui Sekda/);
    assert.match(await team.textContent('#tugas-site_visit'), /Menunggu: Rekap laporan aduan masyarakat per triwulan/);
    await assertAccessible(team, 'run page');

    // Starting the meeting before the monitoring report exists is rejected
    // with the reason.
    const early = await Promise.all([
      team.waitForResponse((r) => r.url().endsWith('/agency_meeting/mulai')),
      startTask(team, 'agency_meeting'),
    ]);
    assert.equal(early[0].status(), 409);
    assert.match(await team.textContent('#monev-errors'), /belum dapat dimulai.*Laporan hasil pemantauan/);

    // Preparation and site visit.
    await step(team, 'prepare', 'selesai');
    assert.equal(await team.getAttribute('#tugas-prepare', 'data-status'), 'done');
    await startTask(team, 'site_visit');
    await team.fill('#v-complaints', 'BJM-26-000001');
    await team.selectOption('#v-agency', 'PUPR');
    await team.fill('#v-date', '2026-07-07');
    await team.fill('#v-location', 'Jalan Mantuil');
    await team.fill('#v-findings', 'Lubang jalan belum ditambal.');
    await team.fill('#v-explanation', 'Menunggu material.');
    await step(team, 'site_visit', 'kunjungan');
    await team.setInputFiles('#p-file', { name: 'lokasi.png', mimeType: 'image/png', buffer: photoPng() });
    await team.fill('#p-lat', '-3.3321');
    await team.fill('#p-lon', '114.5901');
    await step(team, 'site_visit', 'foto');
    assert.match(await team.textContent('#tahap-site_visit'), /lokasi\.png · -3\.332100, 114\.590100/);
    await step(team, 'site_visit', 'selesai');

    // The agency head records the meeting with the reported agency.
    const head = await newPage(browser);
    await signIn(head, server.base, 'kepala.pupr');
    await head.goto(`${server.base}${run}`);
    await startTask(head, 'agency_meeting');
    // Two meetings, each with its own minutes and action item.
    await addMinutes(head, 'agency_meeting', 'Ruang rapat Dinas PUPR');
    await addMinutes(head, 'agency_meeting', 'Kantor Kecamatan');
    await addActionItem(head, 'agency_meeting', 1, 'Menambal jalan Mantuil');
    await addActionItem(head, 'agency_meeting', 2, 'Membersihkan saluran Kelayan');
    // The second meeting's place is corrected in its own form.
    await head.fill('#m-place-agency_meeting-2', 'Kantor Kecamatan Banjarmasin Selatan');
    await submit(head, '#ubah-notulen-agency_meeting-2 button');
    const first = await head.textContent('#notulen-agency_meeting-1');
    const second = await head.textContent('#notulen-agency_meeting-2');
    assert.match(first, /Notulen rapat 1/);
    assert.match(first, /Ruang rapat Dinas PUPR/);
    assert.match(first, /Menambal jalan Mantuil/);
    assert.doesNotMatch(first, /Membersihkan saluran Kelayan/);
    assert.match(second, /Kantor Kecamatan Banjarmasin Selatan/);
    assert.match(second, /Membersihkan saluran Kelayan/);
    await step(head, 'agency_meeting', 'selesai');
    assert.equal(await head.getAttribute('#tugas-agency_meeting', 'data-status'), 'done');

    // The analysis needs the Sekda's paraf before it can finish.
    await team.goto(`${server.base}${run}`);
    await startTask(team, 'analysis');
    await team.fill('#a-summary', 'Ringkasan pemantauan triwulan 2.');
    await team.fill('#a-findings', 'Tindak lanjut jalan terlambat.');
    await team.fill('#a-recommendations', 'Percepat perbaikan jalan.');
    await step(team, 'analysis', 'analisa');
    await step(team, 'analysis', 'selesai');
    assert.match(await team.textContent('#monev-errors'), /belum disetujui dan diparaf Sekda/);

    const sekda = await newPage(browser);
    await signIn(sekda, server.base, 'sekda');
    await sekda.goto(`${server.base}${run}`);
    await step(sekda, 'analysis', 'setujui');
    assert.match(await sekda.textContent('#tahap-analysis .approval'), /Disetujui dan diparaf/);

    await team.goto(`${server.base}${run}`);
    await step(team, 'analysis', 'selesai');
    await startTask(team, 'community_meeting');
    await addMinutes(team, 'community_meeting', 'Aula Sekretariat Daerah');
    await step(team, 'community_meeting', 'selesai');

    // The archive bundle is stored and listed.
    await startTask(team, 'archive');
    await step(team, 'archive', 'arsipkan');
    assert.match(await team.textContent('#run-status'), /Diarsipkan/);
    const bundle = await team.request.get(`${server.base}${run}/arsip`);
    assert.equal(bundle.status(), 200);
    assert.equal(bundle.headers()['content-type'], 'application/pdf');
    const pdf = await bundle.body();
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    // TANGGAP_E2E_OUTPUT names a directory to keep the bundle in, for a look.
    if (process.env.TANGGAP_E2E_OUTPUT) {
      writeFileSync(join(process.env.TANGGAP_E2E_OUTPUT, 'monev-bundle.pdf'), pdf);
    }
    await team.goto(`${server.base}/monev/arsip`);
    assert.match(await team.textContent('main'), /monev-2026-triwulan-1\.pdf/);

    // The action item is followed up after the archive.
    await head.goto(`${server.base}${run}`);
    await submit(head, '#tahap-agency_meeting form[action*="/tindak-lanjut/"] button');
    assert.match(await head.textContent('#tahap-agency_meeting table'), /Selesai/);
    for (const page of [team, head, sekda]) {
      await page.context().close();
    }
  });

  test('SOP page links its PDF document', async () => {
    const page = await newPage(browser);
    await page.goto(`${server.base}/sop/05-humpro`);
    assert.match(await page.textContent('main'), /Pemantauan dan Evaluasi Pengaduan Masyarakat/);
    const href = await page.getAttribute('#sop-pdf', 'href');
    assert.match(href, /^\/sop\/05-humpro\/pdf\?versi=\d+$/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#sop-pdf')]);
    assert.match(download.suggestedFilename(), /^sop-05-humpro-versi-\d+\.pdf$/);
    const response = await page.request.get(`${server.base}${href}`);
    assert.equal(response.status(), 200);
    assert.equal(response.headers()['content-type'], 'application/pdf');
    assert.equal((await response.body()).subarray(0, 5).toString('latin1'), '%PDF-');
    await page.context().close();
  });

  test('compliance page shows the demo quarter', async () => {
    const page = await newPage(browser);
    await signIn(page, server.base, 'sekda');
    await page.click('nav >> text=Kepatuhan');
    await page.fill('#c-year', '2026');
    await page.selectOption('#c-quarter', '2');
    await page.click('form.filters button[type=submit]');
    assert.match(page.url(), /tahun=2026&triwulan=2/);
    assert.match(await page.textContent('main'), /Memverifikasi/);
    await assertAccessible(page, 'compliance page');
    await page.context().close();
  });
});
