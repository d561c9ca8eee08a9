// The plan form's sealed dossier sample: what it sends, and its defaults.
import { h } from "preact";
import { render } from "preact-render-to-string";
import { describe, expect, it } from "vitest";
import { t } from "../src/i18n";
import { defaultSampleChoice, PlanSamples, sampleBody, stratumText } from "../src/screens/leader/SampleFields";

describe("the plan's dossier sample", () => {
  it("is off by default, and then sends nothing", () => {
    const choice = defaultSampleChoice("Asia/Ho_Chi_Minh", new Date("2026-11-30T18:00:00Z"));
    expect(choice.on).toBe(false);
    expect(sampleBody(choice)).toBeUndefined();
  });

  it("defaults to ten dossiers of the last full quarter in the unit's zone, by channel", () => {
    // 30 Nov 2026 23:30 UTC is already 1 Dec in Hanoi: still the fourth quarter.
    const choice = { ...defaultSampleChoice("Asia/Ho_Chi_Minh", new Date("2026-11-30T23:30:00Z")), on: true };
    expect(sampleBody(choice)).toEqual({
      size: 10,
      period_from: "2026-07-01",
      period_to: "2026-09-30",
      strata: ["channel"],
      flagged_weight: 3,
    });
    // On 1 Jan (Hanoi) the last full quarter is the previous year's fourth.
    const january = defaultSampleChoice("Asia/Ho_Chi_Minh", new Date("2026-12-31T17:30:00Z"));
    expect([january.from, january.to]).toEqual(["2026-10-01", "2026-12-31"]);
  });

  it("sends what the leader chose", () => {
    const choice = { on: true, size: 25, from: "2026-01-01", to: "2026-06-30", strata: ["procedure" as const], flaggedWeight: 5 };
    expect(sampleBody(choice)).toEqual({ size: 25, period_from: "2026-01-01", period_to: "2026-06-30", strata: ["procedure"], flagged_weight: 5 });
  });

  it("names a stratum's channel in words", () => {
    expect(stratumText("2.000635|in_person")).toBe("2.000635 · trực tiếp");
    expect(stratumText("online")).toBe("trực tuyến");
    expect(stratumText("all")).toBe("tất cả");
  });
});

describe("the sealed plan's samples", () => {
  it("name each dossier's flags in words, not by their rule codes", () => {
    const html = render(
      h(PlanSamples, {
        samples: [
          {
            unit_id: "u1",
            inspection_id: null,
            pool_size: 40,
            allocation: { online: 1 },
            dossiers: [
              {
                dossier_code: "TN-PD-1",
                procedure_code: "2.000635",
                procedure_name: "Đăng ký khai sinh",
                channel: "online",
                stratum: "online",
                flags: ["late_without_apology"],
                system: {
                  received_at: null,
                  appointed_at: null,
                  resolved_at: null,
                  returned_at: null,
                  component_files: null,
                  result_file: null,
                  fee: null,
                  fee_paid_online: null,
                },
              },
            ],
          },
        ],
        unitLabel: () => "Xã Phương Định",
        timeZone: "Asia/Ho_Chi_Minh",
      }),
    );
    expect(html).toContain(t("dossierFlag_late_without_apology"));
    expect(html).not.toContain("late_without_apology<");
    expect(html).not.toMatch(/late_without_apology(,|<)/);
  });
});
