# Halaman transparansi publik.

transparency-nav = Transparansi
transparency-title = Transparansi pengaduan
transparency-intro = Ringkasan penanganan pengaduan masyarakat oleh Pemerintah Kota Banjarmasin. Identitas pelapor tidak pernah ditampilkan, dan laporan yang dirahasiakan tidak dicantumkan dalam daftar.
transparency-statistics = Statistik
transparency-period = Laporan yang diterima { $from } sampai { $until }.
transparency-received = laporan diterima
transparency-standards = Ketepatan waktu menurut standar pelayanan
transparency-standards-help = "Memenuhi" adalah jumlah laporan yang ditangani sebelum batas waktu standar; "dihitung" adalah jumlah laporan yang sudah ditangani atau sudah melewati batas waktunya.
transparency-by-month = Laporan per bulan
transparency-by-category = Laporan per kategori
transparency-by-agency = Laporan per perangkat daerah
transparency-by-kecamatan = Laporan per kecamatan
transparency-value = Kelompok
transparency-count = Jumlah
transparency-none = Belum ditentukan
transparency-map = Peta laporan
transparency-map-help = Peta menampilkan laporan terbaru yang memiliki tanda lokasi. Tabel di bawah peta berisi lokasi yang sama.
transparency-map-table = Lokasi laporan dalam tabel
transparency-number = Nomor laporan
transparency-place = Kelurahan
transparency-latitude = Lintang
transparency-longitude = Bujur
transparency-list = Daftar laporan dan tanggapan
transparency-list-help = Isi laporan ditampilkan setelah diverifikasi Admin Utama. Catatan internal dan identitas pelapor tidak ditampilkan.
transparency-page = { $total } laporan, halaman { $page } dari { $pages }.
transparency-pages = Halaman daftar laporan
transparency-previous = Halaman sebelumnya
transparency-next = Halaman berikutnya
transparency-awaiting = Isi laporan ditampilkan setelah diverifikasi.
transparency-no-category = Tanpa kategori
transparency-photo = Lihat foto
transparency-open-data = Data yang sama tersedia untuk aplikasi lain melalui

# Peta formulir laporan dengan papan ketik.
portal-map-keyboard = Dengan papan ketik: pilih peta dengan Tab, geser dengan tombol panah, perbesar atau perkecil dengan + dan -, lalu tekan Enter atau tombol "Tandai tengah peta" untuk menandai titik di bawah tanda silang.
portal-map-centre = Tandai tengah peta
