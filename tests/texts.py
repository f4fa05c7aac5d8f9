"""Hand-written source articles and a spun copy, shared by the server and hardening tests."""

from __future__ import annotations

# Source articles for a tiny trace index (written for these tests).
SOURCES: dict[str, str] = {
    "kupang-bridge": (
        "Presiden Joko Widodo meresmikan jembatan baru di Kupang pada hari Senin. Jembatan itu menghubungkan "
        "dua kabupaten yang selama ini hanya bisa dicapai dengan perahu. Menurut gubernur, pembangunan "
        "jembatan tersebut menghabiskan dana sekitar dua ratus miliar rupiah dan selesai lebih cepat dari "
        "jadwal. Warga setempat menyambut gembira karena perjalanan ke pasar kini jauh lebih singkat."
    ),
    "rice-price": (
        "Harga beras di pasar tradisional naik tajam menjelang akhir tahun. Para pedagang mengatakan pasokan "
        "dari petani berkurang karena musim hujan datang terlambat. Pemerintah berjanji akan menggelar "
        "operasi pasar agar harga kembali stabil dalam dua minggu ke depan."
    ),
    "flood-jakarta": (
        "Banjir merendam ratusan rumah di Jakarta Timur setelah hujan deras mengguyur ibu kota sejak malam. "
        "Petugas pemadam kebakaran membantu warga mengungsi ke tempat yang lebih aman. Ketinggian air "
        "mencapai satu meter di beberapa titik."
    ),
}
# kupang-bridge with words swapped for synonyms, as a spinner would.
SPUN_KUPANG = (
    "Presiden Joko Widodo meresmikan jembatan anyar di Kupang pada hari Senin. Jembatan itu menyambungkan "
    "dua kabupaten yang selama ini hanya dapat dicapai dengan perahu. Menurut gubernur, pembangunan "
    "jembatan tersebut menghabiskan anggaran sekitar dua ratus miliar rupiah dan rampung lebih cepat dari "
    "jadwal. Penduduk setempat menyambut gembira karena perjalanan ke pasar kini jauh lebih singkat."
)
