export interface GqlResult<T> {
  status: number;
  body: { data?: T | null; errors?: Array<{ message: string; extensions?: Record<string, unknown>; path?: unknown[] }> };
}

/** POSTs one GraphQL operation over HTTP with fetch (a real client, no mocks). */
export async function gql<T>(url: string, query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GqlResult<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: GqlResult<T>['body'];
  try {
    body = JSON.parse(text) as GqlResult<T>['body'];
  } catch {
    body = { errors: [{ message: `non-JSON response: ${text.slice(0, 200)}` }] };
  }
  return { status: response.status, body };
}
