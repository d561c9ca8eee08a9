import type { VNode } from "preact";
import { match } from "../../ui/router";
import { ChecklistsScreen } from "./Checklists";
import { NotificationsScreen } from "./Notifications";
import { UnitsScreen } from "./Units";
import { UsersScreen } from "./Users";
import "./admin.css";

/** The admin's screens, loaded only by users who have them (a unit head's phone never
 * downloads them). Returns null for a path that is not one of them. */
export function route(path: string): VNode | null {
  let params: Record<string, string> | null;
  if (path === "/admin" || path === "/admin/units") return <UnitsScreen />;
  if (path === "/admin/units/new") return <UnitsScreen creating={{ parentId: null }} />;
  if ((params = match("/admin/units/:id/new", path))) return <UnitsScreen selected={params.id} creating={{ parentId: params.id }} />;
  if ((params = match("/admin/units/:id", path))) return <UnitsScreen selected={params.id} />;
  if (path === "/admin/users") return <UsersScreen />;
  if (path === "/admin/users/new") return <UsersScreen creating />;
  if ((params = match("/admin/users/:id", path))) return <UsersScreen selected={params.id} />;
  if (path === "/admin/notifications") return <NotificationsScreen />;
  if (path === "/admin/checklists") return <ChecklistsScreen />;
  return null;
}
