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
