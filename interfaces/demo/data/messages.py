"""What people write along an issue's life, in the reporter's language where it matters."""

from __future__ import annotations

RESPONSES = {
    "en": "Thanks, we are looking into it. Can you share a screenshot of the error and the document number?",
    "zh": "收到，我們正在跟進。請提供錯誤畫面截圖及單據號碼。",
    "id": "Terima kasih, sedang kami cek. Mohon kirim screenshot error dan nomor dokumennya.",
    "vi": "Cảm ơn, chúng tôi đang kiểm tra. Vui lòng gửi ảnh chụp màn hình lỗi và số chứng từ.",
}
WAIT_ON_REPORTER = {
    "en": "Waiting for the reporter to send the document numbers and a screenshot",
    "zh": "等待報告人提供單號及截圖",
    "id": "Menunggu pelapor mengirim nomor dokumen dan screenshot",
    "vi": "Đang chờ người báo lỗi gửi số chứng từ và ảnh chụp màn hình",
}
REPORTER_REPLIES = {
    "en": "Screenshot and document numbers attached. It happens every time.",
    "zh": "已附上截圖及單號，每次都會出現。",
    "id": "Screenshot dan nomor dokumen sudah saya lampirkan. Terjadi setiap kali.",
    "vi": "Đã gửi kèm ảnh chụp màn hình và số chứng từ. Lần nào cũng bị.",
}
REOPEN_REASONS = {
    "en": "The problem came back in the next run",
    "zh": "下一次執行時問題再次出現",
    "id": "Masalah muncul lagi di proses berikutnya",
    "vi": "Lỗi xuất hiện lại ở lần chạy tiếp theo",
}
CHASERS = {
    "en": "Any update? Month-end is coming and we still need this fixed.",
    "zh": "請問有進展嗎？月結快到了。",
    "id": "Ada update? Sebentar lagi tutup buku.",
    "vi": "Có cập nhật gì chưa? Sắp đến kỳ khóa sổ rồi.",
}
WAIT_ON_CUSTOMER = (
    "Vendor asked for a system trace and a test user; our team is preparing them",
    "Vendor needs a copy of the affected company's data; waiting for finance approval to share it",
    "Vendor asked us to reproduce in the test system after the latest support package",
)
RESUME_NOTES = (
    "Trace and test user uploaded to the vendor ticket",
    "Data copy shared with the vendor under the NDA",
    "Reproduced in test; evidence attached to the vendor ticket",
)
INTERNAL_NOTES = (
    "Checked the configuration against the blueprint; the setting differs from the design.",
    "Same symptom at another site last quarter; see the linked resolution.",
    "Reproduced in the test system with the reporter's data.",
)
OVERRIDE_REASON = "Month-end close depends on it; raised by the finance controller"
CLOSE_NOTE = "Confirmed with the reporter"
CHANGE_DESCRIPTION = {
    "sap": "Import the transport with the SAP Note correction into production",
    "oracle": "Apply the one-off patch in production",
    "microsoft": "Deploy the quality update package through LCS",
    "yonyou": "Apply the vendor patch (补丁) in production after backup",
    "multiable": "Apply the Multiable patch in the agreed change window",
}
