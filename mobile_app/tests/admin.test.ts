// The admin screens' pure parts: the unit tree from the server's flat list, search in it, where
// a unit may move, what a save sends, and reading the checklist validator's 422 body.
import { describe, expect, it } from "vitest";
import {
  ancestorIds,
  buildUnitTree,
  checklistIssues,
  emptyUnitDraft,
  filterTree,
  flattenTree,
  fold,
  isMasked,
  lineRange,
  numberOrNull,
  subtreeIds,
  unitDraftOf,
  unitDraftProblems,
  unitIn,
  unitPatch,
  usernameProblem,
  userPatch,
  userDraftOf,
  type Unit,
  type UnitNode,
  type User,
} from "../src/screens/admin/model";

function unit(id: string, parent: string | null, name: string, extra: Partial<Unit> = {}): Unit {
  return {
    id,
    code: id.toUpperCase(),
    name_vi: name,
    name_en: `${name} (en)`,
    kind: "commune",
    parent_id: parent,
    depth: 0,
    latitude: null,
    longitude: null,
    geofence_radius_m: 300,
    time_zone: "Asia/Ho_Chi_Minh",
    language: "vi",
    active: true,
    notification_targets: [],
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    ...extra,
  };
}

const names = (nodes: UnitNode[]): unknown[] =>
  nodes.map((node) => (node.children.length ? [node.unit.name_vi, names(node.children)] : node.unit.name_vi));

// Children listed before their parents, as a list ordered by random-looking paths can be.
const UNITS = [
  unit("pd", "tn", "Xã Phương Định"),
  unit("vh", "tn", "Xã Việt Hùng"),
  unit("ct", "tn", "Thị trấn Cát Thành"),
  unit("tn", "nb", "Huyện Trực Ninh"),
  unit("snv", "nb", "Sở Nội vụ"),
  unit("nb", null, "Tỉnh Ninh Bình"),
];

describe("the unit tree", () => {
  it("puts every unit under its parent, siblings in Vietnamese alphabetical order", () => {
    const tree = buildUnitTree(UNITS, (u) => u.name_vi);
    expect(names(tree)).toEqual([
      ["Tỉnh Ninh Bình", [["Huyện Trực Ninh", ["Thị trấn Cát Thành", "Xã Phương Định", "Xã Việt Hùng"]], "Sở Nội vụ"]],
    ]);
  });

  it("makes a root of a unit whose parent is outside the list (the top of the admin's part)", () => {
    const tree = buildUnitTree(UNITS.filter((u) => u.id !== "nb"), (u) => u.name_vi);
    expect(tree.map((node) => node.unit.id)).toEqual(["tn", "snv"]);
  });

  it("never loses a unit caught in a broken parent loop", () => {
    const looped = [unit("a", "b", "A"), unit("b", "a", "B"), unit("c", null, "C")];
    const flat = flattenTree(buildUnitTree(looped, (u) => u.name_vi)).map((entry) => entry.unit.id);
    expect(flat.sort()).toEqual(["a", "b", "c"]);
  });

  it("flattens in reading order with levels, for the unit pickers", () => {
    const flat = flattenTree(buildUnitTree(UNITS, (u) => u.name_vi));
    expect(flat.map((entry) => `${entry.level}:${entry.unit.id}`)).toEqual(["0:nb", "1:tn", "2:ct", "2:pd", "2:vh", "1:snv"]);
  });

  it("finds units without tone marks and keeps the path to each match", () => {
    const tree = buildUnitTree(UNITS, (u) => u.name_vi);
    expect(fold("Phương Định ĐÔNG")).toBe("phuong dinh dong");
    const found = filterTree(tree, "phuong dinh", (u) => `${u.name_vi} ${u.code}`);
    expect(names(found)).toEqual([["Tỉnh Ninh Bình", [["Huyện Trực Ninh", ["Xã Phương Định"]]]]]);
    expect(filterTree(tree, "  ", (u) => u.name_vi)).toBe(tree);
    expect(filterTree(tree, "không có", (u) => u.name_vi)).toEqual([]);
  });

  it("shows the whole subtree under a matching unit", () => {
    const tree = buildUnitTree(UNITS, (u) => u.name_vi);
    const found = filterTree(tree, "truc ninh", (u) => u.name_vi);
    expect(flattenTree(found).map((entry) => entry.unit.id)).toEqual(["nb", "tn", "ct", "pd", "vh"]);
  });

  it("knows where a unit cannot go (itself and below) and its ancestors", () => {
    expect([...subtreeIds(UNITS, "tn")].sort()).toEqual(["ct", "pd", "tn", "vh"]);
    expect([...subtreeIds(UNITS, "pd")]).toEqual(["pd"]);
    expect(ancestorIds(UNITS, "pd")).toEqual(["tn", "nb"]);
    expect(ancestorIds(UNITS, "nb")).toEqual([]);
  });
});

describe("the unit form", () => {
  const saved = unit("pd", "tn", "Xã Phương Định", {
    latitude: 20.2702,
    longitude: 106.2409,
    notification_targets: ["json://spotcheck:****@127.0.0.1:9000/hook", "mailto://u:****@example.org"],
  });

  it("sends nothing when nothing changed", () => {
    expect(unitPatch(saved, unitDraftOf(saved))).toEqual({});
  });

  it("sends only the changed fields, numbers as numbers, an emptied location as null", () => {
    const draft = { ...unitDraftOf(saved), name_en: "Phuong Dinh", geofence_radius_m: "450", latitude: "", longitude: "106,25" };
    expect(unitPatch(saved, draft)).toEqual({ name_en: "Phuong Dinh", geofence_radius_m: 450, latitude: null, longitude: 106.25 });
  });

  it("sends the whole target list (masked ones as shown) when one is added or removed", () => {
    const added = { ...unitDraftOf(saved), targets: [...saved.notification_targets, " json://127.0.0.1:9/x ", ""] };
    expect(unitPatch(saved, added).notification_targets).toEqual([...saved.notification_targets, "json://127.0.0.1:9/x"]);
    const removed = { ...unitDraftOf(saved), targets: [saved.notification_targets[1]] };
    expect(unitPatch(saved, removed).notification_targets).toEqual([saved.notification_targets[1]]);
    expect(saved.notification_targets.every(isMasked)).toBe(true);
    expect(isMasked("json://127.0.0.1:9/x")).toBe(false);
  });

  it("builds a new unit with its parent and defaults", () => {
    const draft = { ...emptyUnitDraft("tn"), code: " TN-X ", name_vi: "Xã X", name_en: "X Commune", targets: ["json://h/p"] };
    expect(unitIn(draft)).toEqual({
      code: "TN-X",
      name_vi: "Xã X",
      name_en: "X Commune",
      kind: "commune",
      parent_id: "tn",
      language: "vi",
      time_zone: "Asia/Ho_Chi_Minh",
      latitude: null,
      longitude: null,
      geofence_radius_m: 300,
      notification_targets: ["json://h/p"],
    });
  });

  it("names the fields that cannot be sent", () => {
    const draft = { ...emptyUnitDraft(null), name_vi: "X", latitude: "91", longitude: "abc", geofence_radius_m: "5" };
    expect(unitDraftProblems(draft)).toEqual(["code", "name_en", "latitude", "longitude", "geofence_radius_m"]);
    expect(numberOrNull(" ")).toBeNull();
    expect(numberOrNull("20,5")).toBe(20.5);
  });
});

describe("users", () => {
  const user: User = {
    id: "u1",
    username: "kiemtra9",
    full_name: "Lê Văn A",
    email: null,
    role: "inspector",
    home_unit_id: "snv",
    language: "vi",
    active: true,
    created_at: "2026-01-01T00:00:00Z",
    notification_targets: [],
  };

  it("sends only what changed; an emptied e-mail as null", () => {
    expect(userPatch(user, userDraftOf(user))).toEqual({});
    expect(userPatch(user, { ...userDraftOf(user), role: "leader", home_unit_id: "tn", email: " " })).toEqual({
      role: "leader",
      home_unit_id: "tn",
    });
    expect(userPatch({ ...user, email: "a@b.vn" }, { ...userDraftOf(user), email: "" })).toEqual({ email: null });
  });

  it("checks a username as the server will (after lower-casing)", () => {
    expect(usernameProblem("Kiem.Tra-3")).toBeNull();
    expect(usernameProblem("ab")).toBe("short");
    expect(usernameProblem("kiểm tra")).toBe("characters");
  });
});

describe("the checklist validator's answer", () => {
  it("reads `errors` (or `issues`) with line and column", () => {
    const body = {
      detail: "The checklist has 2 error(s): …",
      errors: [
        { file: "upload.yaml", line: 7, column: 5, path: "sections[0].items[1].points", message: "must be positive" },
        { line: 12, column: 3, path: "", message: "duplicate key 'key'" },
        { message: "no line" },
      ],
    };
    expect(checklistIssues(body)).toEqual([
      { line: 7, column: 5, path: "sections[0].items[1].points", message: "must be positive" },
      { line: 12, column: 3, path: "", message: "duplicate key 'key'" },
    ]);
    expect(checklistIssues({ issues: [{ line: 1, column: 1, path: "", message: "file is empty" }] })).toHaveLength(1);
    expect(checklistIssues({ detail: "plain" })).toEqual([]);
    expect(checklistIssues(null)).toEqual([]);
  });

  it("finds a line's characters in the text", () => {
    const text = "a: 1\nbb: 2\nccc: 3";
    expect(lineRange(text, 1)).toEqual([0, 4]);
    expect(lineRange(text, 2)).toEqual([5, 10]);
    expect(lineRange(text, 3)).toEqual([11, 17]);
    expect(lineRange(text, 9)).toEqual([17, 17]);
  });
});
