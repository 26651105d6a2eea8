/** Uploading a document straight to S3 with the API's presigned POST: the file never passes
 * through the portal or the API. */

export interface UploadInstructions {
  method: string;
  url: string;
  fields: Record<string, string>;
  headers: Record<string, string>;
}

/** The multipart body of a presigned POST: every signed field first, the file last (S3 ignores
 * anything after the file). */
export function presignedForm(instructions: UploadInstructions, file: Blob, name: string): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(instructions.fields)) form.append(key, value);
  form.append("file", file, name);
  return form;
}

export async function uploadTo(instructions: UploadInstructions, file: File): Promise<void> {
  const response =
    instructions.method.toUpperCase() === "PUT"
      ? await fetch(instructions.url, { method: "PUT", headers: instructions.headers, body: file })
      : await fetch(instructions.url, { method: "POST", body: presignedForm(instructions, file, file.name) });
  if (!response.ok) throw new Error(`upload refused (${response.status})`);
}
