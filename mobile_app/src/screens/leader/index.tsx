import type { VNode } from "preact";
import { match } from "../../ui/router";
import { DashboardScreen } from "./Dashboard";
import { PlanNewScreen } from "./PlanNew";
import { PlanDetailScreen, PlansScreen } from "./Plans";
import { UnitInspectionsScreen } from "./UnitInspections";
import "./leader.css";

/** The leader's screens, loaded only by users who have them (a unit head's phone never
 * downloads them). Returns null for a path that is not one of them. */
export function route(path: string): VNode | null {
  let params: Record<string, string> | null;
  if (path === "/dashboard") return <DashboardScreen />;
  if (path === "/plans") return <PlansScreen />;
  if (path === "/plans/new") return <PlanNewScreen />;
  if ((params = match("/plans/:id", path))) return <PlanDetailScreen key={params.id} id={params.id} />;
  if ((params = match("/units/:id", path))) return <UnitInspectionsScreen key={params.id} id={params.id} />;
  return null;
}
