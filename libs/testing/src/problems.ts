/** Anything that would tell a caller how the service is built: driver errors, SQL, stack frames, source files. */
export const INTERNALS =
  /QueryFailedError|PostgreSQL|postgres|invalid byte sequence|ledger_post|SELECT |INSERT |node_modules|\.[jt]s:\d+|\n\s+at /i;

/** The stable, documented shape of an error code. */
export const PROBLEM_CODE = /^[A-Z][A-Z0-9_]*$/;

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body text. */
  text: string;
}

/**
 * How an error answer breaks the RFC 9457 contract of the README: the content type, `status`
 * equal to the HTTP status, a stable `code`, the correlation id, and nothing internal. Text the
 * request itself carried (`sent`) may be echoed back and is not counted as internal.
 */
export function problemDefects(answer: Answer, sent = ''): string[] {
  const defects: string[] = [];
  const contentType = String(answer.headers['content-type'] ?? '');
  if (!contentType.startsWith('application/problem+json')) defects.push(`content type is "${contentType}"`);
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    defects.push('the body is not JSON');
  }
  if (body.status !== answer.status) defects.push(`body.status ${String(body.status)} is not ${answer.status}`);
  if (typeof body.code !== 'string' || !PROBLEM_CODE.test(body.code)) {
    defects.push(`code ${JSON.stringify(body.code)} is not a stable code`);
  }
  for (const member of ['type', 'title', 'detail']) {
    if (typeof body[member] !== 'string') defects.push(`${member} is missing`);
  }
  if (body.correlationId === undefined || body.correlationId !== answer.headers['x-correlation-id']) {
    defects.push('correlationId does not match the x-correlation-id header');
  }
  const leak = INTERNALS.exec(answer.text);
  if (leak && !sent.toLowerCase().includes(leak[0].toLowerCase())) defects.push(`reveals "${leak[0]}"`);
  return defects;
}
