// The leader's dossier screens: the summary's indicator table cells (figures, and changes with an
// arrow, a sign and words), and the draw's dossier terms and reasons held to the server's
// formula (values from server/plans/draw.py's dossier_terms).
import { beforeEach, describe, expect, it, vi } from "vitest";
import { setLang } from "../src/i18n";
import { dossierReasons, readCandidate } from "../src/screens/leader/Candidates";
import { indicatorCells, type UnitIndicators } from "../src/screens/leader/indicators";
import { changeDirection, dossierTerms } from "../src/screens/leader/logic";

// setLang marks the page's language; the tests run without a DOM.
vi.stubGlobal("document", { documentElement: { lang: "vi" } });

const share = (numerator: number, denominator: number) => ({ numerator, denominator, value: denominator ? numerator / denominator : null });

const period = {
  period_start: "2024-04-01",
  period_end: "2024-06-30",
  dossiers: 340,
  online: share(136, 340),
  online_payment: share(30, 60),
  on_time: share(264, 300),
  backlog: 7,
  pending_at_end: 12,
  flagged: share(41, 340),
};

const row: UnitIndicators = {
  unit: { id: "u1", code: "PD", name_vi: "Xã Phương Định", name_en: "Phương Định Commune" },
  current: period,
  previous: period,
  change: { online_points: 2.5, online_payment_points: null, on_time_points: -3.25, flagged_points: 0, backlog: -2 },
};

describe("the summary's dossier indicator table", () => {
  beforeEach(() => setLang("vi"));

  it("shows each share in per cent and each count as it is", () => {
    const cells = Object.fromEntries(indicatorCells(row).map((cell) => [cell.column, cell]));
    expect(cells.dossiers.text).toBe("340");
    expect(cells.online.text).toBe("40%");
    expect(cells.flagged.text).toBe("12,1%");
    expect(cells.on_time.text).toBe("88%");
    expect(cells.backlog.text).toBe("7");
  });

  it("writes the change with an arrow, a sign and words, not colour alone", () => {
    const cells = Object.fromEntries(indicatorCells(row).map((cell) => [cell.column, cell]));
    expect(cells.online.change).toMatchObject({ direction: "up", shown: "▲ +2,5", said: "tăng 2,5 điểm phần trăm so với kỳ trước" });
    expect(cells.on_time.change).toMatchObject({ direction: "down", shown: "▼ −3,3" });
    expect(cells.flagged.change).toMatchObject({ direction: "same", shown: "= ±0", said: "không đổi so với kỳ trước" });
    expect(cells.backlog.change).toMatchObject({ direction: "down", shown: "▼ −2", said: "giảm 2 hồ sơ so với kỳ trước" });
    expect(cells.online_payment.change).toBeNull(); // nothing to compare
    expect(cells.dossiers.change).toBeNull();
    setLang("en");
    const english = Object.fromEntries(indicatorCells(row).map((cell) => [cell.column, cell]));
    expect(english.backlog.change?.said).toBe("down 2 dossiers from the previous period");
  });

  it("shows a dash for a period without data and no change", () => {
    const cells = indicatorCells({ ...row, current: null, change: null });
    expect(cells.every((cell) => cell.text === "—" && cell.change === null)).toBe(true);
    expect(changeDirection(null)).toBe("none");
  });
});

describe("the draw's dossier terms", () => {
  it("follow the server's formula, caps and neutral values", () => {
    // server: 10 × 41/340 = 1.2059, 5 × 36/300 = 0.6, 20 × 7/340 = 0.4118
    expect(dossierTerms({ dossiers: 340, flagged: 41, resolved: 300, resolved_on_time: 264, backlog: 7 })).toEqual({
      flagged: 1.2059,
      late: 0.6,
      backlog: 0.4118,
    });
    expect(dossierTerms({ dossiers: 10, flagged: 10, resolved: 10, resolved_on_time: 0, backlog: 5 })).toEqual({ flagged: 3, late: 2, backlog: 1 });
    expect(dossierTerms(null)).toEqual({ flagged: 1, late: 0.5, backlog: 0.4 });
  });

  it("read a preview candidate's reasons from the server, in the chosen language", () => {
    const candidate = readCandidate({
      unit_id: "u1",
      weight: 8.2177,
      risk: {
        last_score: null,
        open_actions: 0,
        overdue_actions: 0,
        critical_findings_12m: 0,
        days_since_last_visit: null,
        dossiers: { dossiers: 340, flagged: 41, resolved: 300, resolved_on_time: 264, backlog: 7 },
        terms: { base: 1, score: 3, open_actions: 0, overdue_actions: 0, critical_findings: 0, time_since_visit: 2, flagged_dossiers: 1.2059, late_dossiers: 0.6, backlog: 0.4118 },
        reasons: [
          { code: "score", term: 3, vi: "Chưa từng được chấm điểm", en: "Never scored" },
          { code: "flagged_dossiers", term: 1.2059, vi: "12,1% hồ sơ bị gắn cờ (41/340)", en: "12.1% of dossiers flagged (41 of 340)" },
          { code: "backlog", term: 0.4118, vi: "Tồn đọng 7 hồ sơ quá hạn", en: "Backlog of 7 overdue dossier(s)" },
        ],
      },
    });
    expect(candidate?.dossier?.terms).toEqual({ flagged: 1.2059, late: 0.6, backlog: 0.4118 });
    setLang("vi");
    expect(dossierReasons(candidate!.dossier!).map((reason) => reason.text)).toEqual([
      "12,1% hồ sơ bị gắn cờ (41/340): +1,2059",
      "Tồn đọng 7 hồ sơ quá hạn: +0,4118",
    ]);
    setLang("en");
    expect(dossierReasons(candidate!.dossier!)[0].text).toBe("12.1% of dossiers flagged (41 of 340): +1.2059");
  });

  it("work out the weight and words of a sealed v2 candidate that was not drawn", () => {
    setLang("vi");
    const sealed = readCandidate({
      unit_id: "u2",
      last_score: 80,
      open_actions: 0,
      overdue_actions: 0,
      critical_findings_12m: 0,
      days_since_last_visit: 365,
      dossiers: null,
    });
    // v1: 1 + 0.8 + 1 = 2.8; neutral dossier terms 1 + 0.5 + 0.4
    expect(sealed?.weight).toBe(4.7);
    expect(dossierReasons(sealed!.dossier!).map((reason) => reason.text)).toEqual([
      "Chưa có sổ theo dõi hồ sơ trong kỳ (giá trị trung tính): +1,9",
    ]);
    // A v1 candidate has no dossier part at all.
    expect(readCandidate({ unit_id: "u3", last_score: 80 })?.dossier).toBeNull();
  });
});
