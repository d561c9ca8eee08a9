// The summary's dossier indicators as table cells: each figure, and under it the change from
// the previous period with an arrow, a sign and its meaning in words (never colour alone).
import type { components } from "../../api/schema";
import { formatNumber, t } from "../../i18n";
import { changeDirection } from "./logic";

type S = components["schemas"];
export type UnitIndicators = S["UnitIndicatorsOut"];

export const INDICATOR_COLUMNS = ["dossiers", "online", "online_payment", "on_time", "backlog", "flagged"] as const;
export type IndicatorColumn = (typeof INDICATOR_COLUMNS)[number];

export interface IndicatorCell {
  column: IndicatorColumn;
  /** The figure: a count, or a share in per cent; "—" when there is no data. */
  text: string;
  value: number | null;
  change: { direction: "up" | "down" | "same"; shown: string; said: string; value: number } | null;
}

const SHARES = { online: "online_points", online_payment: "online_payment_points", on_time: "on_time_points", flagged: "flagged_points" } as const;

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${formatNumber(value * 100, 1)}%`;
}

function change(value: number | null | undefined, unit: "points" | "count"): IndicatorCell["change"] {
  const direction = changeDirection(value);
  if (direction === "none" || value === null || value === undefined) return null;
  const amount = formatNumber(Math.abs(value), unit === "points" ? 1 : 0);
  const arrow = { up: "▲", down: "▼", same: "=" }[direction];
  const sign = { up: "+", down: "−", same: "±" }[direction];
  const key = unit === "points" ? ({ up: "changeUpPoints", down: "changeDownPoints", same: "changeSame" } as const)[direction] : ({ up: "changeUpCount", down: "changeDownCount", same: "changeSame" } as const)[direction];
  return { direction, shown: `${arrow} ${sign}${amount}`, said: t(key, { value: amount }), value };
}

/** One row of the table: the unit's (or the totals') figures and their changes. */
export function indicatorCells(row: UnitIndicators): IndicatorCell[] {
  const now = row.current;
  const moved = row.change;
  return INDICATOR_COLUMNS.map((column) => {
    if (column === "dossiers") {
      return { column, text: now ? formatNumber(now.dossiers, 0) : "—", value: now?.dossiers ?? null, change: null };
    }
    if (column === "backlog") {
      return {
        column,
        text: now ? formatNumber(now.backlog, 0) : "—",
        value: now?.backlog ?? null,
        change: moved ? change(moved.backlog, "count") : null,
      };
    }
    const share = now ? now[column].value : null;
    return { column, text: percent(share), value: share ?? null, change: moved ? change(moved[SHARES[column]], "points") : null };
  });
}
