// A form upload that reports its progress (fetch cannot report an upload's progress, so this
// is XMLHttpRequest), with the same token handling as every other call: refreshed first when it
// is about to expire, and once more when the server says 401.
import { appDB } from "../store/db";
import { Offline, withAccessToken } from "../sync/auth";

export interface UploadAnswer {
  status: number;
  body: unknown; // the JSON answer (a problem on 4xx), or null when it was not JSON
}

export type ProgressListener = (sent: number, total: number) => void;

function send(path: string, form: FormData, token: string, onProgress: ProgressListener): Promise<UploadAnswer> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", path);
    request.setRequestHeader("authorization", `Bearer ${token}`);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    };
    // The connection failed or was cut: the server either never got the whole file or
    // answered into the void. An import is all or nothing, so sending it again is safe (the
    // same file already imported answers with its first import).
    request.onerror = () => reject(new Offline("network error during upload"));
    request.onabort = () => reject(new Offline("upload aborted"));
    request.ontimeout = () => reject(new Offline("upload timed out"));
    request.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = null;
      }
      resolve({ status: request.status, body });
    };
    request.send(form);
  });
}

/** POST `form` to `path` with the token; resolves with any HTTP answer, rejects with Offline
 * (no answer: network gone or cut mid-way) or SessionExpired. */
export async function uploadForm(path: string, form: FormData, onProgress: ProgressListener): Promise<UploadAnswer> {
  return withAccessToken(
    await appDB(),
    (token) => send(path, form, token, onProgress),
    async (answer) => String((answer.body as { detail?: unknown } | null)?.detail ?? "session expired"),
  );
}
