"""The ERP pain the demo's issues are made of: what staff report after go-live, in their language.

Each template is one kind of problem; the loader draws issues from them per site and vendor and
fills the placeholders: {period} (month), {wh} (warehouse/plant), {bank}, {site}, {n} (a number
in `n`). `fix` says who owns the cure: "vendor" (escalated), "internal" (our administrators or
developer) or "either" (escalated only when the issue belongs to a vendor).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IssueTemplate:
    name: str
    module: str
    scope: str
    urgency: str
    fix: str
    scenario: str
    titles: dict[str, str]
    description: str
    resolution: str
    root_cause: str
    workaround: tuple[str, str] | None = None
    sites: tuple[str, ...] | None = None
    vendors: tuple[str, ...] | None = None
    n: tuple[int, int] = (2, 30)
    tags: frozenset[str] = field(default_factory=frozenset)


T = IssueTemplate
ERP_VENDORS = ("sap", "oracle", "microsoft", "yonyou", "multiable")

# fmt: off
ISSUE_TEMPLATES: tuple[IssueTemplate, ...] = (
    T("close_posting", "finance", "company", "blocking", "vendor", "month-end close", {
        "en": "Month-end close: GL posting fails for period {period}",
        "zh": "月結：{period} 總賬憑證無法過賬",
        "id": "Tutup buku: posting jurnal GL periode {period} gagal",
        "vi": "Khóa sổ cuối tháng: không hạch toán được bút toán sổ cái kỳ {period}"},
      "The month-end posting run stops with an error for the {site} company; accruals and allocations for "
      "{period} cannot be posted and the close calendar is at risk.",
      "Posting period variant corrected and the run repeated successfully.",
      "Special periods were not opened after the fiscal year change.",
      ("manual_ledger", "Accruals kept in a spreadsheet ledger and posted as one manual journal after the fix."),
      vendors=ERP_VENDORS, tags=frozenset({"month_end"})),
    T("inventory_valuation", "reporting", "department", "degraded", "vendor", "balance sheet sign-off", {
        "en": "Inventory valuation report does not agree with the GL balance ({wh})",
        "zh": "存貨估值報表與總賬餘額不符（{wh}）",
        "id": "Laporan valuasi persediaan tidak sama dengan saldo buku besar ({wh})",
        "vi": "Báo cáo giá trị tồn kho không khớp số dư sổ cái ({wh})"},
      "The stock valuation report for warehouse {wh} is {n}% below the inventory account; finance cannot "
      "sign off the balance sheet.",
      "Report corrected to include goods in transit and consignment stock.",
      "The report excluded in-transit stock; moving average price not updated for customer returns.",
      ("manual_report", "Valuation rebuilt by hand in Excel from the stock movements every month."),
      n=(3, 18), tags=frozenset({"month_end"})),
    T("approval_outside", "purchasing", "department", "degraded", "either", "purchase approval", {
        "en": "Purchase order approvals done by email because the workflow is stuck",
        "zh": "採購單審批流程卡住，審批改用電郵進行",
        "id": "Persetujuan PO macet di sistem, approval dilakukan lewat email",
        "vi": "Quy trình duyệt đơn mua hàng bị treo, phải duyệt qua email"},
      "POs above the department limit never reach the second approver; managers approve by email or "
      "WhatsApp and buyers release the PO by hand, so there is no audit trail.",
      "Workflow rule fixed; pending POs re-routed to the correct approvers.",
      "Approver determination used an org unit deleted in the reorganisation.",
      ("approval_outside_system", "Approvals collected by email and filed in the shared drive until the fix.")),
    T("mrp_slow", "production", "department", "degraded", "vendor", "nightly planning run", {
        "en": "MRP run takes more than {n} hours and blocks the morning plan",
        "zh": "MRP 運算超過 {n} 小時，影響早上排產",
        "id": "Proses MRP berjalan lebih dari {n} jam, rencana produksi pagi terlambat",
        "vi": "Chạy MRP mất hơn {n} giờ, kế hoạch sản xuất buổi sáng bị trễ"},
      "The nightly MRP run for plant {wh} used to take 40 minutes; since the last upgrade it runs more "
      "than {n} hours, so planners start the day without purchase proposals.",
      "Index added and MRP switched to parallel processing by plant.",
      "Missing database index after the upgrade; MRP ran sequentially.",
      ("other", "Planners run single-item MRP during the day for urgent materials."), n=(4, 9)),
    T("locked_out", "other", "user", "blocking", "internal", "login", {
        "en": "Account locked after password reset, cannot log in",
        "zh": "重設密碼後帳戶被鎖定，無法登入",
        "id": "Akun terkunci setelah reset kata sandi, tidak bisa login",
        "vi": "Tài khoản bị khóa sau khi đặt lại mật khẩu, không đăng nhập được"},
      "After the 90-day password reset the account is locked at the first attempt; the user cannot post "
      "today's invoices.",
      "Account unlocked and the password sync with Active Directory corrected.",
      "Password history sync between AD and the ERP ran before the reset."),
    T("einvoice_vn", "sales", "company", "blocking", "vendor", "e-invoice issuing", {
        "en": "E-invoice XML rejected by the tax authority (Decree 123 format)",
        "zh": "越南電子發票 XML 被稅局拒收（第123號法令格式）",
        "vi": "Hóa đơn điện tử bị cơ quan thuế từ chối: sai định dạng XML theo Nghị định 123"},
      "Every e-invoice sent to the GDT portal returns error {n}: the buyer tax code element is not in the "
      "Decree 123 / Circular 78 layout. Invoices cannot be issued to customers.",
      "XML template updated to the current GDT schema; rejected invoices re-sent.",
      "The GDT schema changed; the vendor's template was still on the previous version.",
      ("other", "Invoices issued by hand on the tax authority's portal and keyed back into the ERP."),
      sites=("HCM",), vendors=("multiable", "yonyou", "oracle"), n=(100, 999)),
    T("ppn_tax", "finance", "company", "degraded", "vendor", "sales invoicing", {
        "en": "PPN 12% calculated on the wrong tax base on sales invoices",
        "id": "PPN 12% dihitung dari DPP yang salah pada faktur penjualan"},
      "Since the PPN change, invoices show 12% of the full price instead of 12% of DPP nilai lain (11/12); "
      "customers reject the tax invoices.",
      "Tax code set up with DPP nilai lain (11/12) and the invoices re-issued.",
      "Tax base formula not updated after PMK 131/2024.",
      ("manual_ledger", "Tax differences tracked in a manual ledger and corrected with credit notes."),
      sites=("JKT",), vendors=ERP_VENDORS),
    T("efaktur", "finance", "department", "blocking", "vendor", "tax invoice upload", {
        "en": "e-Faktur export to Coretax fails with invalid NPWP format",
        "id": "Ekspor e-Faktur ke Coretax gagal: format NPWP tidak valid"},
      "The upload file to Coretax is rejected because buyer NPWP has 15 digits; Coretax expects the "
      "16-digit NPWP. Tax invoices for {period} are late.",
      "Export mapped to the 16-digit NPWP field; customer master data migrated.",
      "The export program still used the 15-digit NPWP field.",
      ("manual_report", "Tax invoice file prepared by hand in the Coretax Excel template."),
      sites=("JKT",), vendors=ERP_VENDORS),
    T("mpf", "hr", "department", "degraded", "vendor", "monthly payroll", {
        "en": "MPF contribution wrong for staff above the HK$30,000 relevant income cap",
        "zh": "強積金供款計算錯誤：月薪超過三萬元上限的員工"},
      "The payroll run deducts 5% of the full salary for staff earning above HK$30,000 instead of capping "
      "at HK$1,500; {n} employees affected in {period}.",
      "Payroll cap corrected; over-deductions refunded in the next payroll.",
      "Maximum relevant income was set as an annual instead of a monthly amount.",
      ("manual_ledger", "HR adjusts the MPF remittance statement by hand before sending it to the trustee."),
      sites=("HK",), vendors=("sap", "multiable")),
    T("cpf", "hr", "department", "degraded", "vendor", "monthly payroll", {
        "en": "CPF contribution rates for employees aged 55 to 65 not updated"},
      "Payroll still uses last year's CPF rates for senior employees; the CPF submission for {period} "
      "must be corrected for {n} employees.",
      "CPF rate table updated and the differences paid in the next payroll.",
      "The annual statutory rate update was not applied.",
      ("manual_report", "CPF file corrected in Excel before the upload to CPF EZPay."),
      sites=("SG",), vendors=("oracle", "sap", "microsoft")),
    T("epf", "hr", "department", "degraded", "vendor", "statutory return", {
        "en": "EPF/ETF monthly return file rejected by the Central Bank portal"},
      "The EPF e-return for {period} is rejected: member numbers are padded with spaces. Submission is due "
      "by the end of the month.",
      "File layout corrected to the CBSL specification.",
      "The export padded fields with spaces instead of zeros.",
      ("manual_report", "Return file edited by hand before the upload."),
      sites=("CMB",), vendors=("multiable", "microsoft")),
    T("gst_sg", "finance", "department", "degraded", "vendor", "GST return", {
        "en": "GST reverse charge not applied on imported services invoices"},
      "Supplier invoices for overseas SaaS services are posted without the 9% reverse charge; the GST F5 "
      "return for {period} will be understated.",
      "Reverse-charge tax code assigned to overseas service suppliers.",
      "Supplier master tax category missing.",
      ("manual_ledger", "Reverse-charge amounts listed in a spreadsheet and adjusted in the GST return."),
      sites=("SG",), vendors=("oracle", "sap", "microsoft")),
    T("bank_recon", "finance", "team", "degraded", "either", "bank reconciliation", {
        "en": "Bank reconciliation cannot auto-match {bank} statement lines",
        "zh": "{bank} 銀行對賬單無法自動匹配",
        "id": "Rekonsiliasi bank otomatis gagal untuk mutasi rekening {bank}",
        "vi": "Đối chiếu ngân hàng tự động không khớp được sao kê {bank}"},
      "Since {bank} changed its statement format, only {n}% of lines match automatically; the cashier "
      "matches the rest by hand.",
      "Statement import mapping updated to the bank's new format.",
      "The bank moved the reference field in its statement file.",
      ("manual_ledger", "The cashier keeps an unmatched-items list in Excel."), n=(20, 45)),
    T("fx_reval", "finance", "company", "degraded", "vendor", "month-end close", {
        "en": "Foreign currency revaluation uses the wrong exchange rate type",
        "zh": "外幣重估使用了錯誤的匯率類型",
        "id": "Revaluasi valas memakai tipe kurs yang salah",
        "vi": "Đánh giá lại ngoại tệ dùng sai loại tỷ giá"},
      "The month-end revaluation for {period} used the average rate instead of the closing rate; the "
      "unrealised FX gain is overstated.",
      "Revaluation set to the closing rate; entries reversed and reposted.",
      "Valuation used the average rate type instead of the closing rate type.",
      vendors=ERP_VENDORS, tags=frozenset({"month_end"})),
    T("interco", "reporting", "company", "degraded", "either", "group consolidation", {
        "en": "Intercompany balances with {site} do not eliminate in consolidation",
        "zh": "集團合併時與{site}的公司間往來無法對銷"},
      "Consolidation for {period} leaves a difference of {n},000 in intercompany receivables and payables; "
      "group reporting is delayed.",
      "Trading partner filled on the affected postings; elimination rerun.",
      "Trading partner missing on manual intercompany journals.",
      ("manual_report", "Group finance eliminates the difference by hand in the consolidation workbook."),
      sites=("HK", "SG"), n=(12, 480), tags=frozenset({"month_end"})),
    T("depreciation", "finance", "department", "degraded", "vendor", "month-end close", {
        "en": "Fixed asset depreciation run posted twice for {period}",
        "zh": "固定資產折舊在{period}重複過賬",
        "id": "Penyusutan aset tetap terposting dua kali untuk periode {period}",
        "vi": "Khấu hao tài sản cố định bị hạch toán hai lần trong kỳ {period}"},
      "The depreciation job was restarted after a timeout and posted the whole period again.",
      "Duplicate documents reversed; the job made restart-safe.",
      "The restarted job did not check for an already posted period.",
      vendors=ERP_VENDORS, tags=frozenset({"month_end"})),
    T("payment_dup", "finance", "company", "blocking", "vendor", "supplier payment run", {
        "en": "Payment run created a duplicate payment file for {bank}",
        "zh": "付款運行重複生成 {bank} 付款檔案",
        "id": "Payment run menghasilkan file pembayaran ganda ke {bank}",
        "vi": "Chạy thanh toán tạo trùng tệp thanh toán gửi {bank}"},
      "Two payment files with the same {n} supplier payments were created; the second must not reach the bank.",
      "Duplicate file cancelled with the bank; payment file program fixed.",
      "The payment file program ran twice after a lock timeout.", vendors=ERP_VENDORS, n=(40, 260)),
    T("transfer_stuck", "warehouse", "team", "degraded", "either", "inter-warehouse transfer", {
        "en": "Stock transfer to warehouse {wh} stuck in transit",
        "zh": "調撥到倉庫 {wh} 的庫存一直停留在在途狀態",
        "id": "Transfer stok ke gudang {wh} tertahan di status in-transit",
        "vi": "Phiếu chuyển kho sang kho {wh} bị treo ở trạng thái đang vận chuyển"},
      "{n} transfer orders were received physically but stay in transit in the system; available stock is "
      "wrong and sales cannot promise delivery dates.",
      "Goods receipt posted for the open transfers; the receiving step fixed.",
      "Receiving plant missing in the transfer route.",
      ("manual_ledger", "The warehouse keeps a manual list of received transfers.")),
    T("scanner_timeout", "warehouse", "team", "blocking", "either", "goods receipt", {
        "en": "Handheld scanner app times out at goods receipt in {wh}",
        "zh": "倉庫 {wh} 收貨時手持掃描器經常逾時",
        "id": "Aplikasi scanner di gudang {wh} sering timeout saat penerimaan barang",
        "vi": "Ứng dụng máy quét ở kho {wh} thường bị timeout khi nhận hàng"},
      "The scanner session drops after {n} lines; receivers restart and double-scan while trucks wait.",
      "Session timeout raised and the Wi-Fi access point at the dock replaced.",
      "Idle timeout of 60 seconds and a weak access point at the dock."),
    T("negative_stock", "warehouse", "department", "degraded", "vendor", "goods issue", {
        "en": "Negative stock allowed for batch-managed items",
        "zh": "批次管理物料出現負庫存",
        "id": "Stok negatif bisa terjadi untuk barang dengan nomor batch",
        "vi": "Hàng quản lý theo lô vẫn xuất được khi tồn kho âm"},
      "Goods issues post even when the batch has no stock; batch balances in {wh} are negative for {n} items.",
      "Negative stock check enforced per batch.",
      "Plant parameter allowed negative stock at storage location level."),
    T("backflush", "production", "department", "blocking", "vendor", "production confirmation", {
        "en": "Production confirmation fails: backflush component missing",
        "zh": "生產報工失敗：倒扣料組件缺失",
        "id": "Konfirmasi produksi gagal: komponen backflush tidak ditemukan",
        "vi": "Xác nhận sản xuất thất bại: thiếu linh kiện trừ lùi (backflush)"},
      "Operators cannot confirm production orders on line {n}; backflush looks for a component at the "
      "wrong storage location.",
      "Production supply area corrected for the line.",
      "The production version pointed to the old storage location.",
      ("manual_ledger", "Shift leaders record consumption on paper and key it in after the fix."), n=(1, 6)),
    T("bom_change", "production", "team", "degraded", "internal", "engineering change", {
        "en": "BOM change not reflected in open production orders",
        "zh": "物料清單變更未反映到已開立的生產單",
        "id": "Perubahan BOM tidak ikut ke production order yang sudah terbuka",
        "vi": "Thay đổi định mức (BOM) không cập nhật vào lệnh sản xuất đang mở"},
      "Engineering changed the BOM in {period}, but {n} open orders still consume the old component.",
      "Open orders re-exploded; the engineering change procedure updated.",
      "Re-exploding open orders is not automatic and the step was missing from the procedure."),
    T("std_cost", "finance", "team", "degraded", "either", "product costing", {
        "en": "Standard cost roll-up gives zero cost for new materials",
        "zh": "新物料標準成本計算結果為零",
        "id": "Perhitungan standard cost menghasilkan nol untuk material baru",
        "vi": "Tính giá thành định mức ra bằng 0 cho vật tư mới"},
      "{n} new materials created this month get zero standard cost; sales order margins look like 100%.",
      "Costing view maintained and the roll-up rerun.", "Materials created without a costing view."),
    T("credit_block", "sales", "department", "degraded", "vendor", "order to cash", {
        "en": "Sales orders released from credit block without approval",
        "zh": "銷售訂單未經審批就解除了信用凍結",
        "id": "Sales order lolos dari blokir kredit tanpa persetujuan",
        "vi": "Đơn bán hàng được mở khóa hạn mức tín dụng mà không cần duyệt"},
      "Orders of {n} customers over their credit limit were delivered; the credit check ignores open deliveries.",
      "Credit check now includes open deliveries and invoices.",
      "Credit group did not include the open delivery value.",
      ("approval_outside_system", "The credit controller approves over-limit orders on a signed paper form.")),
    T("print_font", "reporting", "team", "minor", "either", "delivery printing", {
        "en": "Delivery note printout shows boxes instead of Chinese characters",
        "zh": "送貨單列印時中文字變成方格"},
      "Customer names in Chinese print as empty boxes on delivery notes from printer {wh}-PRN{n}.",
      "Unicode font installed on the print server and the form updated.",
      "The print form used a font without CJK glyphs.", sites=("HK", "SG"), n=(1, 9)),
    T("price_list", "sales", "department", "degraded", "vendor", "order entry", {
        "en": "Promotion price list not applied to sales orders",
        "zh": "促銷價目表沒有套用到銷售訂單",
        "id": "Daftar harga promo tidak terpakai di sales order",
        "vi": "Bảng giá khuyến mãi không được áp dụng vào đơn bán hàng"},
      "The {period} promotion prices are valid in the system, but new orders take the standard price; "
      "sales staff change {n} prices a day by hand.",
      "Condition sequence corrected so promotion prices take precedence.",
      "The access sequence read the standard price list first."),
    T("gr_tolerance", "purchasing", "team", "blocking", "internal", "goods receipt", {
        "en": "Goods receipt blocked: over-delivery tolerance exceeded",
        "zh": "收貨被阻擋：超出超收容差",
        "id": "Penerimaan barang diblokir: toleransi kelebihan kiriman terlampaui",
        "vi": "Không nhập kho được: vượt dung sai giao thừa"},
      "The supplier delivered {n}% more than ordered (normal for bulk goods) and receiving is blocked; "
      "trucks are waiting.",
      "Tolerance for bulk materials set to 10%.", "Over-delivery tolerance was zero for bulk materials.", n=(2, 8)),
    T("three_way", "purchasing", "department", "degraded", "vendor", "supplier invoice", {
        "en": "Three-way match fails on supplier invoices with freight charges",
        "zh": "含運費的供應商發票三單匹配失敗",
        "id": "Three-way matching gagal untuk faktur pemasok dengan biaya ongkir",
        "vi": "Đối chiếu ba bên thất bại với hóa đơn nhà cung cấp có phí vận chuyển"},
      "{n} invoices are blocked for payment because freight is not on the PO; suppliers are chasing payment.",
      "Planned delivery costs added to the PO conditions.",
      "Freight condition missing from the purchasing pricing procedure.",
      ("manual_ledger", "AP keeps a list of blocked invoices and releases them by hand.")),
    T("leave_balance", "hr", "team", "minor", "either", "year-end leave", {
        "en": "Leave balance wrong after year-end carry-forward",
        "zh": "年終結轉後假期餘額不正確",
        "id": "Saldo cuti salah setelah carry-forward akhir tahun",
        "vi": "Số ngày phép còn lại sai sau khi chuyển phép cuối năm"},
      "Carry-forward added the full balance instead of the 5-day cap for {n} employees.",
      "Carry-forward rule corrected; balances recalculated.", "Cap configured per year instead of per employee."),
    T("mgmt_pl", "reporting", "company", "minor", "either", "management reporting", {
        "en": "Management P&L layout does not match what management needs",
        "zh": "管理層損益表格式不符合管理層需要",
        "id": "Format laporan laba rugi manajemen tidak sesuai kebutuhan direksi",
        "vi": "Mẫu báo cáo lãi lỗ quản trị không đúng nhu cầu ban giám đốc"},
      "The go-live P&L report groups by account, but management reviews by product line and channel; "
      "finance rebuilds it in Excel every month.",
      "New report layout by product line and channel delivered.",
      "The report requirement was not captured during the implementation.",
      ("manual_report", "Finance builds the management P&L by hand in Excel from a GL extract.")),
    T("dashboard_delay", "reporting", "department", "minor", "either", "sales meeting", {
        "en": "Sales dashboard refreshes only at noon; morning figures are a day old",
        "zh": "銷售儀表板中午才更新，早上看到的是前一天數據",
        "id": "Dashboard penjualan baru update siang hari, pagi masih data kemarin",
        "vi": "Dashboard bán hàng đến trưa mới cập nhật, buổi sáng vẫn là số liệu hôm qua"},
      "The export to the BI workspace runs after the overnight batch, which finishes late; the 9 am sales "
      "meeting uses stale numbers.",
      "Incremental refresh scheduled at 07:00 local time.",
      "Refresh was scheduled in UTC after the batch window.", vendors=("microsoft", "internal")),
    T("ar_aging", "reporting", "department", "degraded", "vendor", "credit control", {
        "en": "AR aging report puts invoices in the wrong 90+ days bucket",
        "zh": "應收賬齡報表把發票放錯了 90 天以上分組",
        "id": "Laporan umur piutang salah mengelompokkan faktur 90+ hari",
        "vi": "Báo cáo tuổi nợ phải thu xếp sai hóa đơn vào nhóm trên 90 ngày"},
      "Aging uses the posting date instead of the due date, so {n} customers appear overdue; collectors "
      "call customers who are not late.",
      "Aging key date switched to the net due date.", "The report variant used the posting date."),
    T("excel_export", "reporting", "user", "minor", "either", "stock ledger export", {
        "en": "Export to Excel stops at 65,536 rows",
        "zh": "匯出 Excel 最多只有 65,536 行",
        "id": "Ekspor ke Excel terpotong di 65.536 baris",
        "vi": "Xuất Excel bị cắt ở 65.536 dòng"},
      "The stock ledger export for {period} is cut silently; totals do not match the screen.",
      "Export switched to the XLSX format.", "Legacy XLS export format."),
    T("new_joiner_access", "other", "user", "degraded", "internal", "onboarding", {
        "en": "New joiner has no access to cost-centre reports",
        "zh": "新同事無法查看成本中心報表",
        "id": "Karyawan baru belum punya akses ke laporan cost center",
        "vi": "Nhân viên mới chưa có quyền xem báo cáo trung tâm chi phí"},
      "The role request was approved in {period} but the role was never assigned.",
      "Role assigned; onboarding checklist updated.", "The role provisioning step was skipped."),
    T("role_after_upgrade", "warehouse", "team", "blocking", "internal", "shipping", {
        "en": "Cannot post goods issue after upgrade: authorisation missing",
        "zh": "系統升級後無法過賬發貨：缺少權限",
        "id": "Tidak bisa posting goods issue setelah upgrade: otorisasi hilang",
        "vi": "Không xuất kho được sau khi nâng cấp: thiếu phân quyền"},
      "Warehouse clerks in {wh} get a missing authorisation message since the weekend upgrade; shipments "
      "are on hold.",
      "Authorisation added to the warehouse role.",
      "A new authorisation check in the upgrade was not added to the custom roles."),
    T("sso", "other", "company", "degraded", "either", "login", {
        "en": "Single sign-on fails after certificate renewal",
        "zh": "憑證更新後單一登入失敗",
        "id": "Single sign-on gagal setelah pembaruan sertifikat",
        "vi": "Đăng nhập một lần (SSO) lỗi sau khi gia hạn chứng chỉ"},
      "Users are sent back to the login page in a loop; only the fallback password login works.",
      "New signing certificate uploaded to the ERP's identity provider settings.",
      "Certificate renewed in Entra ID but not in the ERP's SAML configuration.",
      vendors=("microsoft", "internal")),
    T("label_printer", "warehouse", "team", "degraded", "internal", "dispatch", {
        "en": "Label printing fails in {wh} after Windows update",
        "zh": "Windows 更新後倉庫 {wh} 無法列印標籤",
        "id": "Cetak label di gudang {wh} gagal setelah update Windows",
        "vi": "Không in được nhãn ở kho {wh} sau khi cập nhật Windows"},
      "The label printer queue is paused after the update; pallets leave without labels.",
      "Printer driver reinstalled and pinned; update ring adjusted.",
      "The Windows update replaced the printer driver.",
      ("other", "Labels handwritten for urgent pallets.")),
    T("close_reports_timeout", "reporting", "company", "degraded", "vendor", "month-end close", {
        "en": "Month-end financial reports time out during close",
        "zh": "月結期間財務報表執行逾時",
        "id": "Laporan keuangan timeout saat tutup buku akhir bulan",
        "vi": "Báo cáo tài chính bị timeout trong thời gian khóa sổ"},
      "Trial balance and cash flow reports for {period} time out after 10 minutes while every company "
      "is closing at the same time.",
      "Reports moved to background jobs reading pre-aggregated totals.",
      "Reports read line items instead of totals; peak load during close.",
      vendors=ERP_VENDORS, tags=frozenset({"month_end"})),
    T("morning_slow", "other", "company", "degraded", "either", "daily operations", {
        "en": "System very slow between 9 and 10 am",
        "zh": "每天早上九點到十點系統非常慢",
        "id": "Sistem sangat lambat setiap jam 9 sampai 10 pagi",
        "vi": "Hệ thống rất chậm từ 9 đến 10 giờ sáng"},
      "Screens take {n} seconds to open when all sites log in; the morning peak overlaps with overnight "
      "jobs that are still running.",
      "Overnight jobs rescheduled and application server memory increased.",
      "Batch jobs overlapped with the morning peak.", n=(15, 60)),
)
# fmt: on
