"""Staff suggestions for the demo: small, concrete ideas from the people who do the work.

`popularity` (1-5) scales how many colleagues vote; `impact` and `effort` (1-5) are what the
improvement meeting scores, and they decide whether the idea is planned or declined. A
suggestion with `duplicate_of` repeats an earlier idea (often in another language) and is
merged into it, which is what the merge feature exists for.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SuggestionTemplate:
    name: str
    site: str
    language: str
    module: str
    title: str
    description: str
    impact: int
    effort: int
    popularity: int
    duplicate_of: str | None = None


S = SuggestionTemplate

# fmt: off
SUGGESTION_TEMPLATES: tuple[SuggestionTemplate, ...] = (
    S("batch_post", "HK", "zh", "finance", "月結時增加「批量過賬」按鈕",
      "月結時要逐張憑證過賬，每月花兩天；希望可以一次選多張憑證過賬。", 4, 2, 5),
    S("cost_centre", "SG", "en", "finance", "Make cost centre mandatory on expense claims",
      "Half of the expense claims reach finance without a cost centre and are sent back; a mandatory-field "
      "check at entry would stop that.", 4, 1, 4),
    S("batch_scan", "HK", "en", "warehouse", "Scan batch barcodes at goods receipt instead of typing them",
      "Receivers type 12-character batch numbers by hand and typos create wrong batches. Scanning the "
      "supplier's barcode removes one input step.", 5, 3, 5),
    S("batch_scan_vi", "HCM", "vi", "warehouse", "Quét mã vạch số lô khi nhập kho",
      "Nhập tay số lô rất dễ sai; đề nghị cho phép quét mã vạch của nhà cung cấp.", 5, 3, 3, "batch_scan"),
    S("npwp_check", "JKT", "id", "purchasing", "Validasi NPWP 16 digit saat input pemasok baru",
      "Banyak data pemasok masih memakai NPWP 15 digit; sistem sebaiknya menolak format lama saat input.", 4, 1, 3),
    S("buyer_tax_code", "HCM", "vi", "sales", "Bắt buộc nhập mã số thuế khách hàng khi tạo hóa đơn",
      "Hóa đơn điện tử bị từ chối khi thiếu mã số thuế người mua; nên kiểm tra ngay khi tạo hóa đơn.", 4, 1, 4),
    S("posting_date", "HK", "zh", "finance", "月結期間預設過賬日期為開放期間的最後一天",
      "月結時常常用錯過賬日期，導致憑證過到下個月。", 3, 2, 3),
    S("posting_date_en", "SG", "en", "finance", "Default the posting date to the period end during close",
      "During close people forget to change the posting date and documents land in the next month.", 3, 2, 2,
      "posting_date"),
    S("stock_aging_mail", "CMB", "en", "reporting", "Email the daily stock aging report at 8 am",
      "Warehouse managers open the ERP only to run this report every morning; a scheduled email would save "
      "them the trip.", 2, 1, 3),
    S("sso", "JKT", "en", "other", "Single sign-on with Microsoft 365 for the ERP",
      "Users keep a separate ERP password and get locked out after resets; single sign-on would remove most "
      "lock-outs.", 4, 3, 5),
    S("sso_id", "JKT", "id", "other", "Login ERP pakai akun Microsoft 365",
      "Terlalu banyak password; mohon login ERP memakai akun kantor.", 4, 3, 3, "sso"),
    S("po_comment", "SG", "en", "purchasing", "Show the approver's comment on the PO printout",
      "Suppliers ask why quantities changed; the approver's note is in the system but not on the printout.",
      2, 1, 2),
    S("mobile_count", "HCM", "vi", "warehouse", "Kiểm kê kho bằng điện thoại",
      "Hiện nay in danh sách kiểm kê ra giấy rồi nhập lại; dùng điện thoại quét mã sẽ nhanh hơn.", 4, 3, 4),
    S("mobile_count_zh", "HK", "zh", "warehouse", "倉庫盤點可以用手機掃描",
      "盤點時要列印清單再手動輸入，希望用手機直接掃描條碼。", 4, 3, 2, "mobile_count"),
    S("credit_warning", "SG", "en", "sales", "Warn when a sales order pushes the customer over the credit limit",
      "Sales only learns about the credit block after saving; a warning at entry lets them call the customer "
      "first.", 3, 2, 3),
    S("leave_mobile", "CMB", "en", "hr", "Let staff see their leave balance on mobile",
      "Staff call HR to ask for their leave balance; a mobile view would answer most of those calls.", 2, 3, 4),
    S("pl_by_channel", "HK", "zh", "reporting", "管理報表增加按產品線及渠道分析",
      "現在每月要從總賬匯出再用 Excel 重做管理損益表，希望系統直接按產品線及渠道出報表。", 5, 4, 4),
    S("recurring_journal", "JKT", "id", "finance", "Template jurnal untuk biaya bulanan yang berulang",
      "Biaya sewa dan listrik dicatat manual setiap bulan; template jurnal berulang akan menghemat waktu.",
      3, 1, 3),
    S("fx_feed", "HCM", "vi", "finance", "Tự động lấy tỷ giá Vietcombank hằng ngày",
      "Kế toán nhập tỷ giá bằng tay mỗi sáng; nên lấy tự động từ Vietcombank.", 4, 2, 3),
    S("fx_feed_en", "SG", "en", "finance", "Import daily exchange rates automatically",
      "Rates typed by hand each morning cause revaluation errors; fetch them from the central bank feed.",
      4, 2, 2, "fx_feed"),
    S("po_release_screen", "SG", "en", "purchasing", "Remove the second confirmation screen when releasing a PO",
      "Releasing a PO asks twice for the same confirmation; buyers release forty a day.", 2, 1, 3),
    S("shortage_list", "HK", "en", "production", "Show material shortages on the production order list",
      "Planners open every order to find missing components; one column on the list would show them.", 4, 2, 3),
    S("shelf_label", "JKT", "id", "warehouse", "Cetak label rak otomatis setelah penerimaan barang",
      "Label rak ditulis tangan setelah barang diterima; sebaiknya dicetak otomatis dari sistem.", 3, 2, 2),
    S("invoice_pdf", "CMB", "en", "finance", "Attach the supplier invoice PDF to the AP document",
      "Auditors ask for invoice copies that sit in email inboxes; attaching them at entry keeps them together.",
      3, 2, 3),
    S("overtime_request", "HCM", "vi", "hr", "Cho phép đăng ký tăng ca trên hệ thống thay vì giấy",
      "Phiếu tăng ca giấy thường bị thất lạc và nhập lại vào bảng lương bằng tay.", 3, 3, 4),
    S("mpf_file", "HK", "zh", "hr", "強積金供款報表自動生成受託人格式",
      "每月要把薪酬報表改成受託人要求的格式，容易出錯。", 3, 2, 2),
    S("close_checklist", "SG", "en", "finance", "Month-end close checklist in the ERP with owners and due times",
      "The close checklist lives in a spreadsheet nobody updates; in the system everyone would see what is "
      "late.", 4, 3, 3),
    S("stock_per_wh", "JKT", "id", "sales", "Tampilkan stok tersedia per gudang saat input sales order",
      "Sales harus telepon gudang untuk cek stok sebelum janji tanggal kirim ke pelanggan.", 4, 2, 4),
    S("po_mail", "HCM", "vi", "purchasing", "Gửi email cho nhà cung cấp khi đơn mua hàng được duyệt",
      "Nhân viên mua hàng phải gửi đơn cho nhà cung cấp bằng tay sau khi duyệt.", 3, 2, 2),
    S("expired_batch", "CMB", "en", "warehouse", "Block goods issue from expired batches",
      "Expired stock was shipped twice last quarter; the system should refuse the goods issue.", 5, 2, 3),
    S("reset_link", "HK", "en", "other", "Password expiry reminder with a self-service reset link",
      "Most lock-outs happen the morning a password expires; a reminder a week before would prevent them.",
      3, 1, 2),
    S("bank_charges", "SG", "en", "finance", "Auto-match bank charges in bank reconciliation",
      "Bank charges are the most common unmatched line and always have the same text.", 3, 1, 2),
    S("shift_tablet", "JKT", "id", "production", "Input hasil produksi per shift langsung dari tablet di lini",
      "Hasil produksi dicatat di kertas lalu diketik ulang oleh admin produksi keesokan harinya.", 4, 4, 3),
    S("debt_by_salesman", "HCM", "vi", "reporting", "Báo cáo công nợ theo nhân viên bán hàng",
      "Trưởng phòng kinh doanh cần biết công nợ quá hạn của từng nhân viên để nhắc khách.", 3, 2, 3),
    S("budget_on_pr", "HK", "zh", "purchasing", "採購申請顯示預算餘額",
      "申請人不知道部門預算還剩多少，經常被退回。", 3, 3, 2),
    S("local_language_invoice", "CMB", "en", "sales", "Print invoices in Sinhala and Tamil for local customers",
      "Several distributors ask for invoices in their language; the layout supports Unicode already.", 2, 4, 2),
    S("dark_mode", "SG", "en", "other", "Dark mode for warehouse handhelds",
      "The bright screen is hard to read in the cold room.", 1, 3, 1),
    S("saved_filters", "HK", "en", "reporting", "Let users save their own report filters",
      "Everyone re-enters the same twelve filters every morning.", 3, 1, 3),
    S("tax_deadline", "JKT", "en", "finance", "Reminder before the tax invoice deadline",
      "Late tax invoices cost penalties; a reminder three days before the deadline would help.", 3, 1, 2),
    S("approval_mobile", "SG", "en", "purchasing", "Approve purchase requests from the phone",
      "Managers approve by email when travelling, outside the system; a mobile approval would keep the trail.",
      4, 3, 4),
)
# fmt: on

DECLINE_REASONS = (
    "The vendor's next release covers this; we will not customise the current version.",
    "Effort too high for the benefit this year; revisit at the next health check.",
    "Conflicts with the group's segregation of duties policy.",
    "Can be done with existing functionality; training scheduled instead.",
)
