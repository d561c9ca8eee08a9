// The dossier-ledger screens: a refused file's issues (cut at 50 with the count of the rest),
// an import's result, the indicators in each language's percent format, flags named in words
// with their legal basis, and who is offered the import. Stateless views are rendered to their
// text and elements by calling them, which needs no DOM.
import { afterEach, beforeEach, describe, expect, it, vi as vitest } from "vitest";
import type { VNode } from "preact";
import { setLang } from "../src/i18n";
import {
  canImport,
  defaultLedgerPeriod,
  fileTooLarge,
  formatPercent,
  importableUnits,
  issueMessage,
  issuesToShow,
  ledgerPresetPeriod,
  ledgerPresets,
  shareText,
  uploadResult,
  type FlaggedDossier,
  type ImportSummary,
  type Indicators,
  type LedgerIssue,
  type LedgerRule,
} from "../src/screens/dossiers/model";
import { FlaggedDossierCard, ImportResult, IndicatorFigures, IssueList, LedgerActions } from "../src/screens/dossiers/views";

type Node = VNode<Record<string, unknown>> | string | number | boolean | null | undefined | Node[];

/** The rendered tree with every function component called: elements and text only. */
function expand(node: Node): Node {
  if (Array.isArray(node)) return node.map(expand);
  if (node === null || node === undefined || typeof node !== "object") return node;
  if (typeof node.type === "function") return expand((node.type as (props: unknown) => Node)(node.props));
  return { ...node, props: { ...node.props, children: expand(node.props.children as Node) } } as Node;
}

function textOf(node: Node): string {
  if (Array.isArray(node)) return node.map(textOf).join("");
  if (node === null || node === undefined || typeof node === "boolean") return "";
  if (typeof node !== "object") return String(node);
  return textOf(node.props.children as Node);
}

function findAll(node: Node, test: (props: Record<string, unknown>, type: unknown) => boolean): Array<VNode<Record<string, unknown>>> {
  if (Array.isArray(node)) return node.flatMap((child) => findAll(child, test));
  if (node === null || node === undefined || typeof node !== "object") return [];
  const own = test(node.props, node.type) ? [node] : [];
  return [...own, ...findAll(node.props.children as Node, test)];
}

const byTestId = (tree: Node, id: string) => findAll(tree, (props) => props["data-testid"] === id);

function issue(line: number): LedgerIssue {
  return {
    line,
    column: "F",
    column_number: 6,
    header: "Ngày tiếp nhận",
    field: "received",
    value: `31/02/2026`,
    // as the server words it for a Vietnamese-speaking user: `message` in their language
    message: "«31/02/2026» không phải là ngày có thật (ghi ngày trước tháng: dd/MM/yyyy)",
    message_vi: "«31/02/2026» không phải là ngày có thật (ghi ngày trước tháng: dd/MM/yyyy)",
    message_en: "'31/02/2026' is not a real date (day first: dd/MM/yyyy)",
  };
}

const SUMMARY: ImportSummary = {
  already_imported: false,
  ledger_import: {
    id: "00000000-0000-4000-8000-000000000001",
    unit_id: "00000000-0000-4000-8000-0000000000aa",
    layout: "one-stop-export",
    file_format: "csv",
    sha256: "ab".repeat(32),
    file_name: "so-theo-doi-ho-so.csv",
    row_count: 2400,
    created_count: 2390,
    updated_count: 7,
    unchanged_count: 3,
    period_start: "2026-07-01",
    period_end: "2026-09-30",
    imported_by_label: "Trần Thị Hà",
    imported_at: "2026-11-30T03:15:00Z",
  },
  flags: { dossiers: 2400, flagged_dossiers: 131, by_rule: { late_without_apology: 40 }, by_severity: { major: 120, minor: 11 } },
  indicators: null,
};

const INDICATORS: Indicators = {
  period_start: "2026-07-01",
  period_end: "2026-09-30",
  dossiers: 2400,
  online: { numerator: 845, denominator: 2400, value: 845 / 2400 },
  online_payment: { numerator: 0, denominator: 0, value: null },
  on_time: { numerator: 2210, denominator: 2300, value: 2210 / 2300 },
  backlog: 12,
  pending_at_end: 57,
  flagged: { numerator: 131, denominator: 2400, value: 131 / 2400 },
};

const RULES: LedgerRule[] = [
  {
    rule: "late_without_apology",
    severity: "major",
    title_vi: "Giải quyết quá hạn nhưng không có phiếu xin lỗi và hẹn lại ngày trả kết quả",
    title_en: "Resolved after the appointed date without an apology slip",
    legal_bases: [],
  },
];

beforeEach(() => {
  vitest.stubGlobal("document", { documentElement: {} });
  setLang("vi");
});

afterEach(() => {
  setLang("vi");
  vitest.unstubAllGlobals();
});

describe("a refused ledger", () => {
  const refusal = (count: number, sent = Math.min(count, 200)) =>
    uploadResult(422, {
      detail: `Chưa nhập được sổ hồ sơ: tệp có ${count} lỗi.`,
      detail_vi: `Chưa nhập được sổ hồ sơ: tệp có ${count} lỗi.`,
      detail_en: `The ledger was not imported: ${count} problem(s).`,
      issue_count: count,
      issues: Array.from({ length: sent }, (_, index) => issue(index + 5)),
    });

  it("is read from the server's 422 with every issue and their total", () => {
    const result = refusal(230);
    expect(result.kind).toBe("refused");
    if (result.kind !== "refused") return;
    expect(result.refusal.issues).toHaveLength(200);
    expect(result.refusal.issueCount).toBe(230);
    const { shown, more } = issuesToShow(result.refusal);
    expect(shown).toHaveLength(50);
    expect(more).toBe(180); // of all 230, not only the 200 the server listed
  });

  it("lists the first 50 with line, column, header, value and what is accepted, and counts the rest", () => {
    const result = refusal(230);
    if (result.kind !== "refused") throw new Error(result.kind);
    const tree = expand(IssueList({ refusal: result.refusal }) as Node);
    const rows = byTestId(tree, "ledger-issue");
    expect(rows).toHaveLength(50);
    expect(textOf(rows[0])).toBe(
      "Dòng 5, cột F (Ngày tiếp nhận) · giá trị «31/02/2026»«31/02/2026» không phải là ngày có thật (ghi ngày trước tháng: dd/MM/yyyy)",
    );
    expect(rows[49].props["data-line"]).toBe(54);
    expect(textOf(byTestId(tree, "ledger-issues-more"))).toContain("… và 180 lỗi khác");
    expect(textOf(tree)).toContain("230 lỗi");
  });

  it("shows a short list whole, with no count of more", () => {
    const result = refusal(1);
    if (result.kind !== "refused") throw new Error(result.kind);
    const tree = expand(IssueList({ refusal: result.refusal }) as Node);
    expect(byTestId(tree, "ledger-issue")).toHaveLength(1);
    expect(byTestId(tree, "ledger-issues-more")).toHaveLength(0);
  });

  it("says each issue in the reader's language, whatever language the server answered in", () => {
    const result = refusal(3);
    if (result.kind !== "refused") throw new Error(result.kind);
    expect(result.refusal.detail).toBe("Chưa nhập được sổ hồ sơ: tệp có 3 lỗi.");
    setLang("en");
    const english = uploadResult(422, { detail: "Chưa nhập…", detail_vi: "Chưa nhập…", detail_en: "Not imported.", issue_count: 1, issues: [issue(5)] });
    if (english.kind !== "refused") throw new Error(english.kind);
    expect(english.refusal.detail).toBe("Not imported.");
    const rows = byTestId(expand(IssueList({ refusal: english.refusal }) as Node), "ledger-issue");
    expect(textOf(rows[0])).toBe("Line 5, column F (Ngày tiếp nhận) · value «31/02/2026»'31/02/2026' is not a real date (day first: dd/MM/yyyy)");
    // an older server without the pair: its own message
    expect(issueMessage({ ...issue(5), message_vi: "", message_en: "" }, "en")).toBe(issue(5).message);
  });

  it("names an issue of the whole file (a missing header) without a line or column", () => {
    const text = "Trong 10 dòng đầu của tệp không có dòng tên cột nào có đủ các cột bắt buộc";
    const missing: LedgerIssue = { ...issue(1), line: null, column: null, column_number: null, value: null, header: null, message: text, message_vi: text, message_en: "No header row" };
    const tree = expand(IssueList({ refusal: { detail: "x", issues: [missing], issueCount: 1 } }) as Node);
    expect(textOf(byTestId(tree, "ledger-issue"))).toBe(`Cả tệp${text}`);
  });

  it("is not sent at all when larger than the server accepts", () => {
    expect(fileTooLarge(64 * 1024 * 1024)).toBeNull();
    expect(fileTooLarge(70 * 1024 * 1024 + 1, "vi")).toEqual({ size: "71", limit: "64" });
  });

  it("is not mistaken for another problem, which keeps the server's detail", () => {
    expect(uploadResult(415, { detail: "A ledger file is named *.csv or *.xlsx" })).toEqual({
      kind: "problem",
      status: 415,
      detail: "A ledger file is named *.csv or *.xlsx",
    });
    expect(uploadResult(502, null)).toEqual({ kind: "problem", status: 502, detail: "HTTP 502" });
    const pair = { detail: "Tệp sổ hồ sơ phải có đuôi .csv hoặc .xlsx", detail_vi: "Tệp sổ hồ sơ phải có đuôi .csv hoặc .xlsx", detail_en: "A ledger file is named *.csv or *.xlsx" };
    expect(uploadResult(415, pair, "en")).toEqual({ kind: "problem", status: 415, detail: "A ledger file is named *.csv or *.xlsx" });
    expect(uploadResult(415, pair, "vi")).toEqual({ kind: "problem", status: 415, detail: "Tệp sổ hồ sơ phải có đuôi .csv hoặc .xlsx" });
  });
});

describe("an imported ledger", () => {
  it("shows rows read, created, updated, unchanged, the period and the flagged count", () => {
    const result = uploadResult(200, SUMMARY);
    expect(result.kind).toBe("imported");
    const tree = expand(ImportResult({ summary: SUMMARY }) as Node);
    expect(textOf(byTestId(tree, "ledger-rows"))).toBe("2.400");
    expect(textOf(byTestId(tree, "ledger-created"))).toBe("2.390");
    expect(textOf(byTestId(tree, "ledger-updated"))).toBe("7");
    expect(textOf(byTestId(tree, "ledger-unchanged"))).toBe("3");
    expect(textOf(byTestId(tree, "ledger-period"))).toBe("01/07/2026 – 30/09/2026");
    expect(textOf(byTestId(tree, "ledger-flagged"))).toBe("131");
    expect(textOf(tree)).toContain("Đã nhập sổ hồ sơ.");
    const link = findAll(tree, (_props, type) => type === "a")[0];
    expect(link.props.href).toBe(`/app/units/${SUMMARY.ledger_import.unit_id}/dossiers`);
  });

  it("says when the same file had been imported before, by whom and when", () => {
    const tree = expand(ImportResult({ summary: { ...SUMMARY, already_imported: true } }) as Node);
    expect(byTestId(tree, "ledger-result")[0].props["data-already"]).toBe("true");
    expect(textOf(tree)).toContain("Tệp này đã được nhập lúc 10:15 30/11/2026 bởi Trần Thị Hà; không ghi thêm gì.");
  });
});

describe("indicators", () => {
  it("format shares as Vietnamese and English percentages with what they count", () => {
    expect(formatPercent(845 / 2400, "vi")).toBe("35,2%");
    expect(formatPercent(845 / 2400, "en")).toBe("35.2%");
    expect(formatPercent(1, "vi")).toBe("100%");
    expect(formatPercent(null, "vi")).toBe("—");
    expect(shareText(INDICATORS.online, "vi")).toBe("35,2% (845/2.400)");
    expect(shareText(INDICATORS.online, "en")).toBe("35.2% (845/2,400)");
    expect(shareText(INDICATORS.online_payment, "vi")).toBe("—");
  });

  it("render every indicator of the period", () => {
    const tree = expand(IndicatorFigures({ indicators: INDICATORS }) as Node);
    expect(textOf(byTestId(tree, "ind-dossiers"))).toBe("2.400");
    expect(textOf(byTestId(tree, "ind-online"))).toBe("35,2% (845/2.400)");
    expect(textOf(byTestId(tree, "ind-online_payment"))).toBe("—");
    expect(textOf(byTestId(tree, "ind-on_time"))).toBe("96,1% (2.210/2.300)");
    expect(textOf(byTestId(tree, "ind-backlog"))).toBe("12");
    expect(textOf(byTestId(tree, "ind-pending"))).toBe("57");
    expect(textOf(byTestId(tree, "ind-flagged"))).toBe("5,5% (131/2.400)");
    setLang("en");
    const english = expand(IndicatorFigures({ indicators: INDICATORS }) as Node);
    expect(textOf(byTestId(english, "ind-on_time"))).toBe("96.1% (2,210/2,300)");
    expect(textOf(english)).toContain("On-time share");
  });

  it("say so when nothing was received in the period", () => {
    const empty = { ...INDICATORS, dossiers: 0, pending_at_end: 0 };
    const tree = expand(IndicatorFigures({ indicators: empty }) as Node);
    expect(byTestId(tree, "ledger-indicators-none")).toHaveLength(1);
  });

  it("default to the last 90 days on the unit's calendar", () => {
    // 18:30 UTC on 30 November is already 1 December in Hà Nội
    expect(defaultLedgerPeriod("Asia/Ho_Chi_Minh", new Date("2026-11-30T18:30:00Z"))).toEqual({ from: "2026-09-03", to: "2026-12-01" });
  });
});

describe("a flagged dossier", () => {
  const dossier: FlaggedDossier = {
    dossier_code: "TN-CT-000123",
    procedure_code: "1.001",
    procedure_name: "Đăng ký khai sinh",
    channel: "online",
    status: "resolved",
    received: "2026-08-03",
    appointed_return: "2026-08-05",
    resolved: "2026-08-10",
    returned: null,
    import_id: "00000000-0000-4000-8000-000000000001",
    flags: [
      {
        rule: "late_without_apology",
        severity: "major",
        detail: "có kết quả ngày 10/08/2026, sau ngày hẹn trả 05/08/2026, không có phiếu xin lỗi và hẹn lại ngày trả kết quả",
        detail_vi: "có kết quả ngày 10/08/2026, sau ngày hẹn trả 05/08/2026, không có phiếu xin lỗi và hẹn lại ngày trả kết quả",
        detail_en: "resolved 10/08/2026, after the appointed 05/08/2026, with no apology slip",
        legal_basis: "Nghị định 118/2025/NĐ-CP",
      },
    ],
  };

  it("names each flag in words with its severity and legal basis, in the reader's language", () => {
    const tree = expand(FlaggedDossierCard({ dossier, rules: RULES, lang: "vi" }) as Node);
    const flag = textOf(byTestId(tree, "ledger-flag"));
    expect(flag).toContain("Lớn Giải quyết quá hạn nhưng không có phiếu xin lỗi");
    expect(flag).toContain("Căn cứ: Nghị định 118/2025/NĐ-CP");
    expect(flag).toContain("— có kết quả ngày 10/08/2026, sau ngày hẹn trả 05/08/2026, không có phiếu xin lỗi");
    expect(flag).not.toContain("late_without_apology");
    expect(textOf(tree)).toContain("Tiếp nhận 03/08/2026, hẹn trả 05/08/2026, có kết quả 10/08/2026");
    setLang("en");
    const english = textOf(expand(FlaggedDossierCard({ dossier, rules: RULES, lang: "en" }) as Node));
    expect(english).toContain("Resolved after the appointed date without an apology slip — resolved 10/08/2026");
    expect(english).toContain("Legal basis: Nghị định 118/2025/NĐ-CP");
  });
});

describe("who is offered the import", () => {
  const units = [
    { id: "district", active: true },
    { id: "commune", active: true },
    { id: "closed", active: false },
  ];

  it("a unit head is never shown the import button, a leader and an admin are", () => {
    const button = (role: "unit_head" | "leader" | "admin" | "inspector") =>
      findAll(expand(LedgerActions({ role, unitId: "commune", importable: true }) as Node), (_props, type) => type === "a");
    expect(button("unit_head")).toHaveLength(0);
    expect(button("inspector")).toHaveLength(0);
    expect(button("leader")).toHaveLength(1);
    expect(textOf(button("admin"))).toBe("Nhập sổ hồ sơ");
    expect(button("leader")[0].props.href).toBe("/app/dossiers/import?unit=commune");
    expect(canImport("unit_head")).toBe(false);
  });

  it("a leader imports for the units below their own, an admin for every active unit, a unit head for none", () => {
    expect(importableUnits(units, { role: "leader", home_unit_id: "district" }).map((unit) => unit.id)).toEqual(["commune"]);
    expect(importableUnits(units, { role: "admin", home_unit_id: "district" }).map((unit) => unit.id)).toEqual(["district", "commune"]);
    expect(importableUnits(units, { role: "unit_head", home_unit_id: "commune" })).toEqual([]);
    // the leader's own unit's ledger is read, not imported: no button there
    expect(findAll(expand(LedgerActions({ role: "leader", unitId: "district", importable: false }) as Node), (_props, type) => type === "a")).toHaveLength(0);
  });
});

describe("the ledger's period", () => {
  it("offers the latest import's period beside the overview's presets, when the import has one", () => {
    const latest = SUMMARY.ledger_import;
    expect(ledgerPresets(latest)).toEqual(["quarter", "previousQuarter", "last90", "year", "latestImport", "custom"]);
    expect(ledgerPresets({ ...latest, period_start: null, period_end: null })).not.toContain("latestImport");
    expect(ledgerPresets(undefined)).not.toContain("latestImport");
    expect(ledgerPresetPeriod("latestImport", "2026-11-30", latest)).toEqual({ from: "2026-07-01", to: "2026-09-30" });
    expect(ledgerPresetPeriod("last90", "2026-11-30", latest)).toEqual({ from: "2026-09-02", to: "2026-11-30" });
    expect(ledgerPresetPeriod("custom", "2026-11-30", latest)).toBeNull();
  });
});
