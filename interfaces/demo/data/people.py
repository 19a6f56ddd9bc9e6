"""The demo company: a Hong Kong group with subsidiaries in four countries, and its vendors.

Each site runs a mix of ERPs, as groups that grew by acquisition do; the weights decide which
vendor owns the fix of an issue reported there.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Site:
    code: str
    city: str
    timezone: str
    languages: tuple[tuple[str, float], ...]  # (language, share of reports written in it)
    currency: str
    reward_range: tuple[int, int]  # a typical small reward, in whole units of `currency`
    bank: str
    vendors: tuple[tuple[str, float], ...]
    admin: str
    staff: tuple[str, ...]


# fmt: off
SITES: tuple[Site, ...] = (
    Site("HK", "Hong Kong", "Asia/Hong_Kong", (("zh", 0.7), ("en", 0.3)), "HKD", (200, 800), "HSBC",
         (("sap", 0.35), ("multiable", 0.25), ("microsoft", 0.1), ("internal", 0.3)), "ada.wong",
         ("kaming.chan", "siuling.lee", "waikit.cheung", "mandy.lau", "tony.ho", "ivy.ng", "kelvin.yip",
          "grace.tsang", "jason.leung", "cherry.mak", "winnie.kwok", "eric.fung")),
    Site("SG", "Singapore", "Asia/Singapore", (("en", 1.0),), "SGD", (50, 150), "DBS",
         (("oracle", 0.35), ("microsoft", 0.25), ("sap", 0.15), ("internal", 0.25)), "kelvin.tan",
         ("weiling.tan", "raj.kumar", "siti.nurhaliza", "jonathan.lim", "priya.nair", "marcus.goh",
          "aisha.rahman", "daniel.koh", "shu.fen.ong", "arjun.menon")),
    Site("JKT", "Jakarta", "Asia/Jakarta", (("id", 0.8), ("en", 0.2)), "IDR", (250_000, 750_000), "BCA",
         (("multiable", 0.35), ("yonyou", 0.25), ("sap", 0.15), ("internal", 0.25)), "kelvin.tan",
         ("budi.santoso", "dewi.lestari", "agus.pratama", "sri.wahyuni", "rina.kusuma", "andi.wijaya",
          "putri.rahayu", "hendra.gunawan", "yuni.setiawati", "fajar.nugroho", "maya.sari")),
    Site("HCM", "Ho Chi Minh City", "Asia/Ho_Chi_Minh", (("vi", 0.8), ("en", 0.2)), "VND", (500_000, 2_000_000),
         "Vietcombank", (("multiable", 0.35), ("yonyou", 0.3), ("oracle", 0.1), ("internal", 0.25)), "ada.wong",
         ("nguyen.van.an", "tran.thi.mai", "le.minh.tuan", "pham.thu.ha", "hoang.duc.thang", "vo.thi.lan",
          "dang.quoc.bao", "bui.ngoc.anh", "do.thanh.huong", "ngo.van.hieu")),
    Site("CMB", "Colombo", "Asia/Colombo", (("en", 1.0),), "LKR", (5_000, 15_000), "Commercial Bank",
         (("multiable", 0.5), ("microsoft", 0.2), ("internal", 0.3)), "ada.wong",
         ("nimal.perera", "kasun.silva", "dilani.fernando", "chaminda.jayasuriya", "tharushi.wickramasinghe",
          "ruwan.bandara", "sanduni.de.silva", "mahesh.gunasekara")),
)
# fmt: on
SITE_WEIGHTS: dict[str, float] = {"HK": 0.3, "SG": 0.2, "JKT": 0.2, "HCM": 0.18, "CMB": 0.12}

# The system administrators (docs/domain.md: "one or two people who know both business and system"),
# the in-house developer who fixes what the company owns, and the internal auditor.
ADMINS = ("ada.wong", "kelvin.tan")
DEVELOPER = "leo.lam"
AUDITOR = "audit.chan"

VENDOR_ACTORS: dict[str, tuple[str, ...]] = {
    "sap": ("sap.support.mwalter", "sap.support.jchen"),
    "oracle": ("oracle.sr.desk", "oracle.sr.rpatel"),
    "microsoft": ("ms.dynamics.support", "ms.partner.fastrack"),
    "yonyou": ("yonyou.service.zhang", "yonyou.partner.liu"),
    "multiable": ("multiable.consultant.hk", "multiable.support.tech"),
}

# The vendor's own priority label for our P1..P4 (docs/design.md: SAP Very High.., Oracle Sev 1-4..).
VENDOR_LABELS: dict[str, tuple[str, str, str, str]] = {
    "sap": ("Very High", "High", "Medium", "Low"),
    "oracle": ("Severity 1", "Severity 2", "Severity 3", "Severity 4"),
    "microsoft": ("Sev A", "Sev B", "Sev C", "Sev C"),
    "yonyou": ("紧急", "高", "中", "低"),
    "multiable": ("Critical", "High", "Normal", "Low"),
}

# Hours from escalation to the vendor's first answer, per priority (low, high); Oracle queues,
# SAP answers Very High within the hour, Multiable is quick except around month-end close.
VENDOR_RESPONSE_HOURS: dict[str, tuple[tuple[float, float], ...]] = {
    "sap": ((0.2, 1.0), (1.0, 4.0), (4.0, 24.0), (24.0, 72.0)),
    "oracle": ((0.5, 2.0), (4.0, 14.0), (20.0, 72.0), (48.0, 120.0)),
    "microsoft": ((0.5, 1.5), (2.0, 8.0), (8.0, 36.0), (24.0, 96.0)),
    "yonyou": ((1.0, 4.0), (4.0, 24.0), (24.0, 72.0), (48.0, 144.0)),
    "multiable": ((0.5, 3.0), (2.0, 10.0), (8.0, 40.0), (24.0, 96.0)),
}
MONTH_END_SLOWDOWN = {"multiable": 3.0, "yonyou": 1.5}

VENDOR_UPDATES: dict[str, tuple[str, ...]] = {
    "sap": (
        "Development support is analysing the trace; please keep the support connection open.",
        "SAP Note {note} corrects this behaviour; implement it with SNOTE in DEV and transport.",
        "Reproduced on our side. A correction will be delivered with the next support package.",
        "Please send transaction ST22 dumps and the job log of the failed run.",
    ),
    "oracle": (
        "SR is with the product team; bug {bug} has been logged against this behaviour.",
        "A one-off patch {bug} is available for your release; please apply in TEST first.",
        "Please upload the diagnostic output and the concurrent request log to the SR.",
        "Development has confirmed the fix is included in the next quarterly update.",
    ),
    "microsoft": (
        "Reproduced in a clean environment; a hotfix is planned in the next service update.",
        "Please share the activity ID and a Fiddler trace from the affected user.",
        "Workaround: disable the feature flag in Feature management until the update lands.",
        "Quality update {kb} contains the fix; deploy it through LCS in your sandbox first.",
    ),
    "yonyou": (
        "已安排实施顾问远程排查，请提供账套备份与操作截图。",
        "研发已确认问题，补丁将在下个版本发布，届时通知贵司升级。",
        "区域伙伴已到现场处理，初步判断为参数配置问题。",
        "Patch {kb} has been released on the customer portal; please apply after backup.",
    ),
    "multiable": (
        "Our consultant will review this in the next scheduled visit; technical team is checking logs.",
        "Patch {kb} prepared; we will apply it in the change window after month-end close.",
        "Many customers are closing their month; the technical team will reply within two working days.",
        "Health check finding: the posting rule setup differs between companies; please confirm the design.",
    ),
}


@dataclass(frozen=True)
class DemoPerson:
    """One person of the demo's directory, as `desk.create_person` takes them."""

    id: str
    name: str
    roles: tuple[str, ...]
    site: str | None
    language: str
    time_zone: str
    email_domain: str = "example.com"

    @property
    def email(self) -> str:
        return f"{self.id}@{self.email_domain}"


@dataclass(frozen=True)
class DemoGroup:
    """One group: its members are (person, duty) pairs; a vendor team names its vendor."""

    id: str
    name: str
    kind: str
    members: tuple[tuple[str, str | None], ...]
    vendor: str | None = None


# The language each site's staff read the desk in (the reports they write vary, see SITES);
# Hong Kong's office is bilingual, so every other person there reads it in English.
STAFF_LANGUAGE = {"HK": "zh-Hant", "SG": "en", "JKT": "id", "HCM": "vi", "CMB": "en"}
# Key users by department: the modules the demo's issues and suggestions are filed under.
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("finance", "Finance"),
    ("warehouse", "Warehouse"),
    ("production", "Production"),
    ("sales", "Sales"),
    ("purchasing", "Purchasing (procurement)"),
)

# fmt: off
# (id, name, duty, time zone, language) per vendor: each vendor's fixed team, consultant first.
# The company's own ERP team ("internal") is the vendor of what it builds and fixes itself.
VENDOR_TEAMS: dict[str, tuple[str, tuple[tuple[str, str, str, str, str], ...]]] = {
    "sap": ("SAP support", (
        ("sap.support.mwalter", "Markus Walter", "consultant", "Europe/Berlin", "en"),
        ("sap.support.jchen", "Chen Jing", "technical_support", "Asia/Shanghai", "zh-Hans"))),
    "oracle": ("Oracle support", (
        ("oracle.sr.rpatel", "Rahul Patel", "consultant", "Asia/Kolkata", "en"),
        ("oracle.sr.desk", "Oracle SR desk", "technical_support", "Asia/Singapore", "en"))),
    "microsoft": ("Microsoft Dynamics support", (
        ("ms.partner.fastrack", "Lim Wei Jie", "consultant", "Asia/Singapore", "en"),
        ("ms.dynamics.support", "Dynamics support desk", "technical_support", "Asia/Singapore", "en"))),
    "yonyou": ("Yonyou service", (
        ("yonyou.service.zhang", "张伟 Zhang Wei", "consultant", "Asia/Shanghai", "zh-Hans"),
        ("yonyou.partner.liu", "刘洋 Liu Yang", "technical_support", "Asia/Shanghai", "zh-Hans"))),
    "multiable": ("Multiable fixed team", (
        ("multiable.consultant.hk", "Cheung Ka Yan", "consultant", "Asia/Hong_Kong", "zh-Hant"),
        ("multiable.support.tech", "Lau Chi Ming", "technical_support", "Asia/Hong_Kong", "zh-Hant"))),
    "internal": ("In-house ERP team", (
        ("wong.tai.man", "Wong Tai Man", "consultant", "Asia/Hong_Kong", "zh-Hant"),
        (DEVELOPER, "Leo Lam", "developer", "Asia/Hong_Kong", "zh-Hant"))),
}
# fmt: on


def vendor_team(vendor: str) -> str:
    """The id of a vendor's fixed team (a group, so an issue can be assigned to it)."""
    return f"{vendor}-team"


def _name(person: str) -> str:
    return " ".join(part.capitalize() for part in person.split("."))


def demo_people() -> tuple[list[DemoPerson], list[DemoGroup]]:
    """Everyone the demo's story names, and their groups: administrators, the auditor, every
    site's key users (each in one department), and each vendor's fixed team."""
    sites = {site.code: site for site in SITES}
    people = [
        DemoPerson(ADMINS[0], "Ada Wong", ("admin",), "HK", "en", sites["HK"].timezone),
        DemoPerson(ADMINS[1], "Kelvin Tan", ("admin",), "SG", "en", sites["SG"].timezone),
        DemoPerson(AUDITOR, "Audrey Chan", ("auditor",), "HK", "en", sites["HK"].timezone),
    ]
    departments: dict[str, list[tuple[str, str | None]]] = {code: [] for code, _ in DEPARTMENTS}
    for site in SITES:
        for index, person in enumerate(site.staff):
            language = "en" if site.code == "HK" and index % 2 else STAFF_LANGUAGE[site.code]
            people.append(DemoPerson(person, _name(person), ("reporter",), site.code, language, site.timezone))
            departments[DEPARTMENTS[index % len(DEPARTMENTS)][0]].append((person, None))
    groups = [
        DemoGroup("erp-admins", "ERP administrators", "admin_team", tuple((a, None) for a in ADMINS)),
        *(DemoGroup(code, name, "department", tuple(departments[code])) for code, name in DEPARTMENTS),
    ]
    for vendor, (team_name, members) in VENDOR_TEAMS.items():
        domain = "example.com" if vendor == "internal" else f"{vendor}.example.com"
        based = "HK" if vendor in ("internal", "multiable") else None  # on site in Hong Kong
        for person, name, _, zone, language in members:
            people.append(DemoPerson(person, name, (f"vendor:{vendor}",), based, language, zone, domain))
        team = tuple((person, duty) for person, _, duty, _, _ in members)
        groups.append(DemoGroup(vendor_team(vendor), team_name, "vendor_team", team, vendor))
    return people, groups
