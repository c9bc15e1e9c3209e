/** Loader for POST-only routes (webhooks, app proxy): a plain 405 instead of Remix's logged error. */
export const postOnlyLoader = () =>
  new Response(null, { status: 405, headers: { Allow: "POST" } });
