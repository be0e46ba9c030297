# Open311 GeoReport v2: pesan galat dan keterangan layanan.

open311-not-found = Data yang diminta tidak ditemukan.
open311-format = Format tidak dikenal; akhiri nama sumber dengan .json atau .xml.
open311-method = Metode ini tidak tersedia untuk sumber ini.
open311-key-invalid = Kunci API (api_key) tidak ada, tidak dikenal, atau sudah dicabut.
open311-invalid = Nilai tidak valid: { $value }.
open311-missing = Kolom wajib belum diisi: { $value }.
open311-service-unknown = Kode layanan (service_code) tidak dikenal: { $value }.
open311-rate-limited = Terlalu banyak laporan dalam waktu singkat. Coba lagi nanti.
open311-too-large = Permintaan terlalu besar.
open311-internal = Terjadi kesalahan di server. Coba lagi nanti.
open311-service-description = Laporan tentang { $name } kepada Pemerintah Kota.

# Halaman admin: kunci API Open311.
open311-keys-tab = Kunci Open311
open311-keys-title = Kunci API Open311
open311-keys-intro = Aplikasi lain yang memakai standar Open311 GeoReport v2 memerlukan kunci untuk mengirim laporan ke /open311/v2/. Membaca data publik tidak memerlukan kunci.
open311-keys-issued = Kunci baru. Salin sekarang dan berikan kepada pengelola aplikasi; kunci ini tidak dapat ditampilkan lagi.
open311-keys-id = Nomor
open311-keys-issued-at = Diterbitkan
open311-keys-revoked = Dicabut
open311-keys-revoke = Cabut
open311-keys-add = Terbitkan kunci
open311-keys-client = Nama aplikasi atau pengelola
