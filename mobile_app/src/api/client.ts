// Online calls for the desk-style screens (lists, dashboards, administration): typed by the
// generated schema, errors as HttpProblem (with the server's detail) or Offline.
import { appDB } from "../store/db";
import { authorizedFetch, HttpProblem, problemDetail } from "../sync/auth";

export { HttpProblem, Offline } from "../sync/auth";

export async function apiGet<T>(path: string): Promise<T> {
  const response = await authorizedFetch(await appDB(), path);
  if (!response.ok) throw new HttpProblem(response.status, await problemDetail(response));
  return (await response.json()) as T;
}

/** A page of a list the server paginates: the rows and the total from `X-Total-Count`. */
export async function apiPage<T>(path: string): Promise<{ items: T[]; total: number }> {
  const response = await authorizedFetch(await appDB(), path);
  if (!response.ok) throw new HttpProblem(response.status, await problemDetail(response));
  const items = (await response.json()) as T[];
  const total = Number(response.headers.get("x-total-count") ?? items.length);
  return { items, total: Number.isFinite(total) ? total : items.length };
}

export async function apiSend<T>(
  method: "POST" | "PATCH" | "PUT" | "DELETE",
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<T> {
  const response = await authorizedFetch(await appDB(), path, {
    method,
    headers: body === undefined ? {} : { "content-type": contentType },
    body: body === undefined ? undefined : contentType === "application/json" ? JSON.stringify(body) : (body as BodyInit),
  });
  if (!response.ok) throw new HttpProblem(response.status, await problemDetail(response));
  if (response.status === 204) return undefined as T;
  const type = response.headers.get("content-type") ?? "";
  return (type.includes("json") ? await response.json() : await response.text()) as T;
}

/** The problem body as JSON (for structured errors such as the checklist validator's list). */
export async function apiSendRaw(method: "POST" | "PUT", path: string, body: BodyInit, contentType: string): Promise<Response> {
  return authorizedFetch(await appDB(), path, { method, headers: { "content-type": contentType }, body });
}
